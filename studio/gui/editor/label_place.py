"""Where the edges' shape labels go: beside their wire, never on a node or on another label.

One pass over the scene's output ports, the most cramped first (short wires have the fewest
spots): each port's edges, shortest first, offer spots along their horizontal runs (the middle
first, then towards the ends, above then below the wire) and beside their vertical runs; the
first spot clear of every node body (port knobs included) and of every label placed before it
is taken. After an edit only the touched ports' labels move (the others keep their spots,
indexed in a grid kept on the scene). A port whose edges offer no clear spot shows no label (its wires' tooltips say the
shape): a pill on top of a node or of another pill was unreadable anyway.
"""
from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QRectF

from studio.gui.editor.edge_items import scene_obstacles
from studio.gui.editor.edge_labels import fan_key

GAP = 2.0  # between a pill and its wire
KNOB = 7.0  # a port knob's radius (5 + pen) and a pixel of air
CELL = 240.0  # bucket size of the label grid
ALONG = (0.5, 0.3, 0.7, 0.15, 0.85)


def spots(points, w: float, h: float):
    """Candidate pill rectangles along a routed wire (orthogonal polyline)."""
    segs = list(zip(points, points[1:]))
    flat = sorted((s for s in segs if abs(s[0][1] - s[1][1]) < 0.5),
                  key=lambda s: -abs(s[1][0] - s[0][0]))
    for (x0, y), (x1, _) in flat:
        x0, x1 = min(x0, x1), max(x0, x1)
        for t in ALONG:
            cx = x0 + (x1 - x0) * t
            if x1 - x0 >= w + 2 * KNOB:  # keep the pill alongside its own wire
                cx = min(max(cx, x0 + KNOB + w / 2), x1 - KNOB - w / 2)
            for gap in (GAP, KNOB):  # close to the wire; else clear of the port knobs
                yield QRectF(cx - w / 2, y - h - gap, w, h)
                yield QRectF(cx - w / 2, y + gap, w, h)
    for (x, y0), (x2, y1) in segs:
        if abs(x - x2) < 0.5 and abs(y1 - y0) >= h:
            cy = (y0 + y1) / 2
            yield QRectF(x + GAP + 2, cy - h / 2, w, h)
            yield QRectF(x - GAP - 2 - w, cy - h / 2, w, h)


class _Rects:
    """Rectangles in a bucket grid: does a new one intersect any of them? (A full placement
    asks thousands of times; the scene's own index re-sorts itself after every moved label.)"""

    def __init__(self):
        self.grid: dict[tuple[int, int], list[QRectF]] = defaultdict(list)

    def _cells(self, r: QRectF):
        for i in range(int(r.left() // CELL), int(r.right() // CELL) + 1):
            for j in range(int(r.top() // CELL), int(r.bottom() // CELL) + 1):
                yield i, j

    def add(self, r: QRectF) -> None:
        for cell in self._cells(r):
            self.grid[cell].append(r)

    def hits(self, r: QRectF) -> bool:
        return any(r.intersects(o) for cell in self._cells(r) for o in self.grid.get(cell, ()))


class LabelGrid:
    """The placed labels of a scene in a bucket grid, kept as labels move (only
    :func:`place_labels` moves them), so a placement asks only the labels near a spot."""

    def __init__(self):
        self.cells: dict[tuple[int, int], set] = defaultdict(set)

    @staticmethod
    def _cells(r: QRectF):
        for i in range(int(r.left() // CELL), int(r.right() // CELL) + 1):
            for j in range(int(r.top() // CELL), int(r.bottom() // CELL) + 1):
                yield i, j

    def place(self, label, rect: QRectF | None) -> None:
        if label.placed:
            for cell in self._cells(label.rect):
                self.cells[cell].discard(label)
        label.set_place(rect)
        if label.placed:
            for cell in self._cells(label.rect):
                self.cells[cell].add(label)

    def near(self, r: QRectF) -> set:
        return set().union(*(self.cells.get(cell, ()) for cell in self._cells(r)))


def grid_of(scene) -> LabelGrid:
    grid = getattr(scene, "_label_grid", None)
    if grid is None:
        grid = scene._label_grid = LabelGrid()
    return grid


def _body(item) -> QRectF:
    p = item.pos()
    return QRectF(p.x() - 1, p.y() - 1, item.width + 2, item.height + 2)


def _knob(port) -> QRectF:
    at = port.scenePos()
    return QRectF(at.x() - KNOB, at.y() - KNOB + 1, 2 * KNOB, 2 * KNOB - 2)


def _blocked(scene, grid: LabelGrid, rect: QRectF, fan) -> bool:
    """Whether ``rect`` covers a node body, a port knob, or a label placed for another port
    (nodes from the routing's index of node rectangles, labels from the grid)."""
    for nid in scene_obstacles(scene).near(rect.left(), rect.top(), rect.right(), rect.bottom()):
        item = scene.nodes.get(nid)
        if item is not None and (rect.intersects(_body(item)) or
                                 any(rect.intersects(_knob(p)) for p in item.ports.values())):
            return True
    return any(label.edge_item not in fan and rect.intersects(label.rect)
               for label in grid.near(rect))


def place_labels(scene, only: set | None = None) -> None:
    """Place the labels of ``scene`` (a ``GraphScene``) as the module docstring says: every
    port's, or only those of the output ports in ``only`` (an edit touched their wires or
    text; the others keep their spots, which the new ones avoid)."""
    if only is None:
        scene._label_grid = None  # start afresh: every label is placed again
        edges = list(scene.edges.values())
    else:
        edges = {e for src in only for e in scene._by_node.get(src[0], ()) if e.edge.src == src}
    grid = grid_of(scene)
    fans: dict[tuple, list] = defaultdict(list)
    for edge_item in edges:
        if edge_item.label_item.text:
            fans[edge_item.edge.src].append(edge_item)
        grid.place(edge_item.label_item, None)  # out of the way of the spots being chosen
    order = sorted(fans.values(), key=lambda fan: (min(fan_key(e)[0] for e in fan),
                                                   fan[0].edge.src))
    for fan in order:
        fan.sort(key=fan_key)
        for edge_item in fan:
            w, h = edge_item.label_item.size()
            spot = next((r for r in spots(edge_item.points, w, h)
                         if not _blocked(scene, grid, r, fan)), None)
            if spot is not None:
                grid.place(edge_item.label_item, spot)
                break


def forget_label(scene, label) -> None:
    """A removed edge's label leaves the grid."""
    grid = getattr(scene, "_label_grid", None)
    if grid is not None and label.placed:
        grid.place(label, None)
