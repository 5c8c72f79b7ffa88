"""Every kind of edit is one undo step: undo gives back the document exactly, redo the edit,
and the canvas follows both ways."""
import pytest
from PySide6.QtCore import QPointF

from support.gui_helpers import scene_matches_document, small_conv_doc, state


def _check_undo_redo(window, edit):
    before = state(window)
    edit()
    window.session.flush()
    after = state(window)
    assert after != before, "the edit changed nothing"
    assert scene_matches_document(window)
    window.session.undo.undo()
    window.session.flush()
    assert state(window) == before
    assert scene_matches_document(window)
    window.session.undo.redo()
    window.session.flush()
    assert state(window) == after
    assert scene_matches_document(window)


@pytest.fixture
def small(make_window):
    window = make_window()
    window.set_document(small_conv_doc())
    window.session.flush()
    return window


def test_add_node(small):
    _check_undo_redo(small, lambda: small.add_node("activation.ReLU", QPointF(10, 400)))


def test_delete_nodes(small):
    def edit():
        small.scene.select_ids(["conv1", "flatten1"])
        small.delete_selection()
    _check_undo_redo(small, edit)


def test_connect_replacing_an_edge(small):
    _check_undo_redo(small, lambda: small.scene.connect_ports(("input1", "y"), ("flatten1", "x")))


def test_param_change_from_the_inspector(small):
    def edit():
        small.scene.select_ids(["conv1"])
        editor = small.inspector.editors["out_channels"]
        editor.typed.setValue(12)
    _check_undo_redo(small, edit)
    assert small.session.shapes.outputs["conv1"]["y"].label() == "N×12×6×6"


def test_spin_box_drag_is_one_step(small):
    small.scene.select_ids(["conv1"])
    editor = small.inspector.editors["out_channels"]
    depth = small.session.undo.count()
    for value in range(5, 11):  # what arrow presses or a drag send
        editor.typed.setValue(value)
    assert small.session.undo.count() == depth + 1
    small.session.undo.undo()
    assert small.session.graph.nodes["conv1"].params["out_channels"] == 4


def test_variable_reference_typed_in_the_inspector(small):
    small.session.doc.variables["width"] = 7
    small.scene.select_ids(["conv1"])
    editor = small.inspector.editors["out_channels"]
    editor.toggle.setChecked(True)
    editor.text.setText("=2*width")
    editor.text.editingFinished.emit()
    small.session.flush()
    assert small.session.graph.nodes["conv1"].params["out_channels"] == "=2*width"
    assert small.session.shapes.outputs["conv1"]["y"].shape[1] == 14


def test_move_nodes_with_the_mouse_snaps_to_the_grid(small, qtbot):
    from PySide6.QtCore import Qt
    item = small.scene.nodes["conv1"]
    start = small.view.mapFromScene(item.scenePos() + QPointF(60, 10))
    end = start + type(start)(47, 33)
    before = state(small)
    qtbot.mousePress(small.view.viewport(), Qt.LeftButton, pos=start)
    qtbot.mouseMove(small.view.viewport(), pos=end)
    qtbot.mouseRelease(small.view.viewport(), Qt.LeftButton, pos=end)
    pos = small.session.graph.nodes["conv1"].ui["pos"]
    assert pos != before["networks"]["model"]["nodes"][1]["ui"]["pos"]
    assert pos[0] % 10 == 0 and pos[1] % 10 == 0
    small.session.undo.undo()
    assert state(small) == before
    assert item.pos().x() == before["networks"]["model"]["nodes"][1]["ui"]["pos"][0]


def test_rename(small):
    def edit():
        small.scene.select_ids(["conv1"])
        small.inspector.name_field.setText("features")
        small.inspector.name_field.editingFinished.emit()
    _check_undo_redo(small, edit)
    assert small.scene.nodes["conv1"].title == "features · Conv2d"  # name, then type (issue 17)


def test_set_variable_from_the_panel(window):
    panel = window.variables
    row = next(r for r in range(panel.table.rowCount())
               if panel.table.item(r, 0).text() == "num_classes")
    _check_undo_redo(window, lambda: panel.table.item(row, 1).setText("7"))
    assert window.session.doc.variables["num_classes"] == 7
    assert panel.table.item(row, 1).text() == "7"
    window.session.undo.undo()
    assert panel.table.item(row, 1).text() == "10"


def test_paste(small):
    def edit():
        small.scene.select_ids(["conv1"])
        small.duplicate()
    _check_undo_redo(small, edit)


def test_auto_layout(small):
    small.session.graph.nodes["conv1"].ui["pos"] = [900.0, 900.0]
    small.scene.rebuild()
    _check_undo_redo(small, small.auto_layout)


def test_group_and_ungroup(small):
    def group():
        small.scene.select_ids(["conv1", "flatten1"])
        small.group_selection()
    _check_undo_redo(small, group)
    block = next(n for n in small.session.graph.nodes.values() if n.type == "block.Block")

    def ungroup():
        small.scene.select_ids([block.id])
        small.ungroup_selection()
    _check_undo_redo(small, ungroup)
