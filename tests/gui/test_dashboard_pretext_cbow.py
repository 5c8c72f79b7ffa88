"""Issue 20's self-supervised and CBOW items trained in the studio (the training child process):
CBOW's nearest words reach the Samples tab as word2vec's do, and the rotation pretext run's
folder, typed into the training panel's Initial weights, starts the linear probe's backbone."""
from __future__ import annotations

from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.engine import train

QUICK = {"epochs": 1, "batch_size": 64, "log_every": 1, "device": "cpu"}


def _train(qtbot, window, tmp_path, **overrides):
    window.training.runs_root = tmp_path / "runs"
    window.training.overrides = {**QUICK, **overrides}
    run = window.start_training()
    qtbot.waitUntil(lambda: run.finished and not window.training.running, timeout=60000)
    assert run.status == "finished", list(run.log)
    return run


def test_cbow_shows_nearest_words_in_the_samples_tab(qtbot, make_window, tmp_path):
    window = make_window("cbow")
    run = _train(qtbot, window, tmp_path, limit=1024)
    assert run.samples["kind"] == "neighbours" and "socket" in run.samples["neighbours"]
    d = window.dashboard
    d.tabs.setCurrentWidget(d.samples)
    qtbot.waitUntil(lambda: d.samples.shown is run.samples, timeout=5000)
    assert d.samples.title.text().startswith("nearest words")
    near = ", ".join(run.samples["neighbours"]["socket"])
    assert f"<b>socket</b></td><td>{near}" in d.samples.picture.text()


def test_linear_probe_starts_from_the_pretext_run_typed_in_the_panel(qtbot, make_window,
                                                                     tmp_path):
    # the pretext step as `netstudio train rotation-pretext` runs it (trained in the studio
    # the same way, through the same child process as the probe below)
    folder = tmp_path / "pretext"
    doc = apply_preset(open_document("rotation-pretext")[0], "small")
    assert train(doc, {**QUICK, "limit": 256}, out=str(folder)).status == "finished"
    window = make_window("linear-probe")
    field = window.training_panel.widgets["init_weights"]
    field.setText(str(folder))
    field.editingFinished.emit()
    assert window.session.doc.training["init_weights"] == str(folder)
    probe = _train(qtbot, window, tmp_path / "probe", limit=256)
    assert f"note: initial weights: 4 tensors from {folder.name}; fresh layers (shape "\
           "changed or not in the file): probe" in probe.log, list(probe.log)
    window.session.undo.undo()  # the edit was one undoable step; empty means unset
    assert window.session.doc.training.get("init_weights") is None and field.text() == ""
