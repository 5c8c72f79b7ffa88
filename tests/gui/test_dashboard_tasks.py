"""Task panels of the dashboard, from real runs in the child process: a U-Net on the bundled
shapes streams predicted masks into the Masks tab, a VAE's samples carry a latent traversal
shown in the Samples tab, and selecting a node on the canvas switches the Activations tab to it.

The oracles are the run's own data and checkpoint: the true masks are the validation masks, the
predicted ones the argmax of the last checkpoint's logits, and the middle of the traversal (mu
of probe sample 0, unchanged) the checkpoint's reconstruction of that sample.
"""
import numpy as np
import pytest
import torch

from studio.inspect import run_probe
from studio.gui.dashboard.task_views import PALETTE, class_colours

QUICK = {"epochs": 1, "limit": 48, "batch_size": 16, "log_every": 1, "device": "cpu"}


def _train(qtbot, make_window, tmp_path, template):
    window = make_window(template)
    window.training.runs_root = tmp_path / "runs"
    window.training.overrides = dict(QUICK)
    run = window.start_training()
    qtbot.waitUntil(lambda: run.finished and not window.training.running, timeout=50000)
    assert run.status == "finished", list(run.log)
    return window, run


def _validation(run, count):
    """The first ``count`` validation samples of the run, as the engine's probe batch took them."""
    from studio.train.data import load_dataset
    c = run.config
    val = load_dataset(dict(c["dataset"]), int(c["seed"]), []).limited(c["limit"]).val
    items = [val[i] for i in range(count)]
    return {k: torch.stack([torch.as_tensor(item[k]) for item in items]) for k in items[0]}


def _checkpoint_outputs(run, image):
    """The last checkpoint's outputs by name (the inference module returns a tensor or a tuple)."""
    _, compiled = run_probe.network(run.folder, "last")
    with torch.no_grad():
        result = compiled.module(image)
    return dict(zip(compiled.outputs, result if isinstance(result, tuple) else (result,)))


@pytest.fixture
def unet(qtbot, make_window, tmp_path):
    return _train(qtbot, make_window, tmp_path, "unet")


def test_segmentation_run_streams_masks_into_the_masks_tab(unet):
    window, run = unet
    d, samples = window.dashboard, run.samples
    assert samples["kind"] == "masks" and samples["names"][0] == "background"
    assert d.tabs.isTabVisible(d.tabs.indexOf(d.masks))
    d.tabs.setCurrentWidget(d.masks)
    picture = d.masks.panel.shown
    assert picture.shape == (4 * 32 + 3 * 2, 3 * 32 + 2 * 2, 3)
    assert "image | true mask | predicted mask" in d.masks.panel.caption.text()
    # true masks: the validation masks; predicted: the argmax of the checkpoint's logits
    val = _validation(run, 4)
    assert np.array_equal(np.array(samples["true"]), val["mask"].numpy())
    logits = next(iter(_checkpoint_outputs(run, val["image"]).values()))
    predicted = np.array(samples["predicted"])
    assert np.array_equal(predicted, logits.argmax(1).numpy())
    # class-coloured tiles: row 1, column 2 is sample 1's true mask, column 3 its prediction
    row = slice(34, 66)
    assert np.allclose(picture[row, 34:66], class_colours(val["mask"][1].numpy()))
    assert np.allclose(picture[row, 68:100], PALETTE[predicted[1]])
    assert (val["mask"][1] > 0).any()  # a shape is in the picture, not only background


def test_selecting_a_node_on_the_canvas_shows_its_activations(unet):
    window, run = unet
    d = window.dashboard
    box = d.activations.node_box
    d.tabs.setCurrentWidget(d.activations)
    window.scene.select_ids(["classifier"])  # a Conv2d: 4 maps of 32×32
    assert box.currentText() == "classifier"
    assert d.activations.panel.shown is not None
    assert "classifier" in d.activations.panel.caption.text()
    loss = next(n.id for n in window.session.graph.nodes.values() if n.type.startswith("loss."))
    window.scene.select_ids([loss])  # a scalar: no feature maps, the picker stays
    assert box.currentText() == "classifier"
    d.tabs.setCurrentWidget(d.curves)  # the Activations tab is not showing: nothing follows
    window.scene.select_ids(["inc"])
    assert box.currentText() == "classifier"
    d.tabs.setCurrentWidget(d.activations)
    window.scene.select_ids(["inc"])
    assert box.currentText() == "inc"


def test_vae_run_shows_a_latent_traversal(qtbot, make_window, tmp_path):
    window, run = _train(qtbot, make_window, tmp_path, "vae")
    d, walk = window.dashboard, run.samples["traversal"]
    assert not d.tabs.isTabVisible(d.tabs.indexOf(d.masks))
    steps, dims = walk["steps"], walk["dims"]
    assert len(dims) == 2 and len(set(dims)) == 2 and walk["offsets"][steps // 2] == 0
    d.tabs.setCurrentWidget(d.samples)
    assert d.samples.traversal_box.isVisible()
    assert d.samples.traversal.shown.shape == (2 * 8 + 2, steps * 8 + (steps - 1) * 2, 3)
    images = np.array(walk["images"], np.int64).reshape(2, steps, 8, 8)
    # the middle column decodes mu itself: the checkpoint's reconstruction of probe sample 0
    image = _validation(run, 1)["image"]
    reconstruction = _checkpoint_outputs(run, image)["reconstruction"][0, 0].numpy()
    expected = np.round(np.clip(reconstruction, 0, 1) * 255)
    for row in range(2):
        assert np.abs(images[row, steps // 2] - expected).max() <= 1
        assert np.abs(images[row, 0] - images[row, -1]).max() > 0  # the decoding moves with z
    assert "latent traversal" in d.samples.traversal.caption.text()
