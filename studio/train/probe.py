"""Snapshots of chosen layers for the dashboard: weights, and activations on a fixed probe batch.

The probe batch is the first few validation samples (fixed for the whole run). Snapshots are
emitted at the end of every epoch and, when ``snapshot.every_steps`` is set, every that many
steps but never more often than ``snapshot.min_interval_s`` seconds, so a fast run cannot flood
the event stream. Each tensor is cut to ``max_values`` numbers.
"""
from __future__ import annotations

import time

import torch

from studio.train.data.batches import Batches
from studio.train.data.binding import to_arguments


def _cut(tensor: torch.Tensor, limit: int) -> dict:
    t = tensor.detach().float().cpu()
    flat = t.flatten()[:limit]
    return {"shape": list(t.shape), "values": [round(v, 5) for v in flat.tolist()],
            "truncated": t.numel() > limit}


class Prober:
    def __init__(self, trainer, spec: dict):
        self.t, self.spec = trainer, dict(spec or {})
        self.limit = int(self.spec.get("max_values", 4096))
        self.every = int(self.spec.get("every_steps") or 0)
        self.min_interval = float(self.spec.get("min_interval_s", 1.0))
        self.last = 0.0
        source = trainer.data.val or trainer.data.train
        n = min(int(self.spec.get("probe", 8)), len(source))
        self.probe = next(iter(Batches(source, n, shuffle=False, seed=0))) if n else None
        self.net = next(iter(trainer.nets.values()))
        self.nodes = self.spec.get("nodes") or self._default_nodes()

    def _default_nodes(self) -> list:
        """The first two nodes with a weight kernel (first conv / linear layers)."""
        out = []
        for name, module in self.net.module.named_children():
            weight = getattr(module, "weight", None)
            if torch.is_tensor(weight) and weight.dim() > 1:
                out.append(self.net.compiled.node_map.get(name, name))
            if len(out) == 2:
                break
        return out

    def maybe(self, step: int) -> None:
        if self.every and step % self.every == 0:
            self.snapshot(step)

    def snapshot(self, step: int, force: bool = False) -> None:
        now = time.perf_counter()
        if not self.t.dist.main or self.probe is None or (
                not force and now - self.last < self.min_interval):
            return
        self.last = now
        names = {nid: name for name, nid in self.net.compiled.node_map.items()}
        weights, activations, hooks = {}, {}, []
        for nid in self.nodes:
            name = names.get(nid)
            if name is None or not hasattr(self.net.module, name):
                continue
            module = self.net.module.get_submodule(name)
            if torch.is_tensor(getattr(module, "weight", None)):
                weights[nid] = _cut(module.weight, self.limit)
            hooks.append(module.register_forward_hook(
                lambda m, i, o, nid=nid: activations.__setitem__(nid, _cut(o, self.limit))
                if torch.is_tensor(o) else None))
        was_training = self.net.module.training
        self.net.module.eval()
        try:
            if self.t.recipe.probes_with_data:  # (a generator's inputs are noise)
                with torch.no_grad():
                    self.net.module(*to_arguments(self.probe, self.net.bindings, self.t.device))
        finally:
            for h in hooks:
                h.remove()
            self.net.module.train(was_training)
        self.t.events.emit("snapshot", step=step, epoch=self.t.epoch, weights=weights,
                           activations=activations)
