"""Layered left-to-right auto-layout (networkx topological generations + barycentre ordering).

Used for documents without positions, for the template files, and by the GUI's Auto-layout; it
returns positions and leaves applying them (a MoveNodes op) to the caller.
"""
from __future__ import annotations

import networkx as nx

from studio.core.document import Graph

COLUMN, ROW = 220.0, 110.0


def layered_positions(graph: Graph, only: set | None = None) -> dict[str, list[float]]:
    """Positions for ``only`` (default: every node), columns by dependency depth."""
    chosen = [n for n in graph.nodes if only is None or n in only]
    g = nx.DiGraph()
    g.add_nodes_from(chosen)
    g.add_edges_from((e.src[0], e.dst[0]) for e in graph.edges
                     if e.src[0] in g and e.dst[0] in g)
    if not nx.is_directed_acyclic_graph(g):  # a cycle: lay out its condensation instead
        g = nx.DiGraph(nx.dfs_tree(g))
        g.add_nodes_from(chosen)
    rank: dict[str, float] = {}
    positions = {}
    for x, generation in enumerate(nx.topological_generations(g)):
        def bary(n):
            preds = [rank[p] for p in g.predecessors(n) if p in rank]
            return sum(preds) / len(preds) if preds else chosen.index(n)
        ordered = sorted(generation, key=lambda n: (bary(n), chosen.index(n)))
        for y, n in enumerate(ordered):
            rank[n] = y
            positions[n] = [x * COLUMN, (y - (len(ordered) - 1) / 2) * ROW]
    if only is not None and chosen:  # keep a laid-out selection where it was
        old = [graph.nodes[n].ui.get("pos") for n in chosen if graph.nodes[n].ui.get("pos")]
        if old:
            dx = min(p[0] for p in old) - min(p[0] for p in positions.values())
            dy = min(p[1] for p in old) - min(p[1] for p in positions.values())
            positions = {n: [p[0] + dx, p[1] + dy] for n, p in positions.items()}
    return positions


def apply_layout(graph: Graph) -> None:
    """Set positions in place (for building documents outside the undo history)."""
    for nid, pos in layered_positions(graph).items():
        graph.nodes[nid].ui["pos"] = pos
