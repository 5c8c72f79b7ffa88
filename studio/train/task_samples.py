"""Task samples sent at the end of each epoch as small uint8 arrays (nested lists in the event, so
``metrics.jsonl`` keeps them and a reopened run shows them): predicted masks for segmentation and
a latent traversal for VAEs.

The rate is bounded by construction: one event per epoch, at most ``MASK_COUNT`` images or
``TRAVERSAL_DIMS`` × ``TRAVERSAL_STEPS`` decoded images, each cut to ``MAX_SIDE`` pixels a side.
Networks run in evaluation mode here (the engine calls samples after ``evaluate`` put them back
in training mode; BatchNorm statistics must not learn from a batch of repeated samples).
"""
from __future__ import annotations

from contextlib import contextmanager

import torch

from studio.train.data.binding import to_arguments

MAX_SIDE = 64
MASK_COUNT = 4
TRAVERSAL_DIMS = 2
TRAVERSAL_STEPS = 7
TRAVERSAL_SPAN = 3.0  # offsets from mu in units of the prior's standard deviation


@contextmanager
def evaluating(module: torch.nn.Module):
    was = module.training
    module.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        module.train(was)


def shrink(t: torch.Tensor) -> torch.Tensor:
    """Every k-th pixel of the last two axes so neither exceeds ``MAX_SIDE`` (nearest, so a mask
    keeps its class ids)."""
    k = max(1, -(-max(t.shape[-2:]) // MAX_SIDE))
    return t[..., ::k, ::k]


def to_uint8(images: torch.Tensor) -> list:
    """(N, C, H, W) images as (N, H, W) or (N, H, W, 3) uint8 lists. Values already in [0, 1]
    keep their scale (comparable across images); others are min-max scaled as one batch."""
    x = shrink(images.detach().float().cpu())
    if x.shape[1] not in (1, 3):
        x = x[:, :1]
    lo, hi = float(x.min()), float(x.max())
    if lo < -1e-3 or hi > 1 + 1e-3:
        x = (x - lo) / (hi - lo) if hi > lo else torch.zeros_like(x)
    x = (x.clamp(0, 1) * 255).round().to(torch.uint8)
    x = x[:, 0] if x.shape[1] == 1 else x.permute(0, 2, 3, 1)
    return x.tolist()


def mask_samples(recipe, probe) -> dict | None:
    """The first probe images, their true masks and the predicted masks (argmax of the logits)."""
    net, t = recipe.net, recipe.ctx
    batch = {k: v[:MASK_COUNT] for k, v in probe.items()}
    args = to_arguments(batch, net.bindings, t.device)
    with evaluating(net.module):
        logits, target = recipe.prediction(net.module(*args), args)
    if logits is None or target is None or logits.dim() != 4 or target.dim() != 3:
        return None  # not per-pixel logits against an integer mask
    image = args[0]
    if image.dim() != 4:
        return None
    predicted = logits.argmax(1)
    names = t.data_info.get("mask_classes")
    return {"kind": "masks", "images": to_uint8(image),
            "true": shrink(target).to(torch.uint8).cpu().tolist(),
            "predicted": shrink(predicted).to(torch.uint8).cpu().tolist(),
            "classes": int(logits.shape[1]),
            "names": [str(n) for n in names] if names else None}


def reparameterize_module(module: torch.nn.Module):
    """The graph's Reparameterize node (the split between encoder and decoder), or None."""
    from nodes.generative import Reparameterize
    return next((m for m in module.modules() if isinstance(m, Reparameterize)), None)


def latent_traversal(module: torch.nn.Module, args: list, decoded, steps: int = TRAVERSAL_STEPS,
                     dims: int = TRAVERSAL_DIMS) -> dict | None:
    """Decoded images along the most used latent dimensions, starting at mu of sample 0.

    A forward hook on the Reparameterize node replaces its output z, so the decoder is exactly
    the part of the graph after that node, whatever it is; the encoder runs on copies of sample
    0 and its result is discarded. ``decoded(out, args)`` picks the image output. Dimensions are
    ranked by their KL term on the probe batch (unused ones decode to the same image)."""
    node = reparameterize_module(module)
    if node is None or not args:
        return None
    seen = {}
    capture = node.register_forward_hook(
        lambda m, inputs, out: seen.update(mu=inputs[0], logvar=inputs[1]))
    try:
        with evaluating(module):
            module(*args)
    finally:
        capture.remove()
    mu, logvar = seen["mu"].float(), seen["logvar"].float()
    if mu.dim() != 2:
        return None  # a spatial latent: no single dimension to walk along
    kl = 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).mean(0)
    chosen = kl.argsort(descending=True)[:min(dims, mu.shape[1])].tolist()
    offsets = torch.linspace(-TRAVERSAL_SPAN, TRAVERSAL_SPAN, steps)
    z = mu[:1].repeat(len(chosen) * steps, 1)
    for row, d in enumerate(chosen):
        z[row * steps:(row + 1) * steps, d] += offsets.to(z.device)
    replace = node.register_forward_hook(lambda m, inputs, out: z.to(out.dtype))
    try:
        repeated = [a[:1].expand(len(z), *a.shape[1:]) for a in args]
        with evaluating(module):
            images = decoded(module(*repeated), repeated)
    finally:
        replace.remove()
    if images is None or images.dim() != 4:
        return None
    return {"dims": chosen, "offsets": [round(v, 3) for v in offsets.tolist()],
            "mu": [round(float(mu[0, d]), 4) for d in chosen], "steps": steps,
            "images": to_uint8(images)}
