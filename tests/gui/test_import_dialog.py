"""File > Import…: the dialog imports an ONNX file off the GUI thread and opens the written
document (with its weights beside it) in the window; a bad request or a broken file is a message
in the dialog, never a crash; model names complete from torchvision's list."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PySide6.QtWidgets import QMenu

from studio.gui.import_dialog import ImportDialog, parse_shape

WAIT = 60000


def _onnx_file(path):
    w = numpy_helper.from_array(np.linspace(-1, 1, 40, dtype=np.float32).reshape(5, 8), "w")
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["x"], ["f"]),
         helper.make_node("Gemm", ["f", "w"], ["h"], transB=1),
         helper.make_node("Relu", ["h"], ["y"])],
        "small", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])], [w])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_menu_imports_an_onnx_file_and_opens_it(window, qtbot, tmp_path):
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    action = next(a for a in file_menu.actions() if isinstance(file_menu, QMenu)
                  and a.text() == "&Import model…")
    action.trigger()
    dialog = window.findChild(ImportDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.kind.setCurrentText("ONNX file")
    assert not dialog.name.isEnabled() and not dialog.trust.isEnabled()
    dialog.file.setText(str(_onnx_file(tmp_path / "small.onnx")))
    dialog.out.setText(str(tmp_path / "small.nnet.json"))
    with qtbot.waitSignal(dialog.finished_import, timeout=WAIT) as blocker:
        assert dialog.start()
    assert blocker.args == [tmp_path / "small.nnet.json"]
    assert (tmp_path / "small.safetensors").is_file()
    qtbot.waitUntil(lambda: window.session.path == str(tmp_path / "small.nnet.json"),
                    timeout=WAIT)
    types = sorted(n.type for n in window.session.graph.nodes.values())
    assert "linear.Linear" in types and "activation.ReLU" in types
    assert window.session.doc.training["init_weights"] == "small.safetensors"
    assert set(window.scene.nodes) == set(window.session.graph.nodes)


def test_bad_requests_and_broken_files_are_messages(window, qtbot, tmp_path):
    dialog = ImportDialog(window, tmp_path)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentText("torchvision")
    dialog.name.setText("")
    assert not dialog.start() and "give a torchvision model name" in dialog.status.text()
    dialog.name.setText("resnet18")
    dialog.shape.setText("1x3xbig")
    assert not dialog.start() and "input shape" in dialog.status.text()
    dialog.kind.setCurrentText("ONNX file")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx file at all")
    dialog.file.setText(str(broken))
    dialog.shape.setText("")
    with qtbot.waitSignal(dialog.finished_import, timeout=WAIT) as blocker:
        assert dialog.start()
    assert blocker.args == [None]
    assert "not a readable ONNX file" in dialog.status.text()
    assert dialog.import_button.isEnabled() and dialog.job is None


def test_model_names_complete_from_torchvision(window, qtbot, tmp_path):
    dialog = ImportDialog(window, tmp_path)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentText("torchvision")
    names = dialog.names.stringList()
    assert "resnet18" in names and "mobilenet_v3_small" in names
    dialog.name.setText("mobilenet_v3_sm")
    assert dialog.out.text().endswith("mobilenet_v3_sm.nnet.json")
    assert parse_shape("1x3x224x224") == (1, 3, 224, 224) and parse_shape(" ") is None


def test_cancel_stops_the_import_and_writes_nothing(window, qtbot, tmp_path):
    dialog = ImportDialog(window, tmp_path)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentText("torchvision")
    dialog.name.setText("resnet18")
    dialog.shape.setText("1x3x32x32")
    with qtbot.waitSignal(dialog.finished_import, timeout=WAIT) as blocker:
        assert dialog.start()
        dialog.cancel()  # the importer stops at its next progress report
    assert blocker.args == [None] and "cancelled" in dialog.status.text()
    assert not list(tmp_path.iterdir())
