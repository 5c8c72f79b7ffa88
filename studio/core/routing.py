"""Orthogonal edge routing around node rectangles (pure geometry, no Qt).

An edge leaves its source from an output port on the node's right side heading right, and
enters its target from the left (ports on fixed sides). The router tries the simplest shapes
first and keeps the first whose segments touch no other node:

- one bend pair (``-|-``): a vertical run at some x between the two ports;
- two bend pairs (``-|-|-``): out to the right, along a free horizontal corridor (between rows,
  above or below whatever is in the way), down or up, then into the target from the left.
  This is how wrapped chains and skips across a U go around nodes;
- else A* over the grid of lines running just outside the nodes near the two ports, a bend
  costing as much as BEND of length (a wire from the first band of a wrapped chain to a loss
  in its last one). Only if that fails too (a port walled in) is the plain shape drawn.

Obstacles live in a bucket grid so that a route checks only the nodes near its segments: the
1,000-node graph routes in a fraction of a second.
"""
from __future__ import annotations

import heapq
from collections import defaultdict

Rect = tuple[float, float, float, float]  # left, top, right, bottom
Point = tuple[float, float]

MARGIN = 8.0  # clearance kept around every node
STUB = 16.0  # straight run out of a port before the first bend
CELL = 256.0  # bucket size of the obstacle grid
BEND = 80.0  # a bend costs as much as this much length: few bends read best


class Obstacles:
    """Node rectangles by id, with a bucket grid for segment queries."""

    def __init__(self, rects: dict[str, Rect]):
        self.rects = dict(rects)
        self.grid: dict[tuple[int, int], list[str]] = defaultdict(list)
        for key, (l, t, r, b) in self.rects.items():
            for cell in _cells(l - MARGIN, t - MARGIN, r + MARGIN, b + MARGIN):
                self.grid[cell].append(key)

    def near(self, l: float, t: float, r: float, b: float) -> set[str]:
        found: set[str] = set()
        for cell in _cells(l, t, r, b):
            found.update(self.grid.get(cell, ()))
        return found

    def blocked(self, a: Point, b: Point, ends: tuple[str, str]) -> bool:
        """Whether the axis-parallel segment a-b enters a node (with margin) other than its
        ends; it may run along its own ends' sides but never through them."""
        l, r = min(a[0], b[0]), max(a[0], b[0])
        t, bt = min(a[1], b[1]), max(a[1], b[1])
        for key in self.near(l, t, r, bt):
            m = 0.0 if key in ends else MARGIN
            rl, rt, rr, rb = self.rects[key]
            if l < rr + m and r > rl - m and t < rb + m and bt > rt - m:
                return True
        return False


def _cells(l, t, r, b):
    for i in range(int(l // CELL), int(r // CELL) + 1):
        for j in range(int(t // CELL), int(b // CELL) + 1):
            yield i, j


def _clear(points: list[Point], obstacles: Obstacles, ends) -> bool:
    return not any(obstacles.blocked(p, q, ends) for p, q in zip(points, points[1:]))


def _corridors(obstacles: Obstacles, l: float, r: float, ay: float, by: float,
               keys) -> list[float]:
    """Horizontal lines worth trying between x = l and r: just above and below each node in the
    way, the shortest vertical detour first (then the nearest to the middle)."""
    mid = (ay + by) / 2
    ys = {mid}
    for key in keys:
        rl, rt, rr, rb = obstacles.rects[key]
        if rr + MARGIN > l and rl - MARGIN < r:
            ys.update((rt - MARGIN - STUB / 2, rb + MARGIN + STUB / 2))
    return sorted(ys, key=lambda y: (abs(y - ay) + abs(y - by), abs(y - mid)))


def route(a: Point, b: Point, obstacles: Obstacles, ends: tuple[str, str]) -> list[Point]:
    """An orthogonal polyline from output port ``a`` to input port ``b`` around the obstacles
    (``ends``: the two nodes the edge connects). Falls back to the plain shape when no clear
    route is found, so an edge is always drawn."""
    ax, ay = a
    bx, by = b
    x1, x2 = ax + STUB, bx - STUB
    if abs(ay - by) < 0.5 and x2 >= x1 and _clear([a, b], obstacles, ends):
        return [a, b]
    if x2 >= x1:
        for xm in _xs_between(x1, x2):
            path = [a, (xm, ay), (xm, by), b]
            if _clear(path, obstacles, ends):
                return path
    l, r = min(x1, x2), max(x1, x2)
    keys = obstacles.near(l, min(ay, by) - 2 * CELL, r, max(ay, by) + 2 * CELL)
    for yc in _corridors(obstacles, l, r, ay, by, keys)[:24]:  # shortest detour first
        for px in (x1, x1 + STUB):
            for qx in (x2, x2 - STUB):
                path = [a, (px, ay), (px, yc), (qx, yc), (qx, by), b]
                if _clear(path, obstacles, ends):
                    return _simplified(path)
    found = grid_route(a, b, obstacles, ends)
    if found is not None:
        return found
    xm = (x1 + x2) / 2 if x2 >= x1 else x1
    return _simplified([a, (max(xm, x1), ay), (max(xm, x1), by), b])


def grid_route(a: Point, b: Point, obstacles: Obstacles, ends, reach: float = 300.0):
    """The fewest-bends, then shortest, route on the grid of lines that run just outside the
    nodes near the two ports (Dijkstra; the general case the simple shapes above miss, e.g.
    from the first band of a wrapped chain to a loss in its last one)."""
    start, goal = (a[0] + STUB, a[1]), (b[0] - STUB, b[1])
    l, r = min(start[0], goal[0]) - reach, max(start[0], goal[0]) + reach
    t, bt = min(a[1], b[1]) - reach, max(a[1], b[1]) + reach
    xs, ys = {start[0], goal[0]}, {start[1], goal[1]}
    for key in obstacles.near(l, t, r, bt):
        rl, rt, rr, rb = obstacles.rects[key]
        xs.update((rl - MARGIN - STUB / 2, rr + MARGIN + STUB / 2))
        ys.update((rt - MARGIN - STUB / 2, rb + MARGIN + STUB / 2))
    xs, ys = sorted(xs), sorted(ys)
    if len(xs) * len(ys) > 6400:  # too crowded to search at drawing speed
        return None
    xi, yi = {x: i for i, x in enumerate(xs)}, {y: j for j, y in enumerate(ys)}
    begin, end = (xi[start[0]], yi[start[1]]), (xi[goal[0]], yi[goal[1]])
    steps = {0: (1, 0), 1: (-1, 0), 2: (0, 1), 3: (0, -1)}  # east, west, south, north
    free: dict = {}  # segment between neighbouring grid points -> clear?

    def guess(i, j, d):  # A*, never overestimating: the distance, and a bend if one is due
        dx, dy = xs[i] - goal[0], ys[j] - goal[1]
        due = dy != 0 if d < 2 else True  # heading north or south, it must still turn east
        return abs(dx) + abs(dy) + (BEND if due else 0.0)

    best = {(begin, 0): 0.0}
    came: dict = {}
    heap = [(guess(*begin, 0), 0.0, begin, 0)]
    while heap:
        _, cost, (i, j), d = heapq.heappop(heap)
        if cost > best.get(((i, j), d), float("inf")):
            continue
        if (i, j) == end and d != 1:  # never arrive heading west: the wire would fold back
            points = [b, (xs[i], ys[j])]
            state = ((i, j), d)
            while state in came:
                state = came[state]
                points.append((xs[state[0][0]], ys[state[0][1]]))
            points.append(a)
            return _simplified(points[::-1])
        for nd, (di, dj) in steps.items():
            if nd ^ 1 == d:  # no U-turns on the spot
                continue
            ni, nj = i + di, j + dj
            if not (0 <= ni < len(xs) and 0 <= nj < len(ys)):
                continue
            step = abs(xs[ni] - xs[i]) + abs(ys[nj] - ys[j]) + (BEND if nd != d else 0.0)
            state = ((ni, nj), nd)
            if cost + step >= best.get(state, float("inf")):
                continue
            key = (min(i, ni), min(j, nj), di != 0)
            if key not in free:
                free[key] = not obstacles.blocked((xs[i], ys[j]), (xs[ni], ys[nj]), ends)
            if free[key]:
                best[state] = cost + step
                came[state] = ((i, j), d)
                heapq.heappush(heap, (cost + step + guess(ni, nj, nd), cost + step, (ni, nj), nd))
    return None


def _xs_between(x1: float, x2: float) -> list[float]:
    """Vertical runs to try, from the middle of the gap outwards."""
    mid = (x1 + x2) / 2
    steps = [mid, x1, x2] + [x1 + (x2 - x1) * f for f in (0.25, 0.75, 0.125, 0.875)]
    return steps


def _simplified(points: list[Point]) -> list[Point]:
    """Drop repeated points and middle points of straight runs."""
    out: list[Point] = []
    for p in points:
        if out and abs(out[-1][0] - p[0]) < 1e-6 and abs(out[-1][1] - p[1]) < 1e-6:
            continue
        if len(out) >= 2:
            (x0, y0), (x1, y1) = out[-2], out[-1]
            if (abs(x0 - x1) < 1e-6 and abs(x1 - p[0]) < 1e-6) or \
                    (abs(y0 - y1) < 1e-6 and abs(y1 - p[1]) < 1e-6):
                out[-1] = p
                continue
        out.append(p)
    return out


def route_all(edges, ports: dict, rects: dict[str, Rect]) -> dict:
    """Routes for many edges at once: ``edges`` are (key, src_node, dst_node) with ``ports``
    key -> (a, b); used by the benchmark and tests (the canvas routes one edge at a time)."""
    obstacles = Obstacles(rects)
    return {key: route(*ports[key], obstacles, (src, dst)) for key, src, dst in edges}
