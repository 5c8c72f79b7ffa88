"""The tensor shape an edge carries, drawn as a small pill beside the edge's wire.

A label is a child item of its edge; where it goes is decided for the whole scene at once by
:func:`place_labels` (``label_place``), so that labels never cover a node or each other where
gaps are narrow: edges fanning out of one output port carry the same tensor and one label per
port says it; a label with no free spot along its wire is not drawn (the wire's tooltip still
says the shape). Whoever changes a wire or a text only asks for a new placement.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem

from studio.gui.theme import colours

LABEL_FONT = QFont("Monospace")
LABEL_FONT.setPixelSize(12)  # ≥ 9 px on screen at the readable zoom (11/14 ≈ 0.79)
LABEL_FONT.setStyleHint(QFont.TypeWriter)
LOD_TEXT = 0.4  # below this zoom labels are unreadable specks: not drawn


class ShapeLabel(QGraphicsItem):
    def __init__(self, edge_item):
        super().__init__(edge_item)
        self.edge_item = edge_item
        self.text = ""
        self.rect = QRectF()  # scene coordinates (the edge item sits at the origin)
        self.placed = False  # set by place_labels: this label is its port's, at self.rect
        self.setZValue(0.5)  # over wires, under nodes

    def size(self) -> tuple[float, float]:
        metrics = QFontMetricsF(LABEL_FONT)
        return metrics.horizontalAdvance(self.text) + 8, metrics.height() + 2

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.edge_item.setToolTip(text)
            self.request()

    def request(self) -> None:
        """The wire or the text changed: the scene places its labels again (coalesced)."""
        scene = self.edge_item.scene()
        if scene is not None and hasattr(scene, "request_labels"):
            scene.request_labels(self.edge_item.edge.src)

    def set_place(self, rect: QRectF | None) -> None:
        rect = rect if rect is not None else QRectF()
        if rect != self.rect or self.placed != (not rect.isNull()):
            self.prepareGeometryChange()
            self.rect, self.placed = rect, not rect.isNull()
            self.update()

    def shown(self) -> bool:
        """Whether this label is drawn (its port's label, with a free spot)."""
        return bool(self.text) and self.placed

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter, option, widget=None):
        if not self.shown() or option.levelOfDetailFromTransform(painter.worldTransform()) \
                < LOD_TEXT:
            return
        c = colours()
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(c["canvas"]))
        painter.drawRoundedRect(self.rect, 3, 3)
        painter.setPen(QColor(c["label"]))
        painter.setFont(LABEL_FONT)
        painter.drawText(self.rect, Qt.AlignCenter, self.text)


def fan_key(edge_item) -> tuple:
    """Shortest first (its middle stays closest to the port), then a stable order."""
    (ax, ay), (bx, by) = edge_item.points[0], edge_item.points[-1]
    return (abs(bx - ax) + abs(by - ay), edge_item.edge.dst)
