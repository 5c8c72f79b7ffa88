"""*Convert to convolutions* from the canvas context menu: offered on a classifier head, refused
with the reason elsewhere, one undo step that the canvas follows. And issue 20's square-loss
regression template trains from the window."""
from __future__ import annotations

import json
import math

from studio.core.serialize import dumps
from studio.gui.editor.fc_conv_action import LABEL


def _action(window, node_id):
    centre = window.scene.nodes[node_id].sceneBoundingRect().center()
    menu = window.freeze_view.menu_at(centre)
    return next(a for a in menu.actions() if a.text() == LABEL)


def test_the_head_converts_in_one_undo_step_and_the_canvas_follows(window):
    session = window.session
    before = dumps(session.doc)
    action = _action(window, "f6")
    assert action.isEnabled()
    action.trigger()
    types = {nid: n.type for nid, n in session.doc.graph("model").nodes.items()}
    assert types["f6"] == types["output"] == "conv.Conv2d"
    assert set(window.scene.nodes) == set(types)  # the new pool and class-map output drawn
    session.undo.undo()
    assert dumps(session.doc) == before
    assert set(window.scene.nodes) == set(session.doc.graph("model").nodes)
    assert "flatten1" in window.scene.nodes
    session.undo.redo()
    assert session.doc.graph("model").nodes["f6"].type == "conv.Conv2d"


def test_a_node_outside_a_head_offers_the_action_disabled_with_the_reason(window):
    action = _action(window, "c3")
    assert not action.isEnabled()
    assert action.toolTip().startswith("c3: no Flatten -> Linear head here")


def test_the_square_loss_regression_template_trains_in_the_studio(qtbot, make_window, tmp_path):
    """The regression recipe had no template before issue 20: one short run from the window."""
    window = make_window("mlp-regression")
    window.training.runs_root = tmp_path / "runs"
    window.training.overrides = {"epochs": 2, "limit": 64, "batch_size": 16, "log_every": 1,
                                 "device": "cpu"}
    run = window.start_training()
    qtbot.waitUntil(lambda: run.finished and not window.training.running, timeout=50000)
    assert run.status == "finished", list(run.log)
    events = [json.loads(line) for line in (run.folder / "metrics.jsonl").read_text()
              .splitlines()]
    epochs = [e for e in events if e["event"] == "epoch"]
    assert len(epochs) == 2 and all(math.isfinite(e["val"]["mse"]) for e in epochs)
