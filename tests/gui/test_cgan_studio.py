"""The conditional GAN in the studio: trained from the window (the training child process), its
sample grid shown in the Samples tab with one row per class, and the Lab's "Generate a class"
form asking the run's generator for a chosen digit.

The oracles are the run's own files: the Samples tab shows the PNG the run wrote (enlarged 3x),
and the Lab's picture equals what the checkpoint's generator draws for that class and seed.
"""
from __future__ import annotations

import numpy as np

from studio.inspect.generate import conditional_samples, picture_grid
from studio.inspect.load import open_network

from support.gui_helpers import run_tool

QUICK = {"epochs": 1, "limit": 160, "batch_size": 16, "log_every": 1, "device": "cpu"}


def test_cgan_trains_in_the_studio_and_the_lab_draws_a_chosen_class(qtbot, make_window,
                                                                    tmp_path):
    window = make_window("cgan")
    window.training.runs_root = tmp_path / "runs"
    window.training.overrides = dict(QUICK)
    run = window.start_training()
    qtbot.waitUntil(lambda: run.finished and not window.training.running, timeout=60000)
    assert run.status == "finished", list(run.log)
    samples = run.samples
    assert samples["kind"] == "generated" and samples["rows"] == [str(k) for k in range(10)]

    d = window.dashboard
    d.tabs.setCurrentWidget(d.samples)
    d.samples.refresh(run)
    assert "one row per class: 0, 1, 2" in d.samples.title.text()
    pixmap = d.samples.picture.pixmap()
    assert (pixmap.width(), pixmap.height()) == (3 * (2 + 8 * 10), 3 * (2 + 10 * 10))

    lab = window.lab
    lab.set_weights(str(run.folder))
    result = run_tool(qtbot, lab, "generate", label=6, count=5, seed=2)
    assert result is not None, lab.error
    generator = open_network(window.session.doc, "generator", str(run.folder))
    expected = picture_grid(conditional_samples(generator, [6], 5, seed=2), columns=5)
    np.testing.assert_array_equal(result.pictures[0].rgb, expected)
    assert len(lab.pictures.tiles) == 1 and "class 6" in lab.pictures.tiles[0][1].text()
