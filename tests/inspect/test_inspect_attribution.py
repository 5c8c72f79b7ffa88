"""Class activation maps, Grad-CAM, saliency and integrated gradients on a briefly trained net.

The oracle is the data: the shapes dataset comes with each shape's pixel mask, so a map that
explains the decision must peak on the shape (chance is the mask's area, about 14 %).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from support.inspect_net import accuracy, trained_net
from studio.compile.fx import compile_network
from studio.core.templates import open_document
from studio.inspect import attribution as A
from studio.inspect.errors import InspectError
from studio.inspect.images import load_image, overlay, save_png, to_rgb

N = 40


@pytest.fixture(scope="module")
def net():
    compiled, _, val = trained_net()
    assert accuracy(compiled.module, val) > 0.9  # the maps below explain a working classifier
    return compiled, val


def _hit_rate(method, val) -> tuple[float, float]:
    hits, ratios = 0, []
    for i in range(N):
        heat, _ = method(val["image"][i:i + 1])
        mask = val["mask"][i].numpy() > 0
        r, c = np.unravel_index(heat.argmax(), heat.shape)
        hits += bool(mask[r, c])
        ratios.append(heat[mask].mean() / max(heat[~mask].mean(), 1e-6))
    return hits / N, float(np.median(ratios))


def test_grad_cam_peaks_inside_the_shape(net):
    compiled, val = net
    rate, ratio = _hit_rate(lambda x: A.grad_cam(compiled.module, "relu3", x), val)
    assert rate >= 0.75, rate
    assert ratio > 2.0, ratio  # the shape is also hotter than the background on the whole


def test_class_activation_map_finds_its_layers_and_equals_grad_cam_there(net):
    compiled, val = net
    x = val["image"][:1]
    assert A.find_cam_layers(compiled.module, x) == ("relu3", "classifier")
    cam, k = A.class_activation_map(compiled.module, x)
    # before global average pooling the logit's gradient is w[k]/HW everywhere: same map
    gc, k2 = A.grad_cam(compiled.module, "relu3", x, target=k)
    assert k == k2 == int(compiled.module(x).argmax())
    assert np.allclose(cam, gc, atol=1e-4)
    rate, _ = _hit_rate(lambda x: A.class_activation_map(compiled.module, x), val)
    assert rate >= 0.75, rate


def test_integrated_gradients_and_saliency_point_at_the_shape(net):
    compiled, val = net
    rate, _ = _hit_rate(lambda x: A.integrated_gradients(compiled.module, x, steps=16), val)
    assert rate >= 0.75, rate
    heat, k = A.saliency(compiled.module, val["image"][:1], target=2)
    assert k == 2 and heat.shape == (32, 32) and 0 <= heat.min() and heat.max() == 1.0


def test_explaining_another_class_changes_the_map(net):
    compiled, val = net
    x = val["image"][:1]
    maps = [A.grad_cam(compiled.module, "relu3", x, target=k)[0] for k in range(3)]
    assert not np.allclose(maps[0], maps[1]) or not np.allclose(maps[1], maps[2])


def test_overlay_blends_heat_over_the_image(net, tmp_path):
    compiled, val = net
    x = val["image"][:1]
    heat, _ = A.grad_cam(compiled.module, "relu3", x)
    rgb = to_rgb(x)
    assert overlay(rgb, heat, alpha=0.0).tolist() == rgb.tolist()
    blended = overlay(rgb, heat, alpha=0.6)
    assert blended.shape == (32, 32, 3) and blended.dtype == np.uint8
    assert not np.array_equal(blended, rgb)
    assert save_png(blended, tmp_path / "cam.png").stat().st_size > 0


def test_unknown_node_is_named(net):
    compiled, val = net
    with pytest.raises(InspectError) as e:
        A.grad_cam(compiled.module, "conv9", val["image"][:1])
    assert "conv9" in str(e.value) and "conv3" in str(e.value) and "\n" not in str(e.value)


def test_grad_cam_refuses_a_layer_without_feature_maps(net):
    compiled, val = net
    with pytest.raises(InspectError, match=r"'gap' outputs N×32.*N×C×H×W"):
        A.grad_cam(compiled.module, "gap", val["image"][:1])


def test_class_out_of_range_is_named(net):
    compiled, val = net
    with pytest.raises(InspectError, match="class 7 out of range.*3 classes"):
        A.saliency(compiled.module, val["image"][:1], target=7)


def test_cam_refuses_a_network_without_global_pooling():
    doc, _, _ = open_document("lenet5")
    compiled = compile_network(doc, "model", doc.variables, seed=0)
    with pytest.raises(InspectError, match="Grad-CAM"):
        A.class_activation_map(compiled.module, torch.rand(1, 1, 32, 32))
    heat, _ = A.grad_cam(compiled.module, "c3", torch.rand(1, 1, 32, 32))  # any conv layer
    assert heat.shape == (32, 32)


def test_wrong_image_size_is_named(tmp_path):
    path = save_png(np.zeros((64, 48, 3), np.uint8), tmp_path / "big.png")
    with pytest.raises(InspectError, match=r"big\.png: image is 48×64.*expects 32×32"):
        load_image(path, 1, (32, 32))
    assert load_image(path, 1, (32, 32), resize=True).shape == (1, 1, 32, 32)
    assert load_image(path, 3).shape == (1, 3, 64, 48)
    (tmp_path / "bad.png").write_text("not an image")
    with pytest.raises(InspectError, match="bad.png: cannot read image"):
        load_image(tmp_path / "bad.png", 1)
