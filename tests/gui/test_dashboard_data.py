"""Run buffers (no Qt): events in, numpy series out; a run folder with a torn last line."""
import json

import numpy as np

from studio.inspect.mosaic import kernel_mosaic, snapshot_activation
from studio.train.run_data import RunData, smooth


def test_smoothing_as_events_arrive_matches_the_batch_formula():
    run = RunData("r")
    losses = [2.0, 1.5, 1.2, 0.9, 1.1]
    for i, loss in enumerate(losses, 1):
        run.add({"event": "step", "step": i, "loss": loss, "lr": 0.1})
    assert np.allclose(run.smoothed.y, smooth(np.array(losses)))
    run.add({"event": "step", "step": 6, "loss": "nan"})  # the writer's spelling of NaN
    assert np.isnan(run.steps["loss"].y[-1]) and np.isfinite(run.smoothed.y[-1])


def test_a_torn_metrics_file_still_opens(tmp_path):
    config = {"epochs": 3, "optimizer": {"name": "sgd", "lr": 0.1}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    lines = [{"event": "start", "config": config}] + [
        {"event": "step", "step": i, "loss": 1.0 / i} for i in range(1, 2001)] + [
        {"event": "epoch", "epoch": 1, "step": 2000, "train": {"loss": 0.5},
         "val": {"loss": 0.6, "accuracy": 0.7}, "monitor": "val.accuracy", "best": 0.7}]
    text = "\n".join(json.dumps(e) for e in lines) + '\n{"event": "step", "st'
    (tmp_path / "metrics.jsonl").write_text(text)
    run = RunData.from_folder(tmp_path)
    assert run.steps["loss"].n == 2000 and run.steps["loss"].y[-1] == 1 / 2000
    assert run.status == "incomplete" and "not JSON" in run.log[-1]
    assert run.best_value() == ("val.accuracy", 0.7)
    assert run.hyper()["optimizer"] == "sgd"
    out = run.write_csv(tmp_path / "curves.csv")
    assert len(out.read_text().splitlines()) == 1 + 2000 + 3


def test_mosaics_use_the_complete_tiles_of_a_truncated_snapshot():
    rgb = {"shape": [16, 3, 5, 5], "values": list(np.arange(16 * 75) % 7 * 1.0)[:900],
           "truncated": True}
    image, caption = kernel_mosaic(rgb)
    assert image.ndim == 3 and image.shape[2] == 3 and caption.startswith("12 of 16 filters")
    act = {"shape": [8, 6, 4, 4], "values": [1.0] * 60, "truncated": True}
    assert snapshot_activation(act).shape == (3, 4, 4)  # 3 complete channels of sample 0
