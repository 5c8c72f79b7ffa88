"""Training from the studio: a real child process trains the mlp on a few digits and its events
reach the curves, filters and activations; Stop ends it with a checkpoint; edits during a run
mark it stale and never reach it; the training panel edits the document through undo."""
import json

import numpy as np

from support.gui_helpers import QUICK

from studio.train.runs import read_checkpoint


def _wait_finished(qtbot, run, timeout=45000, window=None):
    """Until the run ended and its process is gone (the end event comes a moment earlier)."""
    qtbot.waitUntil(lambda: run.finished and not (window and window.training.running),
                    timeout=timeout)


def test_short_run_streams_events_into_the_curves(qtbot, trainer_window):
    w = trainer_window
    ticks = []
    w.training.tick.connect(lambda: ticks.append(w.training.run.last_step))
    run = w.start_training()
    assert run is not None and w.training.running
    assert not w.train_action.isEnabled() and w.stop_action.isEnabled()
    _wait_finished(qtbot, run, window=w)
    assert run.status == "finished", list(run.log)
    steps = run.steps["loss"]
    assert steps.n == run.last_step > 0 and list(steps.x) == list(range(1, steps.n + 1))
    assert len(ticks) >= 2  # events came in over several timer ticks, not at the end
    # the curves show exactly the buffers: raw loss, smoothed loss, per-epoch validation
    curves = w.dashboard.curves.runs[id(run)][1].items
    raw = curves[("loss", "loss.raw")]
    assert np.array_equal(raw.yData, steps.y)
    assert len(curves[("loss", "val.loss")].xData) == 2
    assert len(curves[("accuracy", "val.accuracy")].yData) == 2
    assert len(curves[("learning rate", "lr")].yData) == steps.n
    # the same events are in the run folder
    lines = [json.loads(x) for x in (run.folder / "metrics.jsonl").read_text().splitlines()]
    assert sum(e["event"] == "step" for e in lines) == steps.n
    # filters and activations from the snapshots of the watched nodes
    w.dashboard.tabs.setCurrentWidget(w.dashboard.filters)
    assert w.dashboard.filters.panel.shown is not None
    assert "weight images" in w.dashboard.filters.panel.caption.text()  # first Linear on 8×8
    w.dashboard.tabs.setCurrentWidget(w.dashboard.activations)
    assert w.dashboard.activations.panel.shown is not None
    w.dashboard.tabs.setCurrentWidget(w.dashboard.classes)
    assert w.dashboard.classes.table.rowCount() == 10
    assert w.train_action.isEnabled() and not w.stop_action.isEnabled()


def test_stop_ends_the_run_with_a_checkpoint_and_resume_continues(qtbot, trainer_window):
    w = trainer_window
    w.training.overrides = {**QUICK, "epochs": 400, "limit": None}
    run = w.start_training()
    qtbot.waitUntil(lambda: run.last_step >= 3, timeout=45000)
    w.stop_action.trigger()
    _wait_finished(qtbot, run, 30000, w)
    assert run.status == "interrupted"
    assert run.last_epoch < 400
    assert (run.folder / "checkpoints" / "last.safetensors").is_file()
    info = read_checkpoint(run.folder, "last")[1]["info"]
    assert info["step"] >= run.steps["loss"].x[-1]
    assert w.resume_action.isEnabled()
    stopped_at = info["step"]
    w.training.overrides = {**QUICK, "epochs": 400, "limit": None}
    assert w.resume_training()
    qtbot.waitUntil(lambda: run.last_step > stopped_at + 2, timeout=45000)
    w.training.stop()
    _wait_finished(qtbot, run, 30000, w)
    starts = [json.loads(x) for x in (run.folder / "metrics.jsonl").read_text().splitlines()
              if '"start"' in x]
    assert len(starts) == 2 and starts[1]["resumed_at"] == stopped_at


def test_edits_during_a_run_mark_it_stale_and_never_reach_it(qtbot, trainer_window):
    w = trainer_window
    w.training.overrides = {**QUICK, "epochs": 400, "limit": None}
    run = w.start_training()
    qtbot.waitUntil(lambda: run.last_step >= 1, timeout=45000)
    snapshot = (run.folder / "document.nnet.json").read_text()
    assert not w.dashboard.stale.isVisible() and not w.training.stale
    w.training_panel.set_value("epochs", 7)  # an edit during the run
    assert w.training.stale and w.dashboard.stale.isVisible()
    assert w.session.doc.training["epochs"] == 7
    w.training.stop()
    _wait_finished(qtbot, run, 30000, w)
    assert (run.folder / "document.nnet.json").read_text() == snapshot
    assert json.loads((run.folder / "config.json").read_text())["epochs"] == 400


def test_training_panel_edits_go_through_undo(trainer_window):
    w = trainer_window
    panel, doc = w.training_panel, w.session.doc
    before = json.dumps(doc.training, sort_keys=True)
    lr = panel.widgets["optimizer.lr"]
    lr.setText("0.05")
    lr.editingFinished.emit()
    assert doc.training["optimizer"] == {"name": "adam", "lr": 0.05}
    lr.setText("fast")  # not a number: a message, the document unchanged
    lr.editingFinished.emit()
    assert doc.training["optimizer"]["lr"] == 0.05 and lr.text() == "0.05"
    box = panel.widgets["optimizer.name"]
    box.setCurrentIndex(box.findData("sgd"))
    box.activated.emit(box.currentIndex())
    assert doc.training["optimizer"]["name"] == "sgd"
    panel.widgets["epochs"].setValue(3)
    assert doc.training["epochs"] == 3
    devices = panel.widgets["device"]
    assert [devices.itemData(i) for i in range(2)] == ["auto", "cpu"]
    assert panel.set_dataset("toy2d") and doc.training["dataset"]["name"] == "toy2d"
    while w.session.undo.canUndo():
        w.session.undo.undo()
    assert json.dumps(doc.training, sort_keys=True) == before
    assert lr.text() == "0.002" and panel.widgets["epochs"].value() == 10
    assert panel.dataset_box.currentData() == "digits"
