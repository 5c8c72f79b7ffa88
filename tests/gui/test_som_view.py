"""The Map tab of a self-organizing map run, from a real run in the studio's training child: the
prototypes in grid order and the U-matrix, checked against the run's last checkpoint."""
import numpy as np
import torch

from nodes.som import SelfOrganizingMap, umatrix
from studio.inspect import run_probe
from studio.inspect.som_map import GAP, MapError, prototype_picture, umatrix_picture

QUICK = {"epochs": 2, "limit": 300, "batch_size": 16, "log_every": 1, "device": "cpu"}


def test_som_run_shows_its_prototypes_and_u_matrix(qtbot, make_window, tmp_path):
    window = make_window("som")
    window.training.runs_root = tmp_path / "runs"
    window.training.overrides = dict(QUICK)
    d = window.dashboard
    assert not d.tabs.isTabVisible(d.tabs.indexOf(d.som_map))  # a lenet5 run would not show it
    run = window.start_training()
    qtbot.waitUntil(lambda: run.finished and not window.training.running, timeout=50000)
    assert run.status == "finished", list(run.log)
    assert run.samples["kind"] == "som" and run.samples["epoch"] == 2  # the last epoch's map
    assert d.tabs.isTabVisible(d.tabs.indexOf(d.som_map))
    d.tabs.setCurrentWidget(d.som_map)
    d.refresh(force=True)
    _, compiled = run_probe.network(run.folder, "last")
    som = next(m for m in compiled.module.modules() if isinstance(m, SelfOrganizingMap))
    weight = som.weight.detach()
    # prototypes: unit (r, c)'s 8x8 image at grid place (r, c), values kept (not normalized)
    picture = d.som_map.prototypes.shown
    assert picture.shape == (10 * (8 + GAP) - GAP, 10 * (8 + GAP) - GAP)
    for r, c in ((0, 0), (3, 7), (9, 9)):
        tile = picture[r * 9:r * 9 + 8, c * 9:c * 9 + 8]
        want = weight[r * 10 + c].reshape(8, 8).numpy()
        assert np.abs(tile - want).max() <= 0.5 / 255 + 1e-6
    # the U-matrix: the checkpoint's, scaled to [0, 1]
    u = umatrix(weight, 10, 10).numpy()
    shown = d.som_map.umatrix.shown
    assert np.allclose(shown, (u - u.min()) / (u.max() - u.min()), atol=1e-3)
    assert "U-matrix" in d.som_map.umatrix.caption.text()


def test_colour_prototypes_become_swatches_and_damaged_events_say_what_is_off():
    colours = torch.rand(2 * 3, 3)
    tiles = (colours.reshape(-1, 1, 1, 3).expand(-1, 8, 8, 3) * 255).round().to(torch.uint8)
    event = {"kind": "som", "rows": 2, "cols": 3, "picture": "colour",
             "prototypes": tiles.tolist(), "umatrix": [[1, 2, 3], [4, 5, 6]], "epoch": 1}
    picture, caption = prototype_picture(event)
    assert picture.shape == (2 * 9 - 1, 3 * 9 - 1, 3) and "colours" in caption
    assert np.allclose(picture[9 + 2, 18 + 2], colours[5].numpy(), atol=0.5 / 255 + 1e-6)
    scaled, _ = umatrix_picture(event)
    assert scaled.min() == 0 and scaled.max() == 1
    for broken, said in (({**event, "prototypes": tiles[:5].tolist()}, "expected 6"),
                         ({**event, "umatrix": [[1, 2]]}, "U-matrix has shape"),
                         ({**event, "rows": "2"}, "whole numbers")):
        try:
            prototype_picture(broken), umatrix_picture(broken)
        except MapError as e:
            assert said in str(e)
        else:
            raise AssertionError(f"no error for {said}")
