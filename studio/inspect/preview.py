"""Live per-node previews for the editor: each node's output for the probe input, as a thumbnail.

One forward pass with a hook on every top-level module of the compiled network (a Block is one
node: its output only). Feature maps (C×H×W) become a grid of up to 16 channels, vectors a
near-square tile of their values, sequences (T×F) an image with time down the side; each
thumbnail is colour-mapped and at most ``size`` pixels on its longer side.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from studio.inspect.images import colormap, normalize, tile_grid


def thumbnail(value: torch.Tensor, size: int = 64, max_channels: int = 16) -> np.ndarray:
    """One sample's tensor (no batch axis) -> RGB uint8 thumbnail."""
    t = value.detach().float().cpu()
    if t.dim() == 0:
        t = t.reshape(1)
    if t.dim() >= 3:  # C×H×W (or C×D×H×W: middle slice)
        while t.dim() > 3:
            t = t[:, t.shape[1] // 2]
        picture = tile_grid(t[:max_channels].numpy())
    elif t.dim() == 2:  # T×F sequence or a matrix
        picture = normalize(t.numpy())
    else:  # a vector: laid out row by row in a near-square
        n = t.numel()
        side = math.ceil(math.sqrt(n))
        padded = np.full(side * side, np.nan, np.float32)
        padded[:n] = t.numpy()
        picture = normalize(np.nan_to_num(padded, nan=float(t.min()))).reshape(side, side)
    return _fit(colormap(picture, "viridis"), size)


def _fit(rgb: np.ndarray, size: int) -> np.ndarray:
    """Integer nearest-neighbour scaling so the longer side is at most ``size`` (up or down)."""
    h, w = rgb.shape[:2]
    longest = max(h, w)
    if longest < size:
        k = size // longest
        return rgb.repeat(k, axis=0).repeat(k, axis=1)
    if longest > size:
        step = math.ceil(longest / size)
        return rgb[::step, ::step]
    return rgb


def preview_outputs(compiled, probe: torch.Tensor, size: int = 64) -> dict[str, np.ndarray]:
    """``{node_id: thumbnail}`` for every node the inference module computes, for ``probe``.

    ``probe`` is one input with or without the batch axis (the first input of the network; a
    network with several inputs takes a tuple). Runs in evaluation mode under ``no_grad`` and
    restores the module's mode.
    """
    module = compiled.module
    probes = probe if isinstance(probe, (tuple, list)) else (probe,)
    specs = [compiled.shapes.outputs.get(compiled.node_map[name], {}) for name in compiled.inputs]
    args = []
    for p, spec in zip(probes, specs):
        p = torch.as_tensor(p)
        want = next(iter(spec.values()), None) if spec else None
        if want is not None and p.dim() == len(want.shape) - 1:
            p = p.unsqueeze(0)
        args.append(p[:1])
    outputs: dict[str, torch.Tensor] = {}
    handles = []
    for name, child in module.named_children():
        node_id = compiled.node_map.get(name, name)

        def record(_m, _inp, out, node_id=node_id):
            while isinstance(out, (tuple, list)):
                out = out[0]
            if torch.is_tensor(out):
                outputs[node_id] = out
        handles.append(child.register_forward_hook(record))
    training = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(*args)
    finally:
        module.train(training)
        for h in handles:
            h.remove()
    previews = {}
    for name, p in zip(compiled.inputs, args):
        previews[compiled.node_map[name]] = thumbnail(p[0].float(), size)
    for node_id, out in outputs.items():
        previews[node_id] = thumbnail(out[0] if out.dim() > 0 else out, size)
    return previews
