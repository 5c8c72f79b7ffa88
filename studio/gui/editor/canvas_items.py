"""Scene items: a node (title, category colour, key params, ports, diagnostic badge), its
ports, and edges drawn as curves labelled with the tensor shape they carry.

Items hold only what they draw; the document is the truth and the scene refreshes items from it.
Node items are cached as device pixmaps (PLATFORM-NOTES: 35–40 % faster repaints).
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from studio.gui.theme import ERROR_COLOUR, OK_COLOUR, WARNING_COLOUR, category_colour, colours

WIDTH, HEADER, SUMMARY, ROW, PAD = 150.0, 22.0, 18.0, 16.0, 6.0
LOD_TEXT = 0.4  # below this zoom nodes and edges are drawn without text
GRID = 10.0  # moves snap to this grid
TITLE_FONT = QFont("Sans Serif", 9, QFont.DemiBold)
SMALL_FONT = QFont("Sans Serif", 8)
LABEL_FONT = QFont("Monospace", 7)


def format_value(value) -> str:
    if isinstance(value, list):
        return "×".join(map(str, value)) or "[]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class PortItem(QGraphicsItem):
    """A connection point; dragging from it draws a wire (handled by the scene)."""

    RADIUS = 5.0

    def __init__(self, parent, node_id: str, name: str, kind: str, pos: QPointF):
        super().__init__(parent)
        self.node_id, self.name, self.kind = node_id, name, kind
        self.state = None  # None, "ok" or "bad" while a wire hovers over it
        self.setPos(pos)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CrossCursor)

    @property
    def end(self) -> tuple[str, str]:
        return (self.node_id, self.name)

    def boundingRect(self) -> QRectF:
        r = self.RADIUS + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def set_state(self, state) -> None:
        if state != self.state:
            self.state = state
            self.update()

    def paint(self, painter, option, widget=None):
        c = colours()
        fill = {"ok": OK_COLOUR, "bad": ERROR_COLOUR}.get(self.state, c["edge"])
        painter.setPen(QPen(QColor(c["node"]), 1.5))
        painter.setBrush(QColor(fill))
        r = self.RADIUS + (2 if self.state else 0)
        painter.drawEllipse(QPointF(0, 0), r, r)


class NodeItem(QGraphicsItem):
    def __init__(self, node_id: str):
        super().__init__()
        self.node_id = node_id
        self.title, self.category, self.summary = "", "", ""
        self.severity, self.messages, self.param_count = None, [], 0
        self.ports: dict[tuple[str, str], PortItem] = {}
        self.in_names, self.out_names = [], []
        self.height = HEADER + SUMMARY + PAD
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable |
                      QGraphicsItem.ItemSendsScenePositionChanges)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.setZValue(1)

    # ---- content from the document --------------------------------------------------------
    def set_content(self, title, category, summary, in_names, out_names, is_block=False) -> None:
        self.prepareGeometryChange()
        self.title, self.category, self.summary = title, category, summary
        self.is_block = is_block
        if (in_names, out_names) != (self.in_names, self.out_names) or not self.ports:
            for port in self.ports.values():
                port.setParentItem(None)
                if port.scene():
                    port.scene().removeItem(port)
            self.ports = {}
            self.in_names, self.out_names = list(in_names), list(out_names)
            for i, name in enumerate(in_names):
                self.ports[("in", name)] = PortItem(self, self.node_id, name, "in",
                                                     QPointF(0, self.port_y(i)))
            for i, name in enumerate(out_names):
                self.ports[("out", name)] = PortItem(self, self.node_id, name, "out",
                                                      QPointF(WIDTH, self.port_y(i)))
        rows = max(len(self.in_names), len(self.out_names))
        self.height = HEADER + SUMMARY + rows * ROW + PAD
        self.update()

    def set_diagnostics(self, severity, messages, param_count: int) -> None:
        if (severity, messages, param_count) == (self.severity, self.messages, self.param_count):
            return
        self.severity, self.messages, self.param_count = severity, messages, param_count
        tip = "\n".join(messages) if messages else ""
        self.setToolTip(f"{self.node_id}: {tip}" if tip else "")
        self.update()

    @staticmethod
    def port_y(i: int) -> float:
        return HEADER + SUMMARY + ROW * i + ROW / 2

    def port_pos(self, kind: str, name: str) -> QPointF:
        port = self.ports.get((kind, name))
        if port is None:  # an edge to a port the node lacks (a broken file): draw to the edge
            return self.scenePos() + QPointF(0 if kind == "in" else WIDTH, HEADER / 2)
        return port.scenePos()

    # ---- painting -------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(-2, -10, WIDTH + 14, self.height + 12)

    def paint(self, painter, option, widget=None):
        c = colours()
        body = QRectF(0, 0, WIDTH, self.height)
        accent = category_colour(self.category)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < LOD_TEXT:
            # zoomed far out: text would be unreadable specks, and costs most of a frame
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(ERROR_COLOUR) if self.severity == "error" else accent.darker(130))
            painter.drawRect(body)
            return
        border = QColor(c["select"]) if self.isSelected() else QColor(c["node_border"])
        if self.severity == "error":
            border = QColor(ERROR_COLOUR) if not self.isSelected() else border
        painter.setPen(QPen(border, 2 if self.isSelected() or self.severity else 1))
        painter.setBrush(QColor(c["node"]))
        painter.drawRoundedRect(body, 6, 6)
        head = QPainterPath()
        head.addRoundedRect(QRectF(1, 1, WIDTH - 2, HEADER), 5, 5)
        head.addRect(QRectF(1, HEADER - 6, WIDTH - 2, 6))
        painter.fillPath(head.simplified(), QBrush(accent.darker(160 if c is not None else 100)))
        painter.fillRect(QRectF(1, 1, 4, HEADER), accent)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(TITLE_FONT)
        metrics = QFontMetricsF(TITLE_FONT)
        title = ("▣ " if getattr(self, "is_block", False) else "") + self.title
        painter.drawText(QRectF(10, 0, WIDTH - 30, HEADER), Qt.AlignVCenter,
                         metrics.elidedText(title, Qt.ElideRight, WIDTH - 30))
        painter.setFont(SMALL_FONT)
        small = QFontMetricsF(SMALL_FONT)
        painter.setPen(QColor(c["dim"]))
        painter.drawText(QRectF(8, HEADER, WIDTH - 16, SUMMARY), Qt.AlignVCenter,
                         small.elidedText(self.summary, Qt.ElideRight, WIDTH - 16))
        painter.setPen(QColor(c["text"]))
        for i, name in enumerate(self.in_names):
            painter.drawText(QRectF(10, self.port_y(i) - ROW / 2, WIDTH / 2, ROW),
                             Qt.AlignVCenter, name)
        for i, name in enumerate(self.out_names):
            painter.drawText(QRectF(WIDTH / 2 - 10, self.port_y(i) - ROW / 2, WIDTH / 2, ROW),
                             Qt.AlignVCenter | Qt.AlignRight, name)
        if self.severity:
            colour = ERROR_COLOUR if self.severity == "error" else WARNING_COLOUR
            painter.setPen(QPen(QColor(c["node"]), 1.5))
            painter.setBrush(QColor(colour))
            painter.drawEllipse(QPointF(WIDTH - 2, 0), 8, 8)
            painter.setPen(QColor("#ffffff"))
            painter.setFont(TITLE_FONT)
            painter.drawText(QRectF(WIDTH - 10, -8, 16, 16), Qt.AlignCenter, "!")

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionChange and self.scene() is not None \
                and self.scene().mouseGrabberItem() is not None:
            return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        if change == QGraphicsItem.ItemScenePositionHasChanged and self.scene() is not None:
            self.scene().node_moved(self.node_id)
        return super().itemChange(change, value)


class EdgeItem(QGraphicsItem):
    """A bezier from an output port to an input port, with the carried shape as its label."""

    def __init__(self, edge, src: NodeItem, dst: NodeItem):
        super().__init__()
        self.edge, self.src, self.dst = edge, src, dst
        self.label, self.ok, self.spec = "", True, False  # False: never labelled yet
        self.path = QPainterPath()
        self.label_rect = QRectF()
        self.setZValue(0)
        self.update_path()

    def set_label(self, label: str, ok: bool) -> None:
        if (label, ok) != (self.label, self.ok):
            self.prepareGeometryChange()
            self.label, self.ok = label, ok
            self._place_label()
            self.update()

    def update_path(self) -> None:
        self.prepareGeometryChange()
        a = self.src.port_pos("out", self.edge.src[1])
        b = self.dst.port_pos("in", self.edge.dst[1])
        self.path = bezier(a, b)
        self._place_label()

    def _place_label(self) -> None:
        if not self.label:
            self.label_rect = QRectF()
            return
        mid = self.path.pointAtPercent(0.5)
        w = QFontMetricsF(LABEL_FONT).horizontalAdvance(self.label) + 8
        self.label_rect = QRectF(mid.x() - w / 2, mid.y() - 15, w, 12)

    def boundingRect(self) -> QRectF:
        return self.path.boundingRect().united(self.label_rect).adjusted(-3, -3, 3, 3)

    def shape(self):
        from PySide6.QtGui import QPainterPathStroker
        stroker = QPainterPathStroker()
        stroker.setWidth(8)
        return stroker.createStroke(self.path)

    def paint(self, painter, option, widget=None):
        c = colours()
        colour = QColor(c["edge"] if self.ok else ERROR_COLOUR)
        if self.isSelected():
            colour = QColor(c["select"])
        pen = QPen(colour, 1.8)
        if not self.ok:
            pen.setStyle(Qt.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawPath(self.path)
        if self.label and option.levelOfDetailFromTransform(painter.worldTransform()) >= LOD_TEXT:
            painter.setPen(Qt.NoPen)
            painter.setBrush(QColor(c["canvas"]))
            painter.drawRoundedRect(self.label_rect, 3, 3)
            painter.setPen(QColor(c["label"]))
            painter.setFont(LABEL_FONT)
            painter.drawText(self.label_rect, Qt.AlignCenter, self.label)


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
