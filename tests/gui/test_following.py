"""Views follow the open document through the session's one ``document_event`` signal: no view
subscribes to a document itself, a destroyed view is disconnected by Qt, and opening another
document keeps every view on the new one."""
import pytest
from PySide6.QtCore import SIGNAL

from support.gui_helpers import small_conv_doc
from studio.core.document import DOCUMENT_REPLACED, EVENTS, Document, Node
from studio.core.ops import AddNode, SetParams, SetTraining, SetVariable
from studio.core.templates import open_document
from studio.gui.editor.inspector import Inspector
from studio.gui.editor.scene import GraphScene
from studio.gui.session import Session
from studio.gui.dashboard.training import TrainingController
from studio.gui.dashboard.training_panel import TrainingPanel
from studio.gui.editor.variables_panel import VariablesPanel

VIEWS = (Inspector, VariablesPanel, TrainingPanel, GraphScene, TrainingController)
DOCUMENT_EVENT = SIGNAL("document_event(QString,PyObject)")


@pytest.fixture
def session(qtbot):
    s = Session()
    s.set_document(small_conv_doc())
    yield s
    s.close()


def _edit_everything(session) -> None:
    """One edit of each kind a view reacts to: params, variables, training, nodes."""
    session.apply(SetParams("model", "conv1", {"out_channels": 5}), "params")
    session.apply(SetVariable("model", "width", 9), "variable")
    session.apply(SetTraining("model", {"epochs": 3}), "training")
    session.apply(AddNode("model", Node("relu9", "activation.ReLU", ui={"pos": [0, 0]})), "add")
    session.undo.undo()
    session.flush()


def test_the_session_is_the_documents_only_subscriber(qtbot, session):
    views = [view(session) for view in VIEWS]
    assert len(session.doc._listeners) == 1
    assert session.receivers(DOCUMENT_EVENT) == len(views)


@pytest.mark.parametrize("view_type", VIEWS, ids=lambda t: t.__name__)
def test_a_destroyed_view_gets_no_more_events(qtbot, session, view_type):
    view, witness = view_type(session), VariablesPanel(session)
    qtbot.addWidget(witness)
    connected = session.receivers(DOCUMENT_EVENT)
    with qtbot.waitSignal(view.destroyed):
        view.deleteLater()
    assert session.receivers(DOCUMENT_EVENT) == connected - 1
    _edit_everything(session)  # a slot of the dead view would raise: pytest-qt fails the test
    session.set_document(small_conv_doc())
    _edit_everything(session)
    assert witness.table.item(0, 1).text() == "9"  # the living view still follows


def test_every_event_a_document_emits_is_listed():
    doc = Document()
    with pytest.raises(ValueError, match="unknown document event 'node_moved'"):
        doc.emit("node_moved", scope="model")
    assert DOCUMENT_REPLACED not in EVENTS  # the session's, never a document's own


def test_views_follow_the_document_opened_after_them(qtbot, window):
    old = window.session.doc
    heard = []
    window.session.document_event.connect(lambda event, info: heard.append(event))
    window.set_document(open_document("mlp")[0])
    assert heard == [DOCUMENT_REPLACED]
    session, doc = window.session, window.session.doc
    assert len(old._listeners) == 0 and len(doc._listeners) == 1
    SetVariable("model", "num_classes", 3).apply(old)  # the old document no longer reaches views
    assert heard == [DOCUMENT_REPLACED]

    window.scene.select_ids(["linear1"])
    assert window.inspector.node_id == "linear1"
    session.apply(SetParams("model", "linear1", {"out_features": 33}), "params")
    editor = window.inspector.editors["out_features"]
    assert not editor.toggle.isChecked() and editor.typed.value() == 33
    session.apply(SetVariable("model", "hidden2", 17), "variable")
    rows = {window.variables.table.item(r, 0).text(): window.variables.table.item(r, 1).text()
            for r in range(window.variables.table.rowCount())}
    assert rows["hidden2"] == "17" and "c1_padding" not in rows  # mlp's, not lenet5's
    session.apply(SetTraining("model", {"epochs": 4}), "training")
    assert window.training_panel.widgets["epochs"].value() == 4
    session.apply(SetParams("model", "linear1", {"out_features": 12}), "params")
    assert "out_features=12" in window.scene.nodes["linear1"].summary
    assert heard.count("params_changed") == 2 and "variable_changed" in heard
