"""Activation maximization: the input that a class logit or a channel likes most.

Gradient ascent on the pixels (Erhan 2009, Simonyan 2013) with the regularizers that make the
result look like something (Yosinski 2015, Olah 2017): random jitter each step (robustness to
small shifts), a light Gaussian blur every few steps (kills high frequencies), L2 decay and a
total-variation penalty, and clamping to the input's value range.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from studio.inspect.errors import InspectError
from studio.inspect.network import capturing, check_classes, frozen, logits_of, total_variation


@dataclass
class Regularizers:
    jitter: int = 2  # max shift in pixels, each step
    blur_every: int = 4  # steps between blurs; 0 = never
    blur_sigma: float = 0.5
    l2: float = 1e-3
    tv: float = 0.005  # times the pixel count: per-pixel pull comparable to the objective's


@dataclass
class OptimizedImage:
    """What an input optimization produced: the image and its objective before and after."""
    image: torch.Tensor  # 1×C×H×W
    start_value: float
    final_value: float
    history: list = field(default_factory=list)  # objective per step
    cancelled: bool = False


def descend(x: torch.Tensor, step_loss, steps: int, lr: float, bounds, progress=None,
            after_step=None) -> tuple[list, bool]:
    """Adam on the input ``x`` (a leaf that requires grad), clamped to ``bounds`` each step:
    the loop behind maximization, inversion, style transfer and feature interpolation.

    ``step_loss(x) -> (loss to minimize, value to record)``; ``after_step(x, step)`` may change
    ``x`` in place (no grad) before the clamp; ``progress(fraction)`` returning False stops.
    Returns the recorded values and whether it was cancelled."""
    opt = torch.optim.Adam([x], lr=lr)
    history = []
    for step in range(steps):
        loss, value = step_loss(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            if after_step is not None:
                after_step(x, step)
            x.clamp_(*bounds)
        history.append(float(value.detach()))
        if progress is not None and progress((step + 1) / steps) is False:
            return history, True
    return history, False


def objective_value(model: nn.Module, x: torch.Tensor, layer: str | None, index: int):
    """Class logit ``index`` (``layer`` None) or the mean of channel ``index`` of ``layer``."""
    if layer is None:
        return logits_of(model(x)).flatten(1)[:, index].mean()
    with capturing(model, [layer]) as cap:
        cap.run(x)
        out = cap[layer]
    return out[:, index].mean()


def _check_target(model, x, layer, index):
    if layer is None:
        check_classes(model, x, index)
        return
    with torch.no_grad(), capturing(model, [layer]) as cap:
        cap.run(x)
        out = cap[layer]
    if not torch.is_tensor(out) or out.dim() < 2:
        raise InspectError(f"node {layer!r} has no channels to maximize")
    if not 0 <= index < out.shape[1]:
        raise InspectError(f"channel {index} out of range: node {layer!r} has {out.shape[1]} "
                           f"channels (0..{out.shape[1] - 1})")


def maximize(model: nn.Module, start: torch.Tensor, index: int, layer: str | None = None,
             steps: int = 200, lr: float = 0.05, reg: Regularizers | None = None,
             bounds=(0.0, 1.0), progress=None) -> OptimizedImage:
    """Ascend class ``index`` (or channel ``index`` of ``layer``) from ``start`` (1×C×H×W).

    ``progress(fraction) -> bool`` is called every step; False stops with the image so far.
    """
    from torchvision.transforms.functional import gaussian_blur
    reg = reg or Regularizers()
    if start.dim() != 4 or start.shape[0] != 1:
        raise InspectError(f"expected one start image 1×C×H×W, got {tuple(start.shape)}")
    with frozen(model):
        _check_target(model, start, layer, index)
        with torch.no_grad():
            first = float(objective_value(model, start, layer, index))
        x = start.detach().clone().requires_grad_(True)

        def step_loss(x):
            dy, dx = (torch.randint(-reg.jitter, reg.jitter + 1, (2,)).tolist()
                      if reg.jitter else (0, 0))
            value = objective_value(model, torch.roll(x, (dy, dx), dims=(2, 3)), layer, index)
            loss = -value + reg.l2 * x.pow(2).sum() + reg.tv * total_variation(x) * x[0].numel()
            return loss, value

        def blur(x, step):
            if reg.blur_every and (step + 1) % reg.blur_every == 0:
                x.copy_(gaussian_blur(x, [3, 3], [reg.blur_sigma] * 2))

        history, cancelled = descend(x, step_loss, steps, lr, bounds, progress, blur)
        with torch.no_grad():
            final = float(objective_value(model, x, layer, index))
    return OptimizedImage(x.detach(), first, final, history, cancelled)


def start_image(like: torch.Tensor, kind: str = "gray", seed: int = 0,
                bounds=(0.0, 1.0)) -> torch.Tensor:
    """A neutral start: ``gray`` (mid value plus a little noise) or ``noise`` (uniform)."""
    g = torch.Generator().manual_seed(seed)
    low, high = bounds
    if kind == "noise":
        return low + (high - low) * torch.rand(like.shape, generator=g)
    if kind == "gray":
        mid = (low + high) / 2
        return (mid + 0.05 * (high - low) * torch.randn(like.shape, generator=g)).clamp(low, high)
    raise InspectError(f"unknown start {kind!r} (known: gray, noise, image)")
