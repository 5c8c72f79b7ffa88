"""The layout measured by the canvas: node sizes from the items, and a re-layout on opening when
the stored positions make nodes overlap.

Documents laid out without a view (templates, imports, the CLI) only guess node sizes from
their text; the canvas knows them. When a guess was too small the nodes overlap on screen and
wires cannot run between them, so the document is laid out again with the measured sizes
before anyone sees it (positions set like the ones a document without positions gets: outside
the undo history, since this is how the document opens, not an edit). Documents opened from a
file keep their positions, overlaps included.

A layout wrapped into bands for a wide view (templates are wrapped for 1600x1000) is wrapped
again for a narrower one on opening (``rewrap_for_view``), so LeNet-5 opens whole on a
1280x800 laptop too; only while the positions are still the automatic ones.
"""
from __future__ import annotations

from studio.core.layout import H_GAP, layered_positions

GAP = 4.0  # nodes closer than this count as touching
LABEL_ROOM = H_GAP - 20.0  # side by side, closer than this leaves no room for a shape label


def measured_sizes(scene) -> dict[str, tuple[float, float]]:
    return {nid: (item.width, item.height) for nid, item in scene.nodes.items()}


def overlapping(scene) -> bool:
    """Whether two node bodies overlap, or stand side by side too close for the shape label
    of a wire between them (sweep over x: sort by left edge)."""
    boxes = sorted((item.pos().x(), item.pos().y(), item.pos().x() + item.width,
                    item.pos().y() + item.height) for item in scene.nodes.values())
    active: list[tuple] = []
    for box in boxes:
        active = [a for a in active if a[2] + LABEL_ROOM > box[0]]
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


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        a[n] is not None and abs(a[n][0] - b[n][0]) < 0.5 and abs(a[n][1] - b[n][1]) < 0.5
        for n in a)


def is_automatic(scene) -> bool:
    """Whether the graph on view still has a layout computed by the layered layout (with
    guessed or measured sizes, or the one this module wrapped for a view), not one a person
    arranged: only such a layout may be wrapped again for another view width."""
    graph = scene.session.graph
    current = {nid: graph.nodes[nid].ui.get("pos") for nid in scene.nodes if nid in graph.nodes}
    ours = getattr(scene, "_wrapped_layout", None)
    if ours is not None and _same(current, ours):
        return True
    return _same(current, layered_positions(graph)) or \
        _same(current, layered_positions(graph, sizes=measured_sizes(scene)))


def _extent(positions: dict, sizes: dict) -> tuple[float, float]:
    xs = [positions[n][0] for n in positions] + [positions[n][0] + sizes[n][0] for n in positions]
    ys = [positions[n][1] for n in positions] + [positions[n][1] + sizes[n][1] for n in positions]
    return max(xs) - min(xs), max(ys) - min(ys)


def rewrap_for_view(scene, room_w: float, room_h: float, readable: float) -> bool:
    """Wrap the graph again for a view whose free area is ``room_w`` x ``room_h`` pixels, when
    its automatic layout was wrapped for a wider one (a template laid out for 1600 px opened
    on a laptop) and does not fit there at the ``readable`` zoom: the bands are cut to the
    width this view shows readably, kept if the whole then fits at a larger zoom. Outside the
    undo history, as on opening; a layout a person arranged is never touched."""
    if len(scene.nodes) < 2 or room_w <= 0 or room_h <= 0:
        return False
    sizes = measured_sizes(scene)
    if sum(w * h for w, h in sizes.values()) * readable ** 2 > room_w * room_h:
        return False  # the nodes alone cover more than the view: no wrapping makes it fit
    graph = scene.session.graph
    current = {nid: item.pos() for nid, item in scene.nodes.items()}
    w, h = _extent({n: (p.x(), p.y()) for n, p in current.items()}, sizes)
    fit = min(room_w / max(w, 1.0), room_h / max(h, 1.0))
    if fit >= readable or not is_automatic(scene):
        return False
    best, best_fit = None, fit
    for width in (room_w / readable * k for k in (1.0, 0.8, 0.6)):
        positions = layered_positions(graph, sizes=sizes, max_width=max(600.0, width))
        pw, ph = _extent(positions, sizes)
        zoom = min(room_w / max(pw, 1.0), room_h / max(ph, 1.0))
        if zoom > best_fit * 1.01:
            best, best_fit = positions, zoom
    if best is None:
        return False
    for nid, pos in best.items():
        graph.nodes[nid].ui["pos"] = pos
    scene._wrapped_layout = best
    scene.move_items(best)
    return True
