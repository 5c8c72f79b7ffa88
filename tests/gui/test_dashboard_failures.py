"""A training child that raises or is killed shows its error while the editor keeps working; a
run folder trained headless (CLI) reopens with its curves; a checkpoint loads into the editor;
the child's import path has no Qt in it."""
import json
import subprocess
import sys

import numpy as np

from support.gui_helpers import QUICK

from studio.core.ops import SetParams

def _wait_gone(qtbot, window, timeout=45000):
    qtbot.waitUntil(lambda: not window.training.running, timeout=timeout)


def _editor_still_works(window):
    session = window.session
    node = next(n for n in session.graph.nodes.values() if n.type == "linear.Linear")
    before = session.doc.to_json()
    assert session.apply(SetParams(session.scope, node.id, {"out_features": 33}), "edit")
    assert session.graph.nodes[node.id].params["out_features"] == 33
    session.undo.undo()
    assert session.doc.to_json() == before


def test_a_child_that_raises_shows_the_error_and_the_editor_keeps_working(qtbot, trainer_window):
    w = trainer_window
    before = w.session.doc.to_json()
    run = w.start_training({"dataset": {"name": "no-such-data"}})
    _wait_gone(qtbot, w)
    assert run.status == "crashed"
    assert "unknown dataset 'no-such-data'" in run.error
    assert w.dashboard.error.isVisible() and "no-such-data" in w.dashboard.error.text()
    log = w.dashboard.log.toPlainText()
    assert "Traceback" in log or "DataError" in log  # the last lines of the child's output
    assert "DataError" in (run.folder / "child.log").read_text()
    assert w.session.doc.to_json() == before  # the document is untouched
    _editor_still_works(w)
    assert w.train_action.isEnabled()


def test_a_killed_child_is_reported_and_keeps_its_metrics(qtbot, trainer_window):
    w = trainer_window
    w.training.overrides = {**QUICK, "epochs": 400, "limit": None}
    run = w.start_training()
    qtbot.waitUntil(lambda: "val.loss" in run.epochs, timeout=45000)  # an epoch ended
    w.training.kill()  # what the OOM killer does
    _wait_gone(qtbot, w)
    assert run.status == "crashed" and "SIGKILL" in run.error
    assert "SIGKILL" in w.dashboard.error.text()
    events = [json.loads(x) for x in (run.folder / "metrics.jsonl").read_text().splitlines()
              if x.strip()]
    assert any(e["event"] == "epoch" for e in events)
    assert (run.folder / "checkpoints" / "last.safetensors").is_file()
    _editor_still_works(w)
    assert w.resume_action.isEnabled()  # a last checkpoint exists: the run can continue


def test_a_cli_run_folder_reopens_with_its_curves_and_loads_into_the_editor(trainer_window,
                                                                             tmp_path):
    folder = tmp_path / "cli-run"
    result = subprocess.run(
        [sys.executable, "-m", "studio", "train", "mlp", "--epochs", "2", "--limit", "96",
         "--batch-size", "16", "--device", "cpu", "--out", str(folder), "--quiet"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    w = trainer_window
    run = w.open_run(str(folder))
    assert run is not None and run.status == "finished"
    events = [json.loads(x) for x in (folder / "metrics.jsonl").read_text().splitlines()]
    losses = [e["loss"] for e in events if e["event"] == "step"]
    curves = w.dashboard.curves.runs[id(run)][1].items
    assert np.allclose(curves[("loss", "loss.raw")].yData, losses)
    assert len(curves[("loss", "val.loss")].yData) == 2
    assert w.dashboard.items[id(run)].text(1) == "finished"
    assert run.checkpoints() == ["best", "last"]
    # activations on demand from the checkpoint, for a validation sample
    view = w.dashboard.activations
    view.select_node(view.node_box.itemText(0))
    view.show_on_demand()
    assert view.panel.shown is not None, view.panel.caption.text()
    assert "last checkpoint" in view.panel.caption.text()
    # load the checkpoint into the editor's network; a saved document gets the weights beside it
    w.session.path = str(tmp_path / "mine.nnet.json")
    assert w.load_checkpoint(run)
    from safetensors.torch import load_file
    saved = load_file(str(tmp_path / "mine.safetensors"))
    trained = load_file(str(folder / "checkpoints" / "last.safetensors"))
    assert set(saved) == {k[len("model.model."):] for k in trained if k.startswith("model.model.")}
    for key, value in saved.items():
        assert np.array_equal(value.numpy(), trained[f"model.model.{key}"].numpy())


def test_a_checkpoint_that_does_not_fit_is_refused_with_a_message(trainer_window, tmp_path):
    folder = tmp_path / "lenet-run"
    result = subprocess.run(
        [sys.executable, "-m", "studio", "train", "lenet5", "--epochs", "1", "--limit", "32",
         "--batch-size", "16", "--device", "cpu", "--out", str(folder), "--quiet"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    w = trainer_window  # the editor holds the mlp: LeNet weights do not fit
    run = w.open_run(str(folder))
    assert not w.load_checkpoint(run)
    message = w.statusBar().currentMessage()
    assert "cannot load" in message and "tensors" in message
    assert getattr(w.session, "weights", None) is None
    assert w.open_run(str(tmp_path)) is None  # not a run folder: a message, no exception
    assert "not a run folder" in w.statusBar().currentMessage()


def test_the_child_import_path_has_no_qt():
    script = ("import sys\n"
              "for m in ('PySide6', 'pyqtgraph', 'shiboken6'): sys.modules[m] = None\n"
              "import studio.train.run_process, studio.train.run_data, studio.inspect.run_probe\n"
              "import studio.train.engine\nprint('ok')\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]


def test_the_training_child_runs_below_the_studio():
    script = ("import os\nfrom studio.train.run_process import _lower_priority, NICE\n"
              "before = os.nice(0)\n_lower_priority()\nprint(os.nice(0) - before, NICE)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    raised, wanted = result.stdout.split()
    assert result.returncode == 0 and raised == wanted, result.stderr[-2000:]


def test_a_child_killed_halfway_through_an_event_does_not_hang_the_studio():
    import threading
    import time

    from studio.train.run_process import TrainingProcess
    from support.child_targets import send_half_an_event
    proc = TrainingProcess("{}", {}, "unused")
    proc.process = proc.ctx.Process(target=send_half_an_event, args=(proc.queue,), daemon=True)
    proc.start()
    assert proc.queue.get(timeout=30) == {"event": "start"}  # a whole event first
    time.sleep(1)  # the child has written the first bytes of the next one and waits
    proc.kill()
    proc.process.join(timeout=10)
    drained = []  # in a thread, so a regression fails here instead of hanging the suite
    reader = threading.Thread(target=lambda: drained.append(proc.drain()), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "drain() waits for the rest of an event that never comes"
    assert drained == [[]]  # it stops at the end of file the dead child left
    proc.close()
