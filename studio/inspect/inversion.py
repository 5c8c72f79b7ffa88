"""Network inversion: what a layer keeps of its input (Mahendran & Vedaldi 2015).

Start from noise and optimize the input so that its features at ``layer`` match those of the
target image, with a total-variation prior. Early layers give back a near copy; deep layers
keep what the network needs to classify and lose the rest.
"""
from __future__ import annotations

import torch
from torch import nn

from studio.inspect.errors import InspectError
from studio.inspect.maximize import OptimizedImage, descend
from studio.inspect.network import features, frozen, total_variation


def feature_loss(model: nn.Module, layer: str, x: torch.Tensor, goal: torch.Tensor):
    """Squared feature distance relative to the goal's energy (1.0 = as far as zero features)."""
    got = features(model, [layer], x)[0]
    return (got - goal).pow(2).sum() / goal.pow(2).sum().clamp_min(1e-12)


def invert(model: nn.Module, layer: str, target: torch.Tensor, steps: int = 300,
           lr: float = 0.05, tv: float = 0.02, seed: int = 0, bounds=(0.0, 1.0),
           progress=None) -> OptimizedImage:
    """An input whose ``layer`` features match ``target``'s (1×C×H×W); values are the relative
    feature loss at the start (noise) and the end."""
    if target.dim() != 4 or target.shape[0] != 1:
        raise InspectError(f"expected one image 1×C×H×W, got {tuple(target.shape)}")
    with frozen(model):
        with torch.no_grad():
            goal = features(model, [layer], target)[0]
        if not torch.is_tensor(goal):
            raise InspectError(f"node {layer!r} does not output a tensor")
        g = torch.Generator().manual_seed(seed)
        low, high = bounds
        x = (low + (high - low) * torch.rand(target.shape, generator=g)).requires_grad_(True)
        with torch.no_grad():
            first = float(feature_loss(model, layer, x, goal))

        def step_loss(x):
            loss = feature_loss(model, layer, x, goal)
            return loss + tv * total_variation(x), loss

        history, cancelled = descend(x, step_loss, steps, lr, bounds, progress)
        with torch.no_grad():
            final = float(feature_loss(model, layer, x, goal))
    return OptimizedImage(x.detach(), first, final, history, cancelled)
