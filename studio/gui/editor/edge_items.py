"""Edge items: a wire from an output port to an input port, routed orthogonally around the
other nodes (``studio.core.routing``) with rounded corners, labelled with the tensor shape it
carries; and the wire that follows the mouse while connecting.

The scene owns one ``Obstacles`` index of node rectangles (rebuilt lazily after a node moves,
appears or disappears), so a route checks only the nodes near it.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from studio.core.routing import Obstacles, route
from studio.gui.editor.edge_labels import ShapeLabel
from studio.gui.theme import ERROR_COLOUR, OK_COLOUR, colours

CORNER = 10.0  # radius of a wire's bends


def body_rect(item) -> QRectF:
    """The node's body in scene coordinates (badges and port knobs stick out of it)."""
    width = getattr(item, "width", None) or item.boundingRect().width() - 14
    return QRectF(item.pos(), QRectF(0, 0, width, item.height).size())


def scene_obstacles(scene) -> Obstacles:
    """The scene's node rectangles as routing obstacles, rebuilt after ``invalidate_routes``."""
    cached = getattr(scene, "_route_obstacles", None)
    if cached is None:
        rects = {}
        for nid, item in scene.nodes.items():
            r = body_rect(item)
            rects[nid] = (r.left(), r.top(), r.right(), r.bottom())
        cached = scene._route_obstacles = Obstacles(rects)
    return cached


def invalidate_routes(scene) -> None:
    scene._route_obstacles = None


def reroute_crossing(scene, node_item) -> None:
    """Re-route the other wires that now run under ``node_item`` (it was moved onto them)."""
    body = body_rect(node_item)
    for item in scene.items(body, Qt.IntersectsItemShape):
        if isinstance(item, EdgeItem) and node_item not in (item.src, item.dst):
            item.update_path()


def rounded(points) -> QPainterPath:
    """An orthogonal polyline with its corners rounded (radius at most half a segment)."""
    path = QPainterPath(QPointF(*points[0]))
    for i in range(1, len(points) - 1):
        (px, py), (cx, cy), (nx, ny) = points[i - 1], points[i], points[i + 1]
        r_in = min(CORNER, (abs(cx - px) + abs(cy - py)) / 2)
        r_out = min(CORNER, (abs(nx - cx) + abs(ny - cy)) / 2)
        r = min(r_in, r_out)
        before = QPointF(cx - r * _sign(cx - px), cy - r * _sign(cy - py))
        after = QPointF(cx + r * _sign(nx - cx), cy + r * _sign(ny - cy))
        path.lineTo(before)
        path.quadTo(QPointF(cx, cy), after)
    path.lineTo(QPointF(*points[-1]))
    return path


def _sign(v: float) -> float:
    return (v > 0) - (v < 0)


class EdgeItem(QGraphicsPathItem):
    """A routed wire from an output port to an input port, with the carried shape as its label
    (a child :class:`~studio.gui.editor.edge_labels.ShapeLabel`).

    Drawn by Qt's own path item: a Python ``paint`` per wire cost ~4 ms of a frame showing a
    thousand of them. Its pen changes when the wire turns valid/invalid or the theme changes
    (:meth:`restyle`), not at every paint."""

    def __init__(self, edge, src, dst):
        super().__init__()
        self.edge, self.src, self.dst = edge, src, dst
        self.label, self.ok, self.spec = "", True, False  # False: never labelled yet
        self.points: list[tuple[float, float]] = []
        self.path = QPainterPath()
        self.label_item = ShapeLabel(self)
        self.setZValue(0)
        self.restyle()
        self.update_path()

    def set_label(self, label: str, ok: bool) -> None:
        if (label, ok) != (self.label, self.ok):
            changed = ok != self.ok
            self.label, self.ok = label, ok
            self.label_item.set_text(label)
            if changed:
                self.restyle()

    def restyle(self) -> None:
        pen = QPen(QColor(colours()["edge"] if self.ok else ERROR_COLOUR), 1.8)
        if not self.ok:
            pen.setStyle(Qt.DashLine)
        self.setPen(pen)

    def update_path(self) -> None:
        a = self.src.port_pos("out", self.edge.src[1])
        b = self.dst.port_pos("in", self.edge.dst[1])
        scene = self.src.scene()
        if scene is not None and hasattr(scene, "nodes"):
            ends = (self.edge.src[0], self.edge.dst[0])
            self.points = route((a.x(), a.y()), (b.x(), b.y()), scene_obstacles(scene), ends)
        else:
            self.points = [(a.x(), a.y()), (b.x(), b.y())]
        self.path = rounded(self.points)
        self.setPath(self.path)
        self.label_item.request()

    def shape(self):
        # wider than the pen, so that a drop or a click near a wire finds it
        stroker = QPainterPathStroker()
        stroker.setWidth(8)
        return stroker.createStroke(self.path)


def bezier(a: QPointF, b: QPointF) -> QPainterPath:
    path = QPainterPath(a)
    dx = max(40.0, abs(b.x() - a.x()) / 2)
    path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path


class WireItem(QGraphicsItem):
    """The wire that follows the mouse while connecting; red when the target is incompatible."""

    def __init__(self, start: QPointF, from_output: bool):
        super().__init__()
        self.start, self.end, self.from_output, self.state = start, start, from_output, None
        self.setZValue(3)

    def set_end(self, end: QPointF, state) -> None:
        self.prepareGeometryChange()
        self.end, self.state = end, state
        self.update()

    def _path(self):
        return bezier(self.start, self.end) if self.from_output else bezier(self.end, self.start)

    def boundingRect(self) -> QRectF:
        return self._path().boundingRect().adjusted(-3, -3, 3, 3)

    def paint(self, painter, option, widget=None):
        colour = {"ok": OK_COLOUR, "bad": ERROR_COLOUR}.get(self.state, colours()["select"])
        painter.setPen(QPen(QColor(colour), 2, Qt.DashLine))
        painter.drawPath(self._path())
