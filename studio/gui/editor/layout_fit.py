"""The layout measured by the canvas: node sizes from the items, and a re-layout on opening when
the stored positions make nodes overlap.

Documents laid out without a view (templates, imports, the CLI) only guess node sizes from
their text; the canvas knows them. When a guess was too small the nodes overlap on screen and
wires cannot run between them, so the document is laid out again with the measured sizes
before anyone sees it (positions set like the ones a document without positions gets: outside
the undo history, since this is how the document opens, not an edit). Documents opened from a
file keep their positions, overlaps included.
"""
from __future__ import annotations

from studio.core.layout import layered_positions

GAP = 4.0  # nodes closer than this count as touching


def measured_sizes(scene) -> dict[str, tuple[float, float]]:
    return {nid: (item.width, item.height) for nid, item in scene.nodes.items()}


def overlapping(scene) -> bool:
    """Whether two node bodies overlap (sweep over x: sort by left edge)."""
    boxes = sorted((item.pos().x(), item.pos().y(), item.pos().x() + item.width,
                    item.pos().y() + item.height) for item in scene.nodes.values())
    active: list[tuple] = []
    for box in boxes:
        active = [a for a in active if a[2] + GAP > box[0]]
        if any(a[1] < box[3] + GAP and box[1] < a[3] + GAP for a in active):
            return True
        active.append(box)
    return False


def settle_overlaps(scene) -> bool:
    """Lay the graph on view out again with measured sizes if its nodes overlap, unless the
    document came from a file: there a person placed the nodes (a template or an import has
    no file yet)."""
    if scene.session.path or len(scene.nodes) < 2 or not overlapping(scene):
        return False
    graph = scene.session.graph
    positions = layered_positions(graph, sizes=measured_sizes(scene))
    for nid, pos in positions.items():
        graph.nodes[nid].ui["pos"] = pos
    scene.move_items(positions)
    return True
