"""Optimizing the input of a briefly trained net: attacks, maximization, inversion, style.

Each check is about what the optimization achieves on the real network (the target class is
reached, the logit rises, the feature or Gram loss falls by a large factor), not about pixels.
"""
from __future__ import annotations

from importlib import resources

import pytest
import torch

from support.inspect_net import trained_net
from studio.inspect import adversarial as A
from studio.inspect.errors import InspectError
from studio.inspect.images import load_image
from studio.inspect.inversion import invert
from studio.inspect.maximize import maximize, start_image
from studio.inspect.network import predict
from studio.inspect.style import (cached_vgg, default_layers, feature_interpolation, gram,
                                  style_transfer)


@pytest.fixture(scope="module")
def net():
    compiled, _, val = trained_net()
    return compiled.module, val


def test_targeted_attack_reaches_the_class_with_a_small_perturbation(net):
    model, val = net
    norms = []
    for i in range(4):
        x, label = val["image"][i:i + 1], int(val["label"][i])
        target = (label + 1) % 3
        r = A.smallest_targeted(model, x, target, steps=20, refine=4)
        assert r.success and predict(model, r.adversarial)[0][0] == target
        # shapes are drawn at 0.5-1 over a noisy black background: a quarter of the value
        # range at the very most
        assert r.linf <= 0.25, r.linf
        assert r.linf <= r.epsilon + 1e-6 and float(r.adversarial.min()) >= 0
        norms.append(r.linf)
        assert r.original_class == label and r.adversarial_class == target
        # the search bisected: a clearly smaller budget does not succeed
        assert not A.pgd(model, x, r.epsilon * 0.5, 20, target=target).success
    assert sorted(norms)[len(norms) // 2] <= 0.1, norms  # typically a few percent


def test_l2_targeted_attack_stays_within_its_budget(net):
    model, val = net
    x, label = val["image"][:1], int(val["label"][0])
    r = A.smallest_targeted(model, x, (label + 2) % 3, norm="L2", steps=20, refine=3)
    assert r.success and r.l2 <= r.epsilon + 1e-4 and r.l2 < 3.0


def test_untargeted_attacks_lower_the_confidence_in_the_true_class(net):
    model, val = net
    x, label = val["image"][:1], int(val["label"][0])
    before = torch.softmax(model(x), 1)[0, label]
    for r in (A.fgsm(model, x, 0.05, label), A.pgd(model, x, 0.05, 10, label=label)):
        after = torch.softmax(model(r.adversarial), 1)[0, label]
        assert after < before and r.linf <= 0.05 + 1e-6


def test_attack_search_can_be_cancelled(net):
    model, val = net
    calls = []
    r = A.smallest_targeted(model, val["image"][:1], (int(val["label"][0]) + 1) % 3,
                            progress=lambda f: calls.append(f) or False)
    assert len(calls) == 1 and r.cancelled


def test_maximization_raises_the_logit_well_above_the_start(net):
    model, val = net
    for k in range(3):
        other = int((val["label"] != k).nonzero()[0])  # start from an image of another class
        start = val["image"][other:other + 1]
        r = maximize(model, start, k, steps=120)
        assert r.final_value > r.start_value + 10, (k, r.start_value, r.final_value)
        assert predict(model, r.image)[0][0] == k
        assert 0 <= float(r.image.min()) and float(r.image.max()) <= 1


def test_channel_maximization_and_cancel(net):
    model, val = net
    start = start_image(val["image"][:1])
    r = maximize(model, start, 3, layer="relu3", steps=60)
    assert r.final_value > 1.5 * r.start_value + 1
    seen = []
    r = maximize(model, start, 3, layer="relu3", steps=60,
                 progress=lambda f: seen.append(f) or len(seen) < 5)
    assert r.cancelled and len(r.history) == 5
    with pytest.raises(InspectError, match="channel 99 out of range.*'relu3' has 32"):
        maximize(model, start, 99, layer="relu3", steps=1)


def test_inversion_matches_the_features(net):
    model, val = net
    x = val["image"][:1]
    r = invert(model, "relu2", x, steps=150)
    assert r.final_value < r.start_value / 10, (r.start_value, r.final_value)
    # the reconstruction resembles the input more than the noise it started from did
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(0))
    assert (r.image - x).abs().mean() < (noise - x).abs().mean()


def _sample(name: str) -> torch.Tensor:
    return load_image(resources.files("studio.resources") / name, 1)


def test_style_transfer_lowers_the_gram_loss_by_a_large_factor(net):
    model, _ = net
    content, style = _sample("sample_content.png"), _sample("sample_style.png")
    assert content.shape == style.shape == (1, 1, 64, 64)  # larger than the net's 32×32 input
    layers, content_layer = default_layers(model, content)
    r = style_transfer(model, content, style, layers, content_layer, steps=120)
    assert r.final_value < r.start_value / 10, (r.start_value, r.final_value)
    assert r.history[0] > r.history[-1]


def test_gram_matrix_is_position_free():
    f = torch.randn(1, 4, 6, 6)
    assert torch.allclose(gram(f), gram(torch.roll(f, (2, 3), dims=(2, 3))), atol=1e-5)
    assert torch.allclose(gram(f)[0], f[0].reshape(4, 36) @ f[0].reshape(4, 36).T / 36)


def test_feature_interpolation_moves_towards_the_target_set(net):
    model, val = net
    circles = val["image"][val["label"] == 0][:24]
    squares = val["image"][val["label"] == 1][:24]
    x = circles[:1]
    r = feature_interpolation(model, x, circles, squares, ["relu2", "relu3"], steps=100)
    before, after = (torch.softmax(model(z), 1)[0, 1] for z in (x, r.image))
    assert r.final_value < r.start_value / 4 and after > before + 0.3


def test_vgg_is_never_downloaded(tmp_path):
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path))
    try:
        with pytest.raises(InspectError, match="not in the torch hub cache"):
            cached_vgg("vgg19")
    finally:
        torch.hub.set_dir(old)
    assert not any(tmp_path.rglob("*.pth"))
