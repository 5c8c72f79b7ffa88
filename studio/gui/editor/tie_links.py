"""Weight ties on the canvas: a dashed curve from each tied node to the Linear whose weight it
uses transposed (``studio.core.ties``), so a tie reads as a relation between two nodes and not
only as the ``tied_to`` text in the node's summary.

Redrawn from the scene's ``changed`` signal, so a curve follows a node while it is dragged and
disappears with a removed node or a cleared param; a curve is reset only when its ends moved
(that reset emits ``changed`` again, which then finds nothing to do).
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsSimpleTextItem
from shiboken6 import isValid

from studio.core.ties import ties
from studio.gui.theme import category_colour


def tie_path(source, target) -> QPainterPath:
    """From the top of the tied node to the bottom of the Linear it borrows from (or the other
    way round when that one sits lower), bending vertically like a wire."""
    a, b = source.sceneBoundingRect(), target.sceneBoundingRect()
    start, end = (QPointF(a.center().x(), a.top()), QPointF(b.center().x(), b.bottom())) \
        if b.center().y() <= a.center().y() else \
        (QPointF(a.center().x(), a.bottom()), QPointF(b.center().x(), b.top()))
    bend = (end.y() - start.y()) / 2
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(end.x(), end.y() - bend), end)
    return path


class TieLinks:
    """The dashed tie curves of one :class:`~studio.gui.editor.scene.GraphScene`."""

    def __init__(self, scene):
        self.scene = scene
        self.items: dict[str, QGraphicsPathItem] = {}  # tied node id -> its curve
        self.labels: dict[str, QGraphicsSimpleTextItem] = {}  # ... and its label
        scene.changed.connect(self.refresh)

    def refresh(self, _regions=None) -> None:
        nodes, session = self.scene.nodes, self.scene.session
        try:
            graph = session.doc.graph(session.scope)
        except (AttributeError, KeyError):  # no document (closing), or its scope just went
            graph = None
        wanted = {a: b for a, b in ties(graph).items()
                  if a in nodes and b in nodes and a != b} if graph is not None else {}
        for nid, item in list(self.items.items()):
            alive = isValid(item) and item.scene() is self.scene  # a rebuild clears the scene
            if nid not in wanted or not alive:
                for part in (item, self.labels.pop(nid)):
                    if isValid(part) and part.scene() is self.scene:
                        self.scene.removeItem(part)
                del self.items[nid]
        for nid, target in wanted.items():
            path = tie_path(nodes[nid], nodes[target])
            item = self.items.get(nid) or self._add(nid, target)
            if item.path() != path:
                item.setPath(path)
                # beside the tied node's end, where nodes seldom sit, above everything
                self.labels[nid].setPos(path.pointAtPercent(0.12) + QPointF(6, -8))

    def _add(self, nid: str, target: str) -> QGraphicsPathItem:
        item = QGraphicsPathItem()
        item.setPen(QPen(category_colour("Linear"), 1.6, Qt.DashLine))
        item.setZValue(-1)  # under the nodes and their ports
        item.setToolTip(f"{nid} uses the weight of {target}, transposed (tied_to)")
        label = QGraphicsSimpleTextItem("tied Wᵀ")  # what the curve means
        label.setBrush(category_colour("Linear"))
        label.setZValue(10)
        self.scene.addItem(label)
        self.labels[nid] = label
        self.scene.addItem(item)
        self.items[nid] = item
        return item
