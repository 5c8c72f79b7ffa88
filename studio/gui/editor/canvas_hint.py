"""A first-start hint over the canvas: how to add a layer, how to connect, that F5 trains.

Shown on an empty canvas (always: there is nothing else to look at) and on the first start until
the first edit; after that edit the settings remember it and later starts stay quiet. The hint
lets every mouse event through, so it never stands between a person and the canvas.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import QLabel

from studio.gui import files

SEEN_KEY = "hints/canvas_seen"
TEXT = ("<b>Add a layer</b>: drag one from <i>Layers</i>, or press <b>Tab</b> (or double-click)"
        " on the canvas &nbsp;·&nbsp; <b>Connect</b>: drag from a port to a port &nbsp;·&nbsp; "
        "<b>Train</b>: <b>F5</b>")


class CanvasHint(QLabel):
    def __init__(self, view, session):
        # a child of the view, not of its viewport: the viewport scrolls its children along
        # with the canvas when the view pans (the hint drifted off screen)
        super().__init__(TEXT, view)
        self.view, self.session = view, session
        self.setTextFormat(Qt.RichText)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setObjectName("canvasHint")
        self.setMargin(8)
        self.natural_width = self.sizeHint().width() + 4  # on one line
        self.setWordWrap(True)
        self.seen = files.settings().value(SEEN_KEY, False, type=bool)
        session.undo.indexChanged.connect(self._edited)
        session.document_event.connect(lambda *_: self.refresh())
        session.scope_changed.connect(self.refresh)
        view.viewport().installEventFilter(self)
        self._replace = QTimer(self, singleShot=True, interval=0)
        self._replace.timeout.connect(lambda: None if self.isHidden() else self._place())
        self.restyle()
        self.refresh()

    def restyle(self) -> None:
        """Colours from the palette, so that both themes read well."""
        self.setStyleSheet("QLabel#canvasHint { background: palette(window); color: palette(text);"
                           " border: 1px solid palette(mid); border-radius: 6px; }")

    def changeEvent(self, event):
        super().changeEvent(event)
        if event.type() == event.Type.ApplicationPaletteChange:  # the theme changed
            self.restyle()

    def _edited(self, _index: int) -> None:
        if not self.seen and self.session.undo.count():
            self.seen = True
            files.settings().setValue(SEEN_KEY, True)
        self.refresh()

    def wanted(self) -> bool:
        doc, scope = self.session.doc, self.session.scope
        empty = doc is None or scope not in doc.scopes() or not doc.graph(scope).nodes
        return empty or not self.seen

    def refresh(self) -> None:
        self.setVisible(self.wanted())
        if not self.isHidden():
            self._place()
            self._replace.start()  # again once the view has framed the new graph

    def _place(self) -> None:
        """Bottom centre, clear of the minimap's corner: the framing centres the graph."""
        viewport = self.view.viewport()
        room = viewport.width() - 2 * 250
        room = room if room >= 360 else viewport.width() - 40
        self.setFixedWidth(max(200, min(self.natural_width, room)))
        self.setFixedHeight(self.heightForWidth(self.width()))
        x = (viewport.width() - self.width()) // 2
        spots = [viewport.height() - self.height() - 12, 12]  # bottom, else top
        y = next((y for y in spots if not self._covers_a_node(x, y)), spots[0])
        self.move(viewport.pos() + QPoint(x, y))  # viewport coordinates -> the view's

    def _covers_a_node(self, x: int, y: int) -> bool:
        """Whether the hint at (x, y) would hide a node or the minimap."""
        here = QRect(x, y, self.width(), self.height())
        offset = self.view.viewport().pos()
        if any(w.isVisible() and w.geometry().translated(-offset).intersects(here)
               for w in self.view.children() if hasattr(w, "graph_fits")):  # the minimap
            return True
        area = self.view.mapToScene(here).boundingRect()
        return any(area.intersects(item.sceneBoundingRect())
                   for item in getattr(self.view.scene(), "nodes", {}).values())

    def eventFilter(self, obj, event):
        if event.type() == event.Type.Resize and not self.isHidden():  # (window not shown yet)
            self._place()
        return False
