"""The Lab's later tools in a real window: style transfer on a pretrained VGG found in the local
torch hub cache (a real torchvision checkpoint file in a temporary $TORCH_HOME), deep feature
interpolation, and the t-SNE hover that shows the sample's picture."""
from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from PySide6.QtGui import QImage

from studio.gui.lab.lab_forms import NO_VGG, THIS_NETWORK

from support.gui_helpers import run_tool


@pytest.fixture
def torch_home(monkeypatch, tmp_path):
    """An empty $TORCH_HOME; returns the folder torchvision reads cached weights from."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    # torch.hub.set_dir (called by other tests) would shadow $TORCH_HOME for the whole process
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    return tmp_path / "torch" / "hub" / "checkpoints"


def items(combo) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def test_style_says_no_vgg_is_cached_and_where_it_would_look(make_window, torch_home):
    lab = make_window("fcn").lab
    form = lab.select_tool("style")
    combo = form.widgets["network"]
    assert items(combo) == [THIS_NETWORK, NO_VGG]
    assert not combo.model().item(1).isEnabled()  # cannot be chosen
    assert combo.model().item(0).isEnabled()
    assert str(torch_home) in combo.itemData(1, 3)  # 3 = Qt.ToolTipRole
    assert str(torch_home) in combo.toolTip()
    assert form.values()["network"] == ""  # this network
    assert not torch_home.exists()  # nothing was downloaded


def test_style_runs_on_a_cached_vgg_loaded_as_weights_only(make_window, qtbot, torch_home,
                                                           monkeypatch):
    import torchvision
    lab = make_window("fcn").lab
    combo = lab.select_tool("style").widgets["network"]
    assert items(combo) == [THIS_NETWORK, NO_VGG]
    torch_home.mkdir(parents=True)
    torch.manual_seed(0)  # torchvision's own checkpoint format: a pickled plain state_dict
    torch.save(torchvision.models.vgg11().state_dict(), torch_home / "vgg11-8a719046.pth")
    loads = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: loads.append(k) or real_load(*a, **k))
    lab.select_tool("attribution")
    form = lab.select_tool("style")  # showing the tool re-reads the cache
    assert items(combo) == [THIS_NETWORK, "vgg11"]
    assert combo.model().item(1).isEnabled()
    form.set_value("network", "vgg11")
    assert form.values()["network"] == "vgg11"
    result = run_tool(qtbot, lab, "style", steps=2)
    assert lab.error == "", lab.error
    assert loads and all(k.get("weights_only") is True for k in loads)
    assert "vgg11" in result.summary and "features.17" in result.summary
    content, style, painted = (p.rgb for p in result.pictures)
    assert content.shape == painted.shape == (64, 64, 3)  # VGG: RGB at the picture's size
    assert not np.array_equal(content, painted)


def test_feature_interpolation_shows_original_and_result(window, qtbot):
    lab = window.lab
    lab.set_input(sample=3)
    result = run_tool(qtbot, lab, "interpolate", source=0, target=1, alpha=1.0, steps=8)
    assert lab.error == "", lab.error
    assert lab.views.currentWidget() is lab.pictures
    captions = [caption.text() for _, caption in lab.pictures.tiles]
    assert captions[0].startswith("original") and captions[1].startswith("towards 1")
    original, moved = (p.rgb for p in result.pictures)
    assert original.shape == moved.shape == (32, 32, 3)
    assert not np.array_equal(original, moved)
    start, end = (float(v) for v in
                  re.search(r"feature distance (\S+) → (\S+)", result.summary).groups())
    assert end < start  # the reconstruction moved towards the shifted features
    assert len(result.predictions) == 2
    run_tool(qtbot, lab, "interpolate", source=999, target=1, steps=2)
    assert "no samples of class 999" in lab.error


def pixels(pixmap) -> np.ndarray:
    image = pixmap.toImage().convertToFormat(QImage.Format_RGB888)
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, :3 * w].reshape(h, w, 3).copy()


def test_tsne_hover_shows_the_samples_picture(window, qtbot):
    from studio.inspect.images import to_rgb
    from studio.inspect.load import dataset_samples
    lab = window.lab
    result = run_tool(qtbot, lab, "tsne", count=40, perplexity=10)
    assert lab.error == "", lab.error
    scatter = lab.scatter
    assert scatter.preview.pixmap().isNull()  # nothing hovered yet
    expected = dataset_samples(window.session.doc, 40).inputs  # the oracle: the dataset itself
    for index in (7, 12):
        item, spot = next((item, spot) for item in scatter.items for spot in item.points()
                          if int(spot.data()) == index)
        scatter._hovered(item, [spot], None)  # what pyqtgraph's sigHovered delivers
        assert scatter.shown == index
        assert scatter.hover.text() == f"sample {index} · label {int(result.labels[index])}"
        shown = pixels(scatter.preview.pixmap())
        assert shown.shape == (96, 96, 3)  # 32×32 enlarged ×3, not smoothed
        assert np.array_equal(shown[::3, ::3], to_rgb(expected[index].float()))
    assert not np.array_equal(result.samples[7], result.samples[12])
