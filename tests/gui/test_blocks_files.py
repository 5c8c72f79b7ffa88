"""Blocks (group, open with double-click, breadcrumbs, ungroup), files (save/open round trip,
broken and newer files), and a clean close. Autosave and crash recovery: test_recovery.py."""
import gc
import json
import weakref

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from support.gui_helpers import small_conv_doc, state
from studio.gui import files


def test_group_open_block_and_go_back(make_window, qtbot):
    window = make_window()
    window.set_document(small_conv_doc())
    window.scene.select_ids(["conv1", "flatten1"])
    window.group_selection()
    window.session.flush()
    graph = window.session.graph
    block = next(n for n in graph.nodes.values() if n.type == "block.Block")
    assert {"conv1", "flatten1"}.isdisjoint(graph.nodes)
    assert window.session.shapes.outputs["linear1"]["y"].label() == "N×3"
    item = window.scene.nodes[block.id]
    window.view.centerOn(item)
    point = window.view.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseDClick(window.view.viewport(), Qt.LeftButton, pos=point)
    assert window.session.scope == f"block:{block.params['block']}"
    assert {"conv1", "flatten1"} <= set(window.scene.nodes)
    window.session.flush()
    inner = window.session.graph.edge_into("flatten1", "x")
    assert window.scene.edges[inner].label == "N×4×6×6"  # shapes flow into the block
    crumbs = [w for w in window.findChildren(QPushButton) if w.text() == "model"]
    assert crumbs, "a breadcrumb leads back to the network"
    qtbot.mouseClick(crumbs[0], Qt.LeftButton)
    assert window.session.scope == "model" and block.id in window.scene.nodes
    window.scene.select_ids([block.id])
    window.ungroup_selection()
    assert {"conv1", "flatten1"} <= set(window.session.graph.nodes)


def test_repeat_count_is_editable_in_the_inspector(make_window):
    window = make_window()
    window.set_document(small_conv_doc())
    window.scene.select_ids(["conv1"])
    window.group_selection()
    block = next(n for n in window.session.graph.nodes.values() if n.type == "block.Block")
    window.session.flush()
    assert window.session.shapes.outputs[block.id]["y"].label() == "N×4×6×6"
    window.scene.select_ids([block.id])
    window.inspector.editors["repeat"].typed.setValue(2)
    window.session.flush()
    assert window.session.graph.nodes[block.id].params["repeat"] == 2
    assert window.session.shapes.outputs[block.id]["y"].label() == "N×4×4×4"  # two 3×3 convs
    edge = window.session.graph.edge_into("flatten1", "x")
    assert window.scene.edges[edge].label == "N×4×4×4"
    assert window.scene.edges[window.session.graph.edge_into("linear1", "x")].label == "N×64"
    assert "repeat" in window.inspector.editors


def test_save_and_open_round_trip(make_window, tmp_path):
    window = make_window()
    window.add_node("activation.ReLU")
    assert window.isWindowModified()
    path = tmp_path / "net.nnet.json"
    assert window.save_to(str(path))
    assert not window.isWindowModified()
    assert "net.nnet.json" in window.windowTitle()
    saved = state(window)
    other = make_window("mlp")
    assert other.open_path(str(path))
    assert state(other) == saved
    assert other.session.path == str(path)
    assert str(path.resolve()) == files.recent_files()[0]


def test_broken_or_newer_files_never_replace_current_work(window, tmp_path):
    window.add_node("activation.ReLU")
    before = state(window)
    broken = tmp_path / "broken.nnet.json"
    broken.write_text('{"format": "netstudio", "networks": {', encoding="utf-8")
    newer = tmp_path / "newer.nnet.json"
    newer.write_text(json.dumps({"format": "netstudio", "schema_version": 999}), encoding="utf-8")
    assert not window.open_path(str(broken))
    assert "not valid JSON at line 1" in window.notes[-1][1]
    assert not window.open_path(str(newer))
    assert "newer NetStudio" in window.notes[-1][1]
    assert state(window) == before and window.isWindowModified()


def test_closing_asks_about_unsaved_changes(window):
    window.add_node("activation.ReLU")
    window.ask_unsaved = lambda: "cancel"
    assert not window.close()
    assert window.isVisible()
    window.ask_unsaved = lambda: "discard"
    assert window.close()


def test_closing_the_window_leaves_no_live_scene_items(make_window, qtbot):
    window = make_window()
    refs = [weakref.ref(i) for i in [*window.scene.nodes.values(), *window.scene.edges.values()]]
    assert len(refs) > 10
    window.session.undo.setClean()
    assert window.close()
    window.deleteLater()
    del window
    qtbot.wait(10)
    gc.collect()
    assert [r for r in refs if r() is not None] == []
