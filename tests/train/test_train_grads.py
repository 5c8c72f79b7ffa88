"""Gradients as views of one buffer (studio.train.grads): the same training as separate
gradients, one norm over all of them, and views that survive code setting gradients to None."""
from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from studio.train.grads import GradientBuffer, clipped_norm
from studio.train.optim import make_optimizer


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))


def _batches():
    g = torch.Generator().manual_seed(1)
    return [(torch.randn(5, 1, 8, 8, generator=g), torch.randint(0, 3, (5,), generator=g))
            for _ in range(6)]


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_training_through_the_buffer_equals_separate_gradients(optimizer):
    spec = {"name": optimizer, "lr": 0.01, "momentum": 0.9} if optimizer != "adam" else \
        {"name": optimizer, "lr": 0.01}
    a, b = _model(), _model()
    opt_a, opt_b = make_optimizer(a.parameters(), spec), make_optimizer(b.parameters(), spec)
    grads = GradientBuffer.of(opt_b)
    assert grads is not None
    for x, y in _batches():
        opt_a.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(a(x), y).backward()
        separate = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(
            [p.grad for p in a.parameters()])))
        opt_a.step()
        grads.zero()
        nn.functional.cross_entropy(b(x), y).backward()
        torch.testing.assert_close(grads.norm(), separate)
        opt_b.step()
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_gradients_are_views_of_the_buffer_with_the_parameters_strides():
    torch.manual_seed(0)  # two input channels: channels-last strides differ from contiguous
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))
    model = model.to(memory_format=torch.channels_last)
    grads = GradientBuffer.of(torch.optim.SGD(model.parameters(), 0.1))
    conv = model[0].weight
    assert conv.grad.stride() == conv.stride() != conv.contiguous().stride()
    for p in model.parameters():
        assert p.grad.untyped_storage().data_ptr() == grads.buffer.untyped_storage().data_ptr()
    x, y = _batches()[0]
    x = torch.cat([x, x], 1).to(memory_format=torch.channels_last)
    nn.functional.cross_entropy(model(x), y).backward()
    assert grads.norm() > 0
    torch.testing.assert_close(grads.buffer.abs().sum(), sum(p.grad.abs().sum()
                                                             for p in model.parameters()))


def test_zero_reattaches_gradients_that_were_set_to_none():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), 0.1)
    grads = GradientBuffer.of(opt)
    opt.zero_grad(set_to_none=True)  # what the non-finite node search does afterwards
    assert all(p.grad is None for p in model.parameters())
    grads.zero()
    x, y = _batches()[0]
    nn.functional.cross_entropy(model(x), y).backward()
    assert grads.norm() > 0  # backward wrote into the buffer, so the check sees it


def test_mixed_dtypes_and_other_devices_keep_separate_gradients():
    model = _model()
    model[3].double()
    assert GradientBuffer.of(torch.optim.SGD(model.parameters(), 0.1)) is None
    elsewhere = _model().to("meta")  # (CUDA waits for a run on a card; see the module)
    assert GradientBuffer.of(torch.optim.SGD(elsewhere.parameters(), 0.1)) is None


def test_a_copy_of_the_model_does_not_share_the_buffer():
    model = _model()
    grads = GradientBuffer.of(torch.optim.SGD(model.parameters(), 0.1))
    twin = copy.deepcopy(model)
    x, y = _batches()[0]
    nn.functional.cross_entropy(twin(x), y).backward()
    assert grads.norm() == 0


@pytest.mark.parametrize("with_buffer", [True, False])
@pytest.mark.parametrize("clip", [0.0, 0.05])
def test_the_step_norm_is_the_total_norm_before_clipping(with_buffer, clip):
    model = _model()
    opt = torch.optim.SGD(model.parameters(), 0.1)
    grads = GradientBuffer.of(opt) if with_buffer else None
    x, y = _batches()[0]
    nn.functional.cross_entropy(model(x), y).backward()
    before = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])
    value, squared = clipped_norm(opt, grads, clip)
    torch.testing.assert_close(value.sqrt() if squared else value, before)
    after = torch.nn.utils.get_total_norm([p.grad for p in model.parameters()])
    torch.testing.assert_close(after, torch.minimum(before, torch.tensor(clip or math.inf)),
                               rtol=1e-4, atol=0)
