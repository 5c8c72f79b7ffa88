"""Freeze / Unfreeze from the canvas context menu: the training section's ``freeze`` list is
edited as one undoable step (selection, multi-selection, blocks), frozen nodes look frozen on the
canvas, and nothing inside an open block can be frozen by itself."""
from __future__ import annotations

from PySide6.QtCore import QRectF

from studio.gui.editor.freeze_actions import FrozenOverlay


def _actions(menu) -> dict:
    return {a.text().replace("\u2744", "").strip(): a for a in menu.actions()}


def _centre(window, node_id):
    return window.scene.nodes[node_id].sceneBoundingRect().center()


def _overlays(window) -> set:
    return {nid for nid, item in window.scene.nodes.items()
            if any(isinstance(c, FrozenOverlay) for c in item.childItems())}


def test_right_click_freezes_the_node_under_the_cursor_undoably(window):
    session = window.session
    menu = window.freeze_view.menu_at(_centre(window, "c3"))
    assert window.scene.selected_ids() == ["c3"]  # the clicked node became the selection
    actions = _actions(menu)
    assert actions["Freeze"].isEnabled() and not actions["Unfreeze"].isEnabled()
    actions["Freeze"].trigger()
    assert session.doc.training["freeze"] == ["c3"]
    assert _overlays(window) == {"c3"}
    session.undo.undo()
    assert "freeze" not in session.doc.training and _overlays(window) == set()
    session.undo.redo()
    assert session.doc.training["freeze"] == ["c3"] and _overlays(window) == {"c3"}


def test_multi_selection_freezes_layers_and_unfreezes_part(window):
    session = window.session
    window.scene.select_ids(["c1", "c3", "f6", "input1"])
    _actions(window.freeze_view.menu_at())["Freeze"].trigger()
    assert session.doc.training["freeze"] == ["c1", "c3", "f6"]  # inputs own no weights
    window.scene.select_ids(["c3"])
    actions = _actions(window.freeze_view.menu_at())
    assert not actions["Freeze"].isEnabled()
    actions["Unfreeze"].trigger()
    assert session.doc.training["freeze"] == ["c1", "f6"]
    assert _overlays(window) == {"c1", "f6"}


def test_frozen_node_looks_frozen(window):
    item = window.scene.nodes["c5"]
    rect = window.view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    before = window.view.viewport().grab(rect).toImage()
    window.freeze_view.set_frozen(["c5"], True)
    window.view.viewport().repaint()
    after = window.view.viewport().grab(rect).toImage()
    changed = sum(before.pixel(x, y) != after.pixel(x, y)
                  for x in range(0, before.width(), 2) for y in range(0, before.height(), 2))
    assert changed > before.width() * before.height() / 4 * 0.2  # hatched over much of it
    blue = [after.pixelColor(x, y) for x in range(after.width()) for y in range(after.height())]
    assert any(c.blue() > c.red() + 40 for c in blue)  # the icy tint


def test_blocks_freeze_whole_and_open_blocks_offer_nothing(make_window):
    window = make_window("resnet18")
    session = window.session
    block = next(nid for nid, n in session.graph.nodes.items() if n.type == "block.Block")
    window.scene.select_ids([block])
    _actions(window.freeze_view.menu_at())["Freeze"].trigger()
    assert session.doc.training["freeze"] == [block]
    assert window.open_block(block) is not False
    assert session.scope.startswith("block:")
    inner = next(iter(window.scene.nodes))
    window.scene.select_ids([inner])
    actions = _actions(window.freeze_view.menu_at(QRectF().center()))
    assert not actions["Freeze"].isEnabled() and not actions["Unfreeze"].isEnabled()
