"""Level of detail of the canvas, switched as a whole when the zoom crosses ``LOD_TEXT``, and
the colours of the Qt-painted items (ports, wires) kept in step with the theme.

Zoomed far out, text is unreadable specks: nodes paint a plain rectangle, and a per-node device
pixmap only costs (each zoom step re-renders a thousand tiny pixmaps: ~20 % of a frame in
bench/editor.py), and the edge labels' items are hidden so Qt does not even visit them; the
nodes themselves are drawn by the scene in a few batched calls (``draw_overview``). Zoomed
in, the pixmaps make panning cheap (a node's text is rendered once, then copied). One switch per
crossing, from the view's paint, so the scene's items never ask the zoom for themselves.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGraphicsItem

from studio.gui.editor.canvas_items import LOD_TEXT
from studio.gui.theme import ERROR_COLOUR, category_colour, colours


def apply_detail(scene, zoom: float) -> None:
    """Node caches and label visibility for a view at ``zoom`` (nothing if unchanged)."""
    detail = zoom >= LOD_TEXT
    if getattr(scene, "_detail", None) == detail:
        return
    scene._detail = detail
    mode = QGraphicsItem.DeviceCoordinateCache if detail else QGraphicsItem.NoCache
    for item in scene.nodes.values():
        item.setCacheMode(mode)
        item.setFlag(QGraphicsItem.ItemHasNoContents, not detail)  # draw_overview draws them
    for edge in scene.edges.values():
        edge.label_item.setVisible(detail)
    if detail and hasattr(scene, "request_labels"):
        scene.request_labels()  # hidden labels were no obstacle to the ones placed meanwhile


def fresh_item(scene, item) -> None:
    """An item added after the switch takes the scene's current level of detail."""
    if getattr(scene, "_detail", True) is False:
        if hasattr(item, "label_item"):
            item.label_item.setVisible(False)
        else:
            item.setCacheMode(QGraphicsItem.NoCache)
            item.setFlag(QGraphicsItem.ItemHasNoContents, True)


def start(scene) -> None:
    """A new scene's items are made in full detail with the active theme's colours."""
    scene._detail, scene._theme = True, _theme()


def _theme() -> tuple:
    c = colours()
    return (c["node"], c["edge"])


def restyle_on_theme(scene) -> None:
    """Ports and wires hold their pens (Qt paints them); after a theme switch, restyle them."""
    theme = _theme()
    if getattr(scene, "_theme", None) == theme:
        return
    scene._theme = theme
    for node in scene.nodes.values():
        for port in node.ports.values():
            port.restyle()
    for edge in scene.edges.values():
        edge.restyle()


def draw_overview(scene, painter, rect) -> None:
    """Zoomed out, the nodes in ``rect`` as plain rectangles in a few batched calls (one per
    colour) instead of one Python paint per node: ~300 calls a frame at the bench's zoom."""
    if getattr(scene, "_detail", True):
        return
    from studio.gui.editor.edge_items import scene_obstacles
    c = colours()
    batches: dict[str, list] = {}
    for nid in scene_obstacles(scene).near(rect.left(), rect.top(), rect.right(), rect.bottom()):
        item = scene.nodes.get(nid)
        if item is None:
            continue
        key = "select" if item.isSelected() else "error" if item.severity == "error" \
            else item.category
        p = item.pos()
        batches.setdefault(key, []).append(QRectF(p.x(), p.y(), item.width, item.height))
    painter.setPen(Qt.NoPen)
    for key, rects in batches.items():
        colour = QColor(c["select"]) if key == "select" else QColor(ERROR_COLOUR) \
            if key == "error" else category_colour(key).darker(130)
        painter.setBrush(colour)
        painter.drawRects(rects)
