"""The minimap shows the whole graph and moves the canvas where it is clicked."""
import pytest
from PySide6.QtCore import QPointF, Qt

from studio.core.templates import open_document


def test_minimap_overview_and_navigation(qtbot, window):
    doc, diags, _ = open_document("resnet18")
    window.session.set_document(doc, None, diags)
    window.view.zoom_by(2.0)  # closer than the framing: the graph no longer fits
    window.minimap._render()
    minimap = window.minimap
    assert minimap.isVisible() and not minimap._pixmap.isNull()
    nodes = window.scene.nodes.values()
    right = max(n.sceneBoundingRect().right() for n in nodes)
    before = minimap.visible_scene_rect().center()
    qtbot.mouseClick(minimap, Qt.LeftButton, pos=minimap.rect().center() + QPointF(90, 0).toPoint())
    after = minimap.visible_scene_rect().center()
    assert after.x() > before.x()  # clicking right of centre moved the canvas right
    assert after.x() <= right + 100
    window.minimap_action.trigger()
    assert not minimap.isVisible()


@pytest.mark.parametrize("empty", [False, True])  # True: a document without nodes
def test_idle_canvas_does_not_repaint(qtbot, make_window, empty):
    """The translucent minimap repaints the viewport beneath it; asking for its own repaint on
    every viewport repaint kept an idle studio painting forever (a whole core busy)."""
    from PySide6.QtCore import QEvent, QObject
    window = make_window("lenet5")
    if empty:
        from studio.core.document import Document
        window.session.set_document(Document(), None, [])

    class Count(QObject):
        paints = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Paint:
                Count.paints += 1
            return False

    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(400)  # first paints, the minimap's deferred render
    counter = Count()
    window.minimap.installEventFilter(counter)
    window.view.viewport().installEventFilter(counter)
    qtbot.wait(500)
    assert Count.paints <= 2
    if empty:  # nothing to give an overview of
        assert not window.minimap.isVisible()
        return
    shown = window.minimap._shown
    window.view.scale(2.5, 2.5)  # a zoom moves no scroll bar: the minimap still follows
    qtbot.waitUntil(lambda: window.minimap.isVisible() and window.minimap._shown != shown,
                    timeout=2000)
