"""The tensor shape an edge carries, drawn as a small pill at the middle of the edge.

A label is a child item of its edge, so whoever draws or routes the edge only calls
:meth:`ShapeLabel.place` with the new path. Edges fanning out of one output port carry the same
tensor, and their labels used to sit on top of each other: only the shortest edge of such a fan
shows the shape. That choice is made when painting, from the scene's current edges, so removing
the labelled edge hands the label to a sibling without any bookkeeping.
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
        self.rect = QRectF()
        self.setZValue(0.5)  # over wires, under nodes

    def set_text(self, text: str) -> None:
        if text != self.text:
            self.prepareGeometryChange()
            self.text = text
            self.place(self.edge_item.path)

    def place(self, path) -> None:
        """Centre the pill on the middle of ``path`` (scene coordinates of the edge)."""
        self.prepareGeometryChange()
        if not self.text:
            self.rect = QRectF()
            return
        mid = path.pointAtPercent(0.5)
        metrics = QFontMetricsF(LABEL_FONT)
        w, h = metrics.horizontalAdvance(self.text) + 8, metrics.height() + 2
        self.rect = QRectF(mid.x() - w / 2, mid.y() - h - 2, w, h)

    def shown(self) -> bool:
        """Whether this label is the one its output port shows (the fan's shortest edge)."""
        if not self.text:
            return False
        return min(self.siblings(), key=_fan_key, default=self.edge_item) is self.edge_item

    def siblings(self) -> list:
        """The edges in the scene leaving the same output port as this one (itself included)."""
        scene, edge = self.edge_item.scene(), self.edge_item.edge
        touching = getattr(scene, "_by_node", {}).get(edge.src[0], ()) if scene else ()
        return [e for e in touching if e.edge.src == edge.src] or [self.edge_item]

    def boundingRect(self) -> QRectF:
        return self.rect

    def paint(self, painter, option, widget=None):
        if option.levelOfDetailFromTransform(painter.worldTransform()) < LOD_TEXT \
                or not self.shown():
            return
        c = colours()
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(c["canvas"]))
        painter.drawRoundedRect(self.rect, 3, 3)
        painter.setPen(QColor(c["label"]))
        painter.setFont(LABEL_FONT)
        painter.drawText(self.rect, Qt.AlignCenter, self.text)


def _fan_key(edge_item) -> tuple:
    """Shortest first (its middle stays closest to the port), then a stable order."""
    a, b = edge_item.path.pointAtPercent(0), edge_item.path.pointAtPercent(1)
    return (abs(b.x() - a.x()) + abs(b.y() - a.y()), edge_item.edge.dst)
