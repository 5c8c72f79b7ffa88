"""The minimap shows the whole graph and moves the canvas where it is clicked."""
from PySide6.QtCore import QPointF, Qt

from studio.core.templates import open_document


def test_minimap_overview_and_navigation(qtbot, window):
    doc, diags, _ = open_document("resnet18")
    window.session.set_document(doc, None, diags)
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
