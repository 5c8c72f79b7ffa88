"""Scene items: a node (title, category colour, key params, ports, diagnostic badge), its
ports, and edges drawn as curves labelled with the tensor shape they carry.

Items hold only what they draw; the document is the truth and the scene refreshes items from it.
Node items are cached as device pixmaps (PLATFORM-NOTES: 35–40 % faster repaints).
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem

from studio.gui.editor.block_peek import MARK, toggle_peek
from studio.gui.theme import ERROR_COLOUR, OK_COLOUR, WARNING_COLOUR, category_colour, colours

WIDTH, HEADER, SUMMARY, ROW, PAD = 150.0, 22.0, 18.0, 16.0, 6.0
MAX_WIDTH = 280.0  # wider text is elided on the node; its tooltip holds the whole of it
LOD_TEXT = 0.4  # below this zoom nodes and edges are drawn without text
GRID = 10.0  # moves snap to this grid


def _font(family: str, pixels: int, weight=QFont.Normal) -> QFont:
    # Pixel sizes, not points: what a reader sees is pixels × zoom, whatever the screen's DPI,
    # so "titles >= 11 px at the opening zoom" can be checked and kept.
    font = QFont(family, weight=weight)
    font.setPixelSize(pixels)
    return font


TITLE_FONT = _font("Sans Serif", 14, QFont.DemiBold)
TYPE_FONT = _font("Sans Serif", 11)
SMALL_FONT = _font("Sans Serif", 12)
TITLE_LEFT, TITLE_RIGHT = 10.0, 10.0  # room for the accent bar / the diagnostic badge


def format_value(value) -> str:
    if isinstance(value, list):
        return "×".join(map(str, value)) or "[]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class PortItem(QGraphicsEllipseItem):
    """A connection point; dragging from it draws a wire (handled by the scene).

    Painted by Qt's own ellipse item, not by Python: a 1,000-node canvas has ~2,500 ports and
    a Python ``paint`` call for each of them cost ~5 ms of every pan/zoom frame (bench/editor.py).
    The colours are set when the state or the theme changes, not read at every paint."""

    RADIUS = 5.0
    HIT = RADIUS + 3  # the square a click or a hovering wire catches, larger than the knob

    def __init__(self, parent, node_id: str, name: str, kind: str, pos: QPointF):
        super().__init__(parent)
        self.node_id, self.name, self.kind = node_id, name, kind
        self.state = None  # None, "ok" or "bad" while a wire hovers over it
        self.setPos(pos)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CrossCursor)
        self.restyle()

    @property
    def end(self) -> tuple[str, str]:
        return (self.node_id, self.name)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(QRectF(-self.HIT, -self.HIT, 2 * self.HIT, 2 * self.HIT))
        return path

    def set_state(self, state) -> None:
        if state != self.state:
            self.state = state
            self.restyle()

    def restyle(self) -> None:
        """Colours from the active theme and the hover state (also after a theme switch)."""
        c = colours()
        fill = {"ok": OK_COLOUR, "bad": ERROR_COLOUR}.get(self.state, c["edge"])
        r = self.RADIUS + (2 if self.state else 0)
        self.setRect(QRectF(-r, -r, 2 * r, 2 * r))
        self.setPen(QPen(QColor(c["node"]), 1.5))
        self.setBrush(QColor(fill))


def split_title(title: str) -> tuple[str, str]:
    """("mu", " · Linear") from "mu · Linear": the name is drawn bold, the type lighter."""
    name, sep, kind = title.rpartition(" · ")
    return (name, sep + kind) if sep else (title, "")


def _advance(font: QFont, text: str) -> float:
    return QFontMetricsF(font).horizontalAdvance(text)


class NodeItem(QGraphicsItem):
    def __init__(self, node_id: str):
        super().__init__()
        self.node_id = node_id
        self.title, self.category, self.summary = "", "", ""
        self.severity, self.messages, self.param_count = None, [], 0
        self.ports: dict[tuple[str, str], PortItem] = {}
        self.in_names, self.out_names, self.miniature = [], [], []
        self.is_block, self.peek = False, None
        self.width, self.height = WIDTH, HEADER + SUMMARY + PAD
        self.elided = False  # True when the title or summary did not fit MAX_WIDTH
        self.setFlags(QGraphicsItem.ItemIsMovable | QGraphicsItem.ItemIsSelectable |
                      QGraphicsItem.ItemSendsScenePositionChanges)
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.setZValue(1)

    # ---- content from the document --------------------------------------------------------
    def set_content(self, title, category, summary, in_names, out_names, is_block=False,
                    miniature=()) -> None:
        self.prepareGeometryChange()
        self.title, self.category, self.summary = title, category, summary
        self.is_block, self.miniature = is_block, list(miniature)
        width = self.fit_width(in_names, out_names)
        resized = width != self.width
        reshaped = (in_names, out_names) != (self.in_names, self.out_names) or resized or \
            not self.ports
        if reshaped:
            self.width = width
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
                                                      QPointF(self.width, self.port_y(i)))
        rows = max(len(self.in_names), len(self.out_names))
        self.height = HEADER + SUMMARY + rows * ROW + PAD
        self._update_tooltip()
        self.update()
        if reshaped and self.scene() is not None and hasattr(self.scene(), "node_moved"):
            # the ports moved (the right side with a wider summary, rows with new port names):
            # the wires re-attach; a mere change of text moves nothing (no re-routing)
            self.scene().node_moved(self.node_id)

    def title_width(self) -> float:
        """Width the whole title needs, margins included (the node is at least this wide
        unless it reached MAX_WIDTH)."""
        name, kind = split_title(self.display_title())
        return TITLE_LEFT + _advance(TITLE_FONT, name) + _advance(TYPE_FONT, kind) + TITLE_RIGHT

    def display_title(self) -> str:
        return ("▣ " if self.is_block else "") + self.title

    def fit_width(self, in_names, out_names) -> float:
        ports = max(map(lambda n: _advance(SMALL_FONT, n), in_names), default=0) + \
            max(map(lambda n: _advance(SMALL_FONT, n), out_names), default=0) + 40
        need = max(self.title_width(), _advance(SMALL_FONT, self.summary) + 16, ports)
        self.elided = need > MAX_WIDTH
        # whole grid steps, so that snapped nodes of different widths still line up
        return min(MAX_WIDTH, max(WIDTH, -(-need // GRID) * GRID))

    def set_diagnostics(self, severity, messages, param_count: int) -> None:
        if (severity, messages, param_count) == (self.severity, self.messages, self.param_count):
            return
        self.severity, self.messages, self.param_count = severity, messages, param_count
        self._update_tooltip()
        self.update()

    def _update_tooltip(self) -> None:
        lines = [f"{self.title}\n{self.summary}"] if self.elided else []
        if self.is_block:
            lines.append("Click ▣ to list the layers inside here; double-click to open the block")
        if self.messages:
            lines.append(f"{self.node_id}: " + "\n".join(self.messages))
        self.setToolTip("\n".join(lines))

    @staticmethod
    def port_y(i: int) -> float:
        return HEADER + SUMMARY + ROW * i + ROW / 2

    def port_pos(self, kind: str, name: str) -> QPointF:
        port = self.ports.get((kind, name))
        if port is None:  # an edge to a port the node lacks (a broken file): draw to the edge
            return self.scenePos() + QPointF(0 if kind == "in" else self.width, HEADER / 2)
        return port.scenePos()

    # ---- painting -------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(-2, -10, self.width + 14, self.height + 12)

    def paint(self, painter, option, widget=None):
        c = colours()
        width = self.width
        body = QRectF(0, 0, width, self.height)
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
        painter.fillPath(self._header_path(), QBrush(accent.darker(160)))
        painter.fillRect(QRectF(1, 1, 4, HEADER), accent)
        self._paint_title(painter, width - TITLE_LEFT - TITLE_RIGHT)
        painter.setFont(SMALL_FONT)
        small = QFontMetricsF(SMALL_FONT)
        painter.setPen(QColor(c["dim"]))
        painter.drawText(QRectF(8, HEADER, width - 16, SUMMARY), Qt.AlignVCenter,
                         small.elidedText(self.summary, Qt.ElideRight, width - 16))
        painter.setPen(QColor(c["text"]))
        for i, name in enumerate(self.in_names):
            painter.drawText(QRectF(10, self.port_y(i) - ROW / 2, width / 2, ROW),
                             Qt.AlignVCenter, name)
        for i, name in enumerate(self.out_names):
            painter.drawText(QRectF(width / 2 - 10, self.port_y(i) - ROW / 2, width / 2, ROW),
                             Qt.AlignVCenter | Qt.AlignRight, name)
        if self.miniature:
            self._paint_miniature(painter)
        if self.severity:
            colour = ERROR_COLOUR if self.severity == "error" else WARNING_COLOUR
            painter.setPen(QPen(QColor(c["node"]), 1.5))
            painter.setBrush(QColor(colour))
            painter.drawEllipse(QPointF(width - 2, 0), 8, 8)
            painter.setPen(QColor("#ffffff"))
            painter.setFont(TITLE_FONT)
            painter.drawText(QRectF(width - 10, -8, 16, 16), Qt.AlignCenter, "!")

    def _header_path(self) -> QPainterPath:
        """The header's outline (rounded top, square bottom), kept until the width changes:
        a cache re-render on every zoom step rebuilt it each time."""
        if getattr(self, "_head", (None,))[0] != self.width:
            head = QPainterPath()
            head.addRoundedRect(QRectF(1, 1, self.width - 2, HEADER), 5, 5)
            head.addRect(QRectF(1, HEADER - 6, self.width - 2, 6))
            self._head = (self.width, head.simplified())
        return self._head[1]

    def _paint_miniature(self, painter) -> None:
        """A block's inside as a row of chips in its layers' colours, between the port names
        of the first row (where a block has room): ResNet's blocks no longer look alike."""
        left = 14 + max(map(lambda n: _advance(SMALL_FONT, n), self.in_names), default=0)
        right = self.width - 14 - max(map(lambda n: _advance(SMALL_FONT, n), self.out_names),
                                      default=0)
        chip, gap = 10.0, 3.0
        fits = int((right - left + gap) // (chip + gap))
        shown = self.miniature[:max(0, fits)]
        x = left + (right - left - len(shown) * (chip + gap) + gap) / 2
        y = self.port_y(0) - chip / 2
        painter.setPen(Qt.NoPen)
        for category in shown:
            painter.setBrush(category_colour(category))
            painter.drawRoundedRect(QRectF(x, y, chip, chip), 2, 2)
            x += chip + gap

    def _paint_title(self, painter, room: float) -> None:
        """The name in bold and its type lighter; elided (the tooltip has it) past MAX_WIDTH."""
        name, kind = split_title(self.display_title())
        bold = QFontMetricsF(TITLE_FONT)
        name_w = bold.horizontalAdvance(name)
        if name_w > room:
            name, name_w, kind = bold.elidedText(name, Qt.ElideRight, room), room, ""
        painter.setPen(QColor("#ffffff"))
        painter.setFont(TITLE_FONT)
        painter.drawText(QRectF(TITLE_LEFT, 0, name_w + 2, HEADER), Qt.AlignVCenter, name)
        if kind:
            painter.setFont(TYPE_FONT)
            painter.setPen(QColor(255, 255, 255, 190))
            kind = QFontMetricsF(TYPE_FONT).elidedText(kind, Qt.ElideRight, room - name_w)
            painter.drawText(QRectF(TITLE_LEFT + name_w, 0, room - name_w + 2, HEADER),
                             Qt.AlignVCenter, kind)

    def mousePressEvent(self, event):
        if self.is_block and event.button() == Qt.LeftButton and MARK.contains(event.pos()):
            toggle_peek(self)  # expand in place: the block's layers in a card under it
            event.accept()
            return
        super().mousePressEvent(event)

    def itemChange(self, change, value):
        if change == QGraphicsItem.ItemPositionChange and self.scene() is not None \
                and self.scene().mouseGrabberItem() is not None:
            return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        if change == QGraphicsItem.ItemScenePositionHasChanged and self.scene() is not None:
            self.scene().node_moved(self.node_id)
        return super().itemChange(change, value)


# Edges moved to edge_items (routing around nodes); still importable from here.
from studio.gui.editor import edge_items as _edges  # noqa: E402  (after NodeItem, as before)
EdgeItem, WireItem, bezier = _edges.EdgeItem, _edges.WireItem, _edges.bezier
