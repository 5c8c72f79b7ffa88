"""The canvas: palette drops, wiring ports with the mouse, badges, quick-add, problems."""
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from support.gui_helpers import drag, port_point, small_conv_doc
from studio.core.ops import Disconnect
from studio.gui.editor.view import TYPE_MIME


def _palette_item(window, title):
    tree = window.palette.tree
    for i in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(i)
        for j in range(group.childCount()):
            if group.child(j).text(0) == title:
                return group.child(j)
    raise AssertionError(f"{title} not in the palette")


def _drop(window, mime, at: QPoint):
    """The events a drag from the palette delivers to the canvas: enter, move, drop."""
    viewport = window.view.viewport()
    enter = QDragEnterEvent(at, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(viewport, QDragMoveEvent(at, Qt.CopyAction, mime, Qt.LeftButton,
                                                    Qt.NoModifier))
    drop = QDropEvent(QPointF(at), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, drop)
    assert drop.isAccepted()


def test_dropping_a_palette_type_creates_a_node(window, qtbot):
    before = set(window.session.graph.nodes)
    mime = window.palette.tree.mimeData([_palette_item(window, "ReLU")])
    assert bytes(mime.data(TYPE_MIME)).decode() == "activation.ReLU"
    at = QPoint(300, 500)
    _drop(window, mime, at)
    added = set(window.session.graph.nodes) - before
    assert len(added) == 1
    node_id = added.pop()
    assert window.session.graph.nodes[node_id].type == "activation.ReLU"
    assert node_id in window.scene.nodes
    where = window.view.mapToScene(at)
    pos = window.session.graph.nodes[node_id].ui["pos"]
    assert abs(pos[0] - where.x()) < 1 and abs(pos[1] - where.y()) < 1
    window.session.undo.undo()
    assert node_id not in window.session.graph.nodes and node_id not in window.scene.nodes


def test_dropping_on_an_edge_inserts_the_node(make_window, qtbot):
    window = make_window()
    window.set_document(small_conv_doc())
    window.session.flush()
    edge = next(e for e in window.session.graph.edges if e.src[0] == "conv1")
    item = window.scene.edges[edge]
    at = window.view.mapFromScene(item.path.pointAtPercent(0.5))
    mime = QMimeData()
    mime.setData(TYPE_MIME, b"activation.ReLU")
    _drop(window, mime, at)
    graph = window.session.graph
    assert edge not in graph.edges
    assert graph.edge_into("relu1", "x").src == ("conv1", "y")
    assert graph.edge_into("flatten1", "x").src == ("relu1", "y")


def test_connecting_ports_by_dragging_updates_shapes(make_window, qtbot):
    window = make_window()
    doc = small_conv_doc()
    Disconnect("model", doc.networks["model"].edge_into("conv1", "x")).apply(doc)
    window.set_document(doc)
    window.session.flush()
    assert window.session.shapes.outputs.get("linear1") in (None, {})
    drag(qtbot, window.view.viewport(), port_point(window, "input1", "out", "y"),
         port_point(window, "conv1", "in", "x"))
    window.session.flush()
    assert window.session.graph.edge_into("conv1", "x").src == ("input1", "y")
    shapes = window.session.shapes
    assert shapes.outputs["conv1"]["y"].label() == "N×4×6×6"
    assert shapes.outputs["linear1"]["y"].label() == "N×3"
    edge = window.session.graph.edge_into("flatten1", "x")
    assert window.scene.edges[edge].label == "N×4×6×6"
    # one undo step takes the wire away again, and the labels follow
    window.session.undo.undo()
    window.session.flush()
    assert window.session.graph.edge_into("conv1", "x") is None
    assert window.scene.edges[edge].label == "?"


def test_a_bad_connection_is_flagged_before_the_drop_and_yields_a_badge(make_window, qtbot):
    window = make_window()
    doc = small_conv_doc(input_shape=(16,))  # a flat input cannot feed a Conv2d
    Disconnect("model", doc.networks["model"].edge_into("conv1", "x")).apply(doc)
    window.set_document(doc)
    window.session.flush()
    _, reason, problem = window.scene.check_wire(("input1", "y"), ("conv1", "x"))
    assert reason is None and "expects" in problem
    viewport = window.view.viewport()
    start, end = port_point(window, "input1", "out", "y"), port_point(window, "conv1", "in", "x")
    qtbot.mousePress(viewport, Qt.LeftButton, pos=start)
    qtbot.mouseMove(viewport, pos=end)
    assert window.scene.nodes["conv1"].ports[("in", "x")].state == "bad"
    assert window.scene._wire.state == "bad"
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=end)
    window.session.flush()
    item = window.scene.nodes["conv1"]
    assert item.severity == "error"
    assert "expects" in item.toolTip()
    assert "conv1" in window.statusBar().currentMessage()


def test_impossible_connections_are_refused_with_a_reason(make_window, qtbot):
    window = make_window()
    window.set_document(small_conv_doc())
    before = window.session.doc.to_json()
    assert not window.scene.connect_ports(("linear1", "y"), ("conv1", "x"))  # a loop
    assert "loop" in window.statusBar().currentMessage()
    assert not window.scene.connect_ports(("conv1", "y"), ("linear1", "y"))  # two outputs
    assert "output" in window.statusBar().currentMessage()
    assert window.session.doc.to_json() == before


def test_clicking_a_problem_selects_its_node(make_window, qtbot):
    window = make_window()
    doc = small_conv_doc()
    Disconnect("model", doc.networks["model"].edge_into("linear1", "x")).apply(doc)
    window.set_document(doc)
    window.session.flush()
    problems = window.problems
    row = next(i for i in range(problems.count()) if "linear1" in problems.item(i).text())
    rect = problems.visualItemRect(problems.item(row))
    qtbot.mouseClick(problems.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.scene.selected_ids() == ["linear1"]
    assert window.inspector.node_id == "linear1"


def test_quick_add_inserts_the_chosen_type_at_the_point(window, qtbot):
    at = QPointF(1234, 567)
    popup = window.quick_add(at)
    qtbot.keyClicks(popup.field, "maxpool2")
    assert popup.list.currentItem().data(Qt.UserRole) == "pool.MaxPool2d" or \
        "MaxPool2d" in popup.list.currentItem().text()
    qtbot.keyClick(popup.field, Qt.Key_Return)
    node = next(n for n in window.session.graph.nodes.values() if "MaxPool2d" in n.type)
    assert node.ui["pos"] == [1234.0, 567.0]


def test_copy_paste_through_the_clipboard(window, qtbot):
    window.scene.select_ids(["c1", "tanh1"])
    assert window.copy_selection()
    count = len(window.session.graph.nodes)
    window.paste()
    graph = window.session.graph
    assert len(graph.nodes) == count + 2
    pasted = window.scene.selected_ids()
    assert len(pasted) == 2 and not {"c1", "tanh1"} & set(pasted)
    inner = [e for e in graph.edges if e.src[0] in pasted and e.dst[0] in pasted]
    assert len(inner) == 1  # the c1 -> tanh1 wire came along, outer wires did not
    window.delete_selection()
    assert len(graph.nodes) == count


def test_node_summary_shows_resolved_variables(window):
    from studio.core.ops import SetVariable
    window.session.flush()
    item = window.scene.nodes["input1"]
    assert item.summary == "1×32×32"  # the document says [1, "$input_size", "$input_size"]
    window.session.apply(SetVariable("model", "input_size", 28), "size")
    window.session.flush()
    assert window.scene.nodes["input1"].summary == "1×28×28"
