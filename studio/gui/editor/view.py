"""The canvas view: zoom around the cursor, pan (middle-drag or Space+drag), rubber-band
selection, frame (F), drops from the palette, and the keys that start quick-add (Tab)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QFontInfo, QMouseEvent, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsView

from nodes import BLOCK_INPUT, INPUT, role_of
from studio.gui.editor.canvas_items import TITLE_FONT, NodeItem
from studio.gui.editor.detail import apply_detail
from studio.gui.editor.layout_fit import rewrap_for_view

TYPE_MIME = "application/x-netstudio-node-type"
MIN_ZOOM, MAX_ZOOM = 0.1, 3.0
READABLE_PX = 11.0  # smallest title height on screen a first-time reader can read at a glance
FIRST_SIGHT_MAX_ZOOM = 1.1  # a small graph is not blown up past its natural size
MARGIN = 24  # viewport pixels left around a framed graph


def readable_zoom() -> float:
    """The smallest zoom at which node titles are READABLE_PX high on screen."""
    return READABLE_PX / QFontInfo(TITLE_FONT).pixelSize()


def nodes_rect(items) -> QRectF:
    """The scene rectangle of the nodes' bodies (long wires do not count)."""
    rect = QRectF(items[0].scenePos(), QSizeF(items[0].width, items[0].height))
    for item in items[1:]:
        rect = rect.united(QRectF(item.scenePos(), QSizeF(item.width, item.height)))
    return rect


class GraphView(QGraphicsView):
    quick_add_requested = Signal(QPointF)  # scene position
    type_dropped = Signal(str, QPointF, object)  # type id, scene position, edge under it
    block_open_requested = Signal(str)

    def __init__(self, scene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.Antialiasing | QPainter.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.SmartViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setDragMode(QGraphicsView.RubberBandDrag)
        self.setAcceptDrops(True)
        self.setSceneRect(QRectF(-50_000, -50_000, 100_000, 100_000))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFocusPolicy(Qt.StrongFocus)
        self._space = False
        # True from an opening frame until the user zooms or pans: a viewport that changes
        # size meanwhile (the window maximizing, a dock opening on a problem) frames again
        self._start_framing = False

    # ---- zoom and pan ---------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        self._start_framing = False
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        self.scale(target / self.zoom(), target / self.zoom())

    def wheelEvent(self, event):
        self.zoom_by(1.0015 ** event.angleDelta().y())

    def frame(self, only_selection: bool = True) -> None:
        """Fit the selection (or everything) from node bounds; long curves do not count."""
        self._start_framing = False
        items = [i for i in self.scene().selectedItems() if isinstance(i, NodeItem)]
        if not items or not only_selection:
            items = list(self.scene().nodes.values())
        if not items:
            return
        rect = nodes_rect(items)
        self.fitInView(rect.adjusted(-60, -60, 60, 60), Qt.KeepAspectRatio)
        if self.zoom() > 1.25:
            self.zoom_by(1.25 / self.zoom())
        self.centerOn(rect.center())

    def frame_start(self, rewrap: bool = True) -> None:
        """The view on opening, switching template, importing and auto-layout: the whole graph
        when it fits with titles readable (>= READABLE_PX on screen); else a readable zoom with
        the graph's start (its inputs) in the top-left corner and as much of the rest as fits."""
        nodes = list(self.scene().nodes.values())
        if not nodes:
            return
        self._start_framing = True
        port = self.viewport().rect()
        # not for a hidden view, nor on the resizes while a window settles (a dock's first
        # layout passes through sizes nobody sees): opening, switching, the app's first show
        if rewrap and self.isVisible():
            if rewrap_for_view(self.scene(), port.width() - 2 * MARGIN,
                               port.height() - 2 * MARGIN, readable_zoom()):
                self.scene().flush_labels()
            nodes = list(self.scene().nodes.values())
        rect = nodes_rect(nodes)
        badge = getattr(self.scene(), "loss_badge", None)
        if badge is not None:  # a loss the recipe computes is part of what the graph says
            rect = rect.united(badge.sceneBoundingRect())
        fit = min((port.width() - 2 * MARGIN) / max(rect.width(), 1.0),
                  (port.height() - 2 * MARGIN) / max(rect.height(), 1.0))
        zoom = min(FIRST_SIGHT_MAX_ZOOM, max(fit, readable_zoom()))
        self.setTransform(QTransform.fromScale(zoom, zoom))
        if fit >= readable_zoom():
            self.centerOn(rect.center())
            return
        graph = self.scene().session.graph
        inputs = [n for n in nodes if n.node_id in graph.nodes and
                  role_of(graph.nodes[n.node_id].type) in (INPUT, BLOCK_INPUT)] or nodes
        start = nodes_rect(inputs)
        half_w, half_h = port.width() / zoom / 2, port.height() / zoom / 2
        margin = MARGIN / zoom
        # centre each axis that fits; else show it from the inputs' side
        x = rect.center().x() if rect.width() + 2 * margin <= 2 * half_w else \
            max(rect.left(), start.left()) - margin + half_w
        y = rect.center().y() if rect.height() + 2 * margin <= 2 * half_h else \
            min(start.top(), rect.top()) - margin + half_h
        self.centerOn(x, y)

    def keep_view(self) -> None:
        """The user chose where to look (the minimap, a node picked from a list): a later
        resize keeps it instead of framing the opening view again."""
        self._start_framing = False

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if self._start_framing:
            self.frame_start(rewrap=False)

    def paintEvent(self, event):
        apply_detail(self.scene(), self.zoom())  # before Qt collects the items to draw
        super().paintEvent(event)

    def readable_width(self) -> float:
        """How wide (scene units) a graph may be to fit this view at the readable zoom:
        what Auto-layout wraps to, so the result opens whole on this screen."""
        return max(600.0, (self.viewport().width() - 2 * MARGIN) / readable_zoom())

    def _pan_start(self, event, button) -> None:
        self._start_framing = False
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        fake = QMouseEvent(event.type(), event.position(), event.globalPosition(),
                           Qt.LeftButton, Qt.LeftButton, event.modifiers())
        super().mousePressEvent(fake)

    def mousePressEvent(self, event):
        if event.button() == Qt.MiddleButton or (self._space and event.button() == Qt.LeftButton):
            self._pan_start(event, event.button())
            return
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event):
        if self.dragMode() == QGraphicsView.ScrollHandDrag:
            fake = QMouseEvent(event.type(), event.position(), event.globalPosition(),
                               Qt.LeftButton, Qt.NoButton, event.modifiers())
            super().mouseReleaseEvent(fake)
            self.setDragMode(QGraphicsView.RubberBandDrag)
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event):
        item = self.itemAt(event.position().toPoint())
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        if item is None:
            self.quick_add_requested.emit(self.mapToScene(event.position().toPoint()))
        elif getattr(item, "is_block", False):
            self.block_open_requested.emit(item.node_id)
        else:
            super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event):
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.OpenHandCursor)
            return
        if event.key() == Qt.Key_Tab:
            pos = self.mapFromGlobal(self.cursor().pos())
            if not self.viewport().rect().contains(pos):
                pos = self.viewport().rect().center()
            self.quick_add_requested.emit(self.mapToScene(pos))
            return
        if event.key() == Qt.Key_F and not event.modifiers():
            self.frame()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event):
        if event.key() == Qt.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def focusNextPrevChild(self, next):  # keep Tab for quick-add
        return False

    # ---- drops from the palette -------------------------------------------------------------
    def dragEnterEvent(self, event):
        if event.mimeData().hasFormat(TYPE_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event):
        if event.mimeData().hasFormat(TYPE_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event):
        if not event.mimeData().hasFormat(TYPE_MIME):
            super().dropEvent(event)
            return
        type_id = bytes(event.mimeData().data(TYPE_MIME)).decode()
        pos = self.mapToScene(event.position().toPoint())
        edge = self.scene().edge_at(pos)
        self.type_dropped.emit(type_id, pos, edge.edge if edge else None)
        event.acceptProposedAction()
