"""An overview of the whole graph in a corner of the canvas; click or drag in it to move there.

It is shown only while the graph does not fit the view (when everything is on screen an
overview only covers part of it), and only if the user wants it (View > Minimap).

The scene is rendered into a cached pixmap only when it changes (throttled), so scrolling and
zooming the main view only repaint a small widget with the pixmap and the visible rectangle.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from studio.gui.guard import guarded
from studio.gui.theme import colours

SIZE = (220, 140)
MARGIN = 12


class Minimap(QWidget):
    def __init__(self, view):
        super().__init__(view)
        self.view = view
        self.setFixedSize(*SIZE)
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the canvas (View > Minimap, M)")
        self._pixmap = QPixmap()
        self._world = QRectF()  # the scene rectangle the pixmap shows
        self._shown = QRectF()  # the view's visible scene rectangle at the last paint
        self._nodes = QRectF()  # the nodes' bounds at the last render
        self._checked = QRectF()  # the visible rectangle the last fit check saw
        self.wanted = True  # View > Minimap
        self._render_timer = QTimer(self, singleShot=True, interval=250)
        self._render_timer.timeout.connect(self._render)
        view.scene().changed.connect(self._scene_changed)
        view.horizontalScrollBar().valueChanged.connect(self.update)
        view.verticalScrollBar().valueChanged.connect(self.update)
        view.viewport().installEventFilter(self)
        self._place()

    def set_wanted(self, wanted: bool) -> None:
        self.wanted = wanted
        self.update_visibility()

    def graph_fits(self) -> bool:
        """Every node is inside the view (an empty graph fits too)."""
        return self._nodes.isEmpty() or self.visible_scene_rect().contains(self._nodes)

    def update_visibility(self) -> None:
        self._checked = self.visible_scene_rect()
        show = self.wanted and not self.graph_fits()
        if show != self.isVisible():
            self.setVisible(show)

    def _scene_changed(self, _regions) -> None:
        if self._pixmap.isNull():
            self._render()  # first picture at once; later ones coalesced
        else:
            self._render_timer.start()

    # ---- geometry -----------------------------------------------------------------------
    def _place(self) -> None:
        viewport = self.view.viewport()
        self.move(viewport.width() - SIZE[0] - MARGIN, viewport.height() - SIZE[1] - MARGIN)

    def eventFilter(self, obj, event):
        self._on_view_event(event)
        return False  # the view still handles its own events

    @guarded
    def _on_view_event(self, event) -> None:
        if event.type() == event.Type.Resize:
            self._place()
        elif event.type() == event.Type.Paint:
            # A zoom repaints the viewport but moves no scroll bar. Only a changed view asks
            # for a repaint: this widget is translucent, so each of its repaints repaints the
            # viewport beneath it, and an unconditional update() here looped forever (a whole
            # core busy in an idle studio).
            visible = self.visible_scene_rect()
            if visible != self._checked:
                self.update_visibility()
            if visible != self._shown and self.isVisible():
                self.update()

    def _to_map(self, point: QPointF) -> QPointF:
        scale = self._scale()
        return QPointF((point.x() - self._world.left()) * scale + self._offset().x(),
                       (point.y() - self._world.top()) * scale + self._offset().y())

    def _to_scene(self, point: QPointF) -> QPointF:
        scale = self._scale() or 1.0
        return QPointF((point.x() - self._offset().x()) / scale + self._world.left(),
                       (point.y() - self._offset().y()) / scale + self._world.top())

    def _scale(self) -> float:
        if self._world.isEmpty():
            return 0.0
        return min((SIZE[0] - 8) / self._world.width(), (SIZE[1] - 8) / self._world.height())

    def _offset(self) -> QPointF:
        scale = self._scale()
        return QPointF((SIZE[0] - self._world.width() * scale) / 2,
                       (SIZE[1] - self._world.height() * scale) / 2)

    # ---- rendering ----------------------------------------------------------------------
    @guarded
    def _render(self) -> None:
        nodes = list(getattr(self.view.scene(), "nodes", {}).values())
        if not nodes:
            self._world, self._nodes, self._pixmap = QRectF(), QRectF(), QPixmap()
            self.update_visibility()
            self.update()
            return
        world = nodes[0].sceneBoundingRect()
        for item in nodes[1:]:
            world = world.united(item.sceneBoundingRect())
        self._nodes = world
        self.update_visibility()
        self._world = world.adjusted(-40, -40, 40, 40)
        scale = self._scale()
        size = (self._world.size() * scale).toSize()
        pixmap = QPixmap(max(1, size.width()), max(1, size.height()))
        pixmap.fill(Qt.transparent)
        painter = QPainter(pixmap)
        self.view.scene().render(painter, QRectF(pixmap.rect()), self._world)
        painter.end()
        self._pixmap = pixmap
        self.update()

    @guarded
    def paintEvent(self, event):
        visible = self._shown = self.visible_scene_rect()  # (also when there is no picture)
        painter = QPainter(self)
        c = colours()
        painter.fillRect(self.rect(), QColor(c["minimap"]))
        painter.setPen(QPen(QColor(c["node_border"]), 1))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if self._pixmap.isNull():
            painter.end()
            return
        painter.drawPixmap(self._offset(), self._pixmap)
        top_left, bottom_right = self._to_map(visible.topLeft()), self._to_map(visible.bottomRight())
        frame = QColor(c["select"])
        painter.setPen(QPen(frame, 1.5))
        frame.setAlpha(40)
        painter.setBrush(frame)
        painter.drawRect(QRectF(top_left, bottom_right).intersected(QRectF(self.rect())))
        painter.end()

    def changeEvent(self, event):
        super().changeEvent(event)
        if event.type() == event.Type.ApplicationPaletteChange:  # the theme changed
            self._render()  # the picture holds the old theme's canvas

    # ---- navigation ---------------------------------------------------------------------
    @guarded
    def mousePressEvent(self, event):
        self._go(event.position())

    @guarded
    def mouseMoveEvent(self, event):
        if event.buttons() & Qt.LeftButton:
            self._go(event.position())

    def _go(self, point: QPointF) -> None:
        if not self._world.isEmpty():
            self.view.keep_view()
            # a click beside the picture (a tall graph leaves bands left and right) goes to
            # the nearest edge of the graph, not into the empty scene beyond it
            at = self._to_scene(point)
            w = self._world
            self.view.centerOn(min(max(at.x(), w.left()), w.right()),
                               min(max(at.y(), w.top()), w.bottom()))
            self.update()

    def visible_scene_rect(self) -> QRectF:
        """The part of the scene the main view shows (what the blue rectangle marks)."""
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()
