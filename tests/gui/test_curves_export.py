"""The dashboard's Export PNG / Export CSV buttons: a file dialog (answered here through the
window's hook), then the plots as an image and the runs' series as CSV."""
import csv
import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

STEPS = 40


def write_run(folder):
    """A small finished run folder: per-step loss and lr, one epoch with train/val metrics."""
    folder.mkdir()
    config = {"epochs": 1, "optimizer": {"name": "sgd", "lr": 0.1}}
    (folder / "config.json").write_text(json.dumps(config))
    events = [{"event": "start", "config": config}]
    events += [{"event": "step", "step": i, "loss": 2.0 / i, "lr": 0.1}
               for i in range(1, STEPS + 1)]
    events += [{"event": "epoch", "epoch": 1, "step": STEPS, "train": {"loss": 0.25},
                "val": {"loss": 0.5, "accuracy": 0.75}, "monitor": "val.accuracy", "best": 0.75},
               {"event": "end", "status": "done"}]
    (folder / "metrics.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    return folder


def opened(window, tmp_path):
    run = window.open_run(str(write_run(tmp_path / "run-a")))
    assert run is not None and window.dashboard.curves.runs
    return run


def answer(window, path):
    asked = []
    window.ask_export_path = lambda title, suggested, filter_: asked.append(filter_) or str(path)
    return asked


def test_export_png_writes_an_image_of_the_plots(window, qtbot, tmp_path):
    opened(window, tmp_path)
    asked = answer(window, tmp_path / "curves.png")
    qtbot.mouseClick(window.dashboard.curves.png_button, Qt.LeftButton)
    assert asked == ["PNG images (*.png)"]
    image = QImage(str(tmp_path / "curves.png"))
    assert not image.isNull() and (image.width(), image.height()) >= (1200, 800)


def test_export_csv_writes_the_runs_series_with_a_header(window, qtbot, tmp_path):
    opened(window, tmp_path)
    answer(window, tmp_path / "curves.csv")
    qtbot.mouseClick(window.dashboard.curves.csv_button, Qt.LeftButton)
    with open(tmp_path / "curves.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["kind", "name", "step", "value"]
    series = {}
    for kind, name, step, value in rows[1:]:
        series.setdefault((kind, name), []).append((int(step), float(value)))
    assert series[("step", "loss")] == [(i, 2.0 / i) for i in range(1, STEPS + 1)]
    assert series[("step", "lr")][-1] == (STEPS, 0.1)
    assert series[("epoch", "val.accuracy")] == [(STEPS, 0.75)]
    assert series[("epoch", "train.loss")] == [(STEPS, 0.25)]


def test_a_cancelled_dialog_writes_nothing_and_no_run_asks_nothing(window, qtbot, tmp_path):
    asked = []
    window.ask_export_path = lambda *a: asked.append(a)
    qtbot.mouseClick(window.dashboard.curves.csv_button, Qt.LeftButton)
    assert asked == []  # no run on the dashboard yet: nothing to export
    opened(window, tmp_path)
    qtbot.mouseClick(window.dashboard.curves.csv_button, Qt.LeftButton)
    assert len(asked) == 1 and not list(tmp_path.glob("*.csv"))


def test_an_unwritable_place_is_reported(window, qtbot, tmp_path):
    opened(window, tmp_path)
    answer(window, tmp_path / "missing-folder" / "curves.png")
    qtbot.mouseClick(window.dashboard.curves.png_button, Qt.LeftButton)
    assert window.notes and window.notes[-1][0] == "Cannot export the curves"
