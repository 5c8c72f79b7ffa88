"""Layered auto-layout that reads like an architecture diagram (left to right, pure geometry).

Used for documents without positions, for the template files, and by the GUI's Auto-layout; it
returns top-left positions and leaves applying them (a MoveNodes op) to the caller.

Steps (a Sugiyama-style layering on networkx, chosen over pyelk and grandalf: see
docs/architecture.md):

1. rank = longest path from the sources; a source that feeds nothing but later nodes (a Target,
   a second Input) is ranked just before its first consumer, so targets sit next to their loss;
2. nodes of one rank form a column, ordered by the barycentre of their predecessors, so
   branches and merges stand side by side;
3. a graph wider than ``max_width`` wraps like text: its columns are cut into bands of about
   equal width stacked top to bottom (ELK's "graph wrapping"), keeping the flow left to right
   and the ports on their fixed sides;
4. an encoder-decoder (nested skip edges along the longest path, like U-Net, with at most
   MAX_BOTTOM nodes between the innermost pair) forms a U instead: input above the encoder,
   encoder down one column, bottleneck at the bottom, decoder up the next, output above it, so
   every skip is a short horizontal wire between mirrored nodes; an autoencoder (its Input
   feeding the loss at the end of a chain of MIN_FOLD or more) folds the same way, input and
   loss facing each other across the top.

Every step places nodes on a grid of cells (column, row); column widths and row heights come
from the node sizes given (``sizes``) or estimated from titles when no view exists (templates).
"""
from __future__ import annotations

import networkx as nx

import nodes
from studio.core.document import Graph, Node

H_GAP, V_GAP, BAND_GAP = 110.0, 36.0, 44.0  # room for a shape label (~12 characters) between
# columns, for wire bends between rows and bands
MAX_BOTTOM = 3  # most nodes along the bottom of a U
MIN_FOLD = 8  # shortest input-to-loss chain worth folding into a U (shorter ones fit a row)
MAX_WIDTH = 1200.0  # fits the canvas of a 1600x1000 window at the readable zoom
HEADER, SUMMARY, ROW, PAD = 24.0, 18.0, 16.0, 6.0  # as the canvas draws nodes
MIN_W, MAX_W = 150.0, 300.0  # the canvas's node widths
TITLE_CHAR_W, SUMMARY_CHAR_W = 8.5, 7.2  # a character of the title / summary font, generously

Size = tuple[float, float]
Cell = tuple[int, int]


def estimated_size(node: Node, ins: int = 1, outs: int = 1) -> Size:
    """A node's size without a view: its title's and summary's length, one row per port
    (generous, since a guess too small makes nodes overlap once the canvas measures them)."""
    t = nodes.lookup(node.type)
    title = node.name or (f"{node.id} · {t.title}" if t is not None else node.id)
    need = TITLE_CHAR_W * len(title) + 30
    if t is not None:
        values = {**t.defaults(), **node.params}
        summary = "  ".join(_short(values[k]) if k in ("shape", "block") else
                            f"{k}={_short(values[k])}" for k in t.summary if k in values)
        need = max(need, SUMMARY_CHAR_W * len(summary) + 20)
    width = min(MAX_W, max(MIN_W, -(-need // 10) * 10))
    return width, HEADER + SUMMARY + max(ins, outs, 1) * ROW + PAD


def _short(value) -> str:
    return "×".join(map(str, value)) if isinstance(value, list) else str(value)


def estimated_sizes(graph: Graph, chosen) -> dict[str, Size]:
    """Sizes of ``chosen`` nodes, counting the ports their edges use."""
    ins: dict[str, set] = {}
    outs: dict[str, set] = {}
    for e in graph.edges:
        ins.setdefault(e.dst[0], set()).add(e.dst[1])
        outs.setdefault(e.src[0], set()).add(e.src[1])
    return {n: estimated_size(graph.nodes[n], len(ins.get(n, ())), len(outs.get(n, ())))
            for n in chosen}


def dag_of(graph: Graph, chosen: list[str]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(chosen)
    g.add_edges_from((e.src[0], e.dst[0]) for e in graph.edges
                     if e.src[0] in g and e.dst[0] in g and e.src[0] != e.dst[0])
    if not nx.is_directed_acyclic_graph(g):  # a cycle (a broken file): lay out a spanning tree
        tree = nx.DiGraph(nx.dfs_tree(g))
        tree.add_nodes_from(chosen)
        return tree
    return g


def ranks_of(g: nx.DiGraph) -> dict[str, int]:
    """Longest-path ranks; extra sources move right to just before their first consumer."""
    order = list(nx.topological_sort(g))
    rank: dict[str, int] = {}
    for n in order:
        rank[n] = max((rank[p] + 1 for p in g.predecessors(n)), default=0)
    main = max((n for n in order if g.in_degree(n) == 0),
               key=lambda n: len(nx.descendants(g, n)), default=None)
    for n in reversed(order):
        if g.in_degree(n) == 0 and n != main and g.out_degree(n):
            rank[n] = max(0, min(rank[s] for s in g.successors(n)) - 1)
    return rank


def ordered_columns(g: nx.DiGraph, rank: dict[str, int], chosen: list[str]) -> list[list[str]]:
    index = {n: i for i, n in enumerate(chosen)}
    columns: list[list[str]] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for n in chosen:
        columns[rank[n]].append(n)
    slot: dict[str, float] = {}
    for column in columns:
        def bary(n):
            preds = [slot[p] for p in g.predecessors(n) if p in slot]
            return sum(preds) / len(preds) if preds else len(column) + index[n] / 1e6
        column.sort(key=lambda n: (bary(n), index[n]))
        for i, n in enumerate(column):
            slot[n] = i
    return columns


def wrapped_cells(columns, sizes, max_width: float) -> tuple[dict[str, Cell], list[int]]:
    """Columns cut into the fewest bands no wider than ``max_width`` (one column may exceed
    it), balanced so that the widest band is as narrow as it can be; each band below the
    previous one. Returns the cells and the grid row each band starts at."""
    widths = [max(sizes[n][0] for n in c) + H_GAP if c else 0.0 for c in columns]
    cuts = _balanced_cuts(widths, max_width)
    cells: dict[str, Cell] = {}
    starts, row0 = [], 0
    for lo, hi in zip([0] + cuts, cuts + [len(columns)]):
        starts.append(row0)
        for x, column in enumerate(columns[lo:hi]):
            for i, n in enumerate(column):
                cells[n] = (x, row0 + i)
        row0 += max((len(c) for c in columns[lo:hi]), default=1)
    return cells, starts


def _greedy(widths: list[float], limit: float) -> list[int]:
    cuts, used = [], 0.0
    for i, w in enumerate(widths):
        if used and used + w > limit:
            cuts.append(i)
            used = 0.0
        used += w
    return cuts


def _balanced_cuts(widths: list[float], max_width: float) -> list[int]:
    """Where bands start: as many bands as ``max_width`` needs, each as wide as the widest
    must be (binary search on the band width limit, greedy filling)."""
    bands = len(_greedy(widths, max_width)) + 1
    lo, hi = max(widths, default=0.0), max(sum(widths), max_width)
    for _ in range(30):
        mid = (lo + hi) / 2
        if len(_greedy(widths, mid)) + 1 <= bands:
            hi = mid
        else:
            lo = mid
    return _greedy(widths, hi)


def nested_skips(g: nx.DiGraph, spine: list[str]) -> list[tuple[int, int]]:
    """Skip edges along the spine (as spine indices) when they nest like U-Net's, else []."""
    at = {n: i for i, n in enumerate(spine)}
    skips = sorted((at[a], at[b]) for a, b in g.edges
                   if a in at and b in at and at[b] - at[a] > 1)
    if len(skips) < 2:
        return []
    for (a1, b1), (a2, b2) in zip(skips, skips[1:]):
        if not (a1 < a2 < b2 < b1):
            return []
    if skips[-1][1] - skips[-1][0] - 1 > MAX_BOTTOM:  # a long middle reads better wrapped
        return []
    return skips


def reconstruction_fold(g: nx.DiGraph) -> tuple[list[str], list[tuple[int, int]]]:
    """An autoencoder (an Input feeding the loss at the far end of a long chain, every other
    node an output or target beside it) folds into a U too: the input and its loss face each
    other across the top. Returns a spine and skips that make u_cells fold it in the middle,
    or ([], []) when the graph is not such a chain."""
    for source in (n for n in g if g.in_degree(n) == 0):
        for sink in (n for n in g.successors(source) if g.out_degree(n) == 0):
            inner = (nx.descendants(g, source) & nx.ancestors(g, sink)) | {source, sink}
            spine = nx.dag_longest_path(g.subgraph(inner))
            if len(spine) < MIN_FOLD or spine[0] != source or spine[-1] != sink:
                continue
            rest = set(g) - set(spine)
            if any(g.degree(n) > 2 or (g.in_degree(n) and g.out_degree(n)) for n in rest):
                continue
            m = -(-(len(spine) - 3) // 2)  # the decoder climbs back to just below the top
            return spine, [(0, len(spine) - 1), (m, m + 2)]
    return [], []


def u_cells(g: nx.DiGraph, spine: list[str], skips, columns) -> dict[str, Cell]:
    """Encoder down one column, bottleneck along the bottom, decoder up the next: the skips
    run level. What comes before the encoder stands above it (the input top left), what
    comes after the decoder above the decoder and on to the right (the output top right),
    as in the U-Net paper's figure."""
    (_, outer_b), (inner_a, inner_b) = skips[0], skips[-1]
    cells: dict[str, Cell] = {}
    for level, n in enumerate(spine[:inner_a + 1]):  # prefix, then encoder, going down
        cells[n] = (0, level)
    bottom, col = inner_a + 1, 0
    for n in spine[inner_a + 1:inner_b]:
        col += 1
        cells[n] = (col, bottom)
    col += 1
    level_of = {spine[a]: cells[spine[a]][1] for a, _ in skips}
    level = bottom
    for i in range(inner_b, outer_b + 1):
        sources = [a for a, b in skips if b == i]
        level = level_of[spine[sources[0]]] if sources else max(0, level - 1)
        cells[spine[i]] = (col, level)
    suffix = spine[outer_b + 1:]
    if suffix:  # the first one above the decoder's end, the rest to its right
        cells[suffix[0]] = (col, level - 1)
        for j, n in enumerate(suffix[1:], start=1):
            cells[n] = (col + j, level - 1)
    place_off_spine(g, cells, columns)
    top = min(r for _, r in cells.values())
    return {n: (c, r - top) for n, (c, r) in cells.items()}


def place_off_spine(g: nx.DiGraph, cells: dict[str, Cell], columns) -> None:
    """Nodes off the spine go beside a placed neighbour: after a predecessor, before a successor."""
    taken = set(cells.values())
    pending = [n for c in columns for n in c if n not in cells]
    while pending:
        left = []
        for n in pending:
            preds = [cells[p] for p in g.predecessors(n) if p in cells]
            succs = [cells[s] for s in g.successors(n) if s in cells]
            if not preds and not succs:
                left.append(n)
                continue
            # after a predecessor; a target below the loss it feeds
            col, row = (max(preds)[0] + 1, max(preds)[1]) if preds else \
                (min(succs)[0], min(succs)[1] + 1)
            while (col, row) in taken:
                row += 1
            cells[n] = (max(col, 0), row)
            taken.add(cells[n])
        if len(left) == len(pending):  # an island: start it in a fresh column
            cells[left[0]] = (max(c for c, _ in taken) + 1 if taken else 0, 0)
            taken.add(cells[left[0]])
            left = left[1:]
        pending = left


def cells_to_positions(cells: dict[str, Cell], sizes, band_starts=(0,)) -> dict[str, list[float]]:
    """Top-left positions from grid cells: in each band a column is as wide as its widest
    node, and each row as tall as its tallest; extra room above a band for the wires that
    wrap into it."""
    starts = sorted(set(band_starts) | {0})
    band = {r: max(b for b in starts if b <= r) for r in range(max(r for _, r in cells.values()) + 1)}
    widths: dict[tuple[int, int], float] = {}
    heights = [0.0] * len(band)
    for n, (c, r) in cells.items():
        widths[band[r], c] = max(widths.get((band[r], c), 0.0), sizes[n][0])
        heights[r] = max(heights[r], sizes[n][1])
    xs: dict[tuple[int, int], float] = {}
    for b in starts:
        x = 0.0
        for c in range(max((c for (bb, c) in widths if bb == b), default=-1) + 1):
            xs[b, c] = x
            x += widths.get((b, c), 0.0) + H_GAP
    ys = [0.0]
    for r, h in enumerate(heights):
        ys.append(ys[-1] + h + V_GAP + (BAND_GAP if r + 1 in starts else 0.0))
    return {n: [xs[band[r], c], ys[r]] for n, (c, r) in cells.items()}


def layered_positions(graph: Graph, only: set | None = None, sizes: dict | None = None,
                      max_width: float = MAX_WIDTH) -> dict[str, list[float]]:
    """Top-left positions for ``only`` (default: every node); ``sizes``: node id -> (w, h)."""
    chosen = [n for n in graph.nodes if only is None or n in only]
    if not chosen:
        return {}
    guessed = estimated_sizes(graph, [n for n in chosen if n not in (sizes or {})])
    sizes = {n: (sizes or {}).get(n) or guessed[n] for n in chosen}
    g = dag_of(graph, chosen)
    rank = ranks_of(g)
    columns = ordered_columns(g, rank, chosen)
    spine = nx.dag_longest_path(g)
    skips = nested_skips(g, spine)
    if not skips:
        spine, skips = reconstruction_fold(g)
    if skips:
        cells, bands = u_cells(g, spine, skips, columns), [0]
    else:
        cells, bands = wrapped_cells(columns, sizes, max_width)
    positions = cells_to_positions(cells, sizes, bands)
    if only is not None:  # keep a laid-out selection where it was
        old = [graph.nodes[n].ui.get("pos") for n in chosen if graph.nodes[n].ui.get("pos")]
        if old:
            dx = min(p[0] for p in old) - min(p[0] for p in positions.values())
            dy = min(p[1] for p in old) - min(p[1] for p in positions.values())
            positions = {n: [p[0] + dx, p[1] + dy] for n, p in positions.items()}
    return positions


def apply_layout(graph: Graph, sizes: dict | None = None) -> None:
    """Set positions in place (for building documents outside the undo history)."""
    for nid, pos in layered_positions(graph, sizes=sizes).items():
        graph.nodes[nid].ui["pos"] = pos
