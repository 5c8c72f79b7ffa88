"""What one training step does, as services the recipes call on the trainer.

:class:`StepServices` is the part of :class:`studio.train.engine.Trainer` a recipe's
``train_step`` uses, through its :class:`studio.train.recipes.RecipeContext`: autocast, the
forward that names a failing node, the loss sum, and ``optimize`` (zero, backward, clip, the
per-step non-finite checks, the optimizer step). It
reads the trainer's ``config``, ``precision``, ``grads`` (a :class:`~studio.train.grads.
GradientBuffer` per optimizer), ``clip``, ``l1``, ``sync_free``, ``step``, ``epoch`` and
``run_dir``, all set in ``Trainer.setup``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from studio.train.grads import clipped_norm
from studio.train.guard import check_gradient, check_loss
from studio.train.optim import ConfigError, l1_penalty, make_optimizer


@dataclass
class Net:
    """One compiled network: the module (weights, hooks, evaluation), the callable a training
    step runs (its flat module, DDP or torch.compile wrapped) and which dataset field feeds
    each placeholder."""

    name: str
    compiled: object
    module: torch.nn.Module
    forward: object
    bindings: list = field(default_factory=list)


class StepServices:
    def autocast(self):
        return self.precision.autocast()

    def make_optimizer(self, net: Net, spec: dict | None = None, params=None):
        params = [p for p in (params or net.module.parameters()) if p.requires_grad]
        if not params:
            raise ConfigError(f"network {net.name!r} has nothing to train (all frozen?)")
        return make_optimizer(params, {**self.config["optimizer"], **(spec or {})})

    def forward(self, net: Net, args, train: bool = True):
        """Run ``net``; when a node fails, re-run node by node to name it (NodeRuntimeError)."""
        try:
            return (net.forward if train else net.module)(*args)
        except (RuntimeError, TypeError, ValueError, IndexError) as first:
            net.compiled.run_located(*args)
            raise first

    def total_loss(self, out: dict, net: Net):
        terms = list(out["losses"].values())
        # one term: itself (sum() would add it to 0: one more op forward and backward)
        loss = terms[0] if len(terms) == 1 else sum(terms)
        penalty = l1_penalty(net.module, self.l1) if self.l1 else None
        return loss if penalty is None else loss + penalty

    def check_loss(self, loss, net: Net, args) -> None:
        check_loss(loss, self.step + 1, net.compiled, args, net.name)

    def optimize(self, loss, net: Net, optimizer, args, check_loss: bool = False) -> tuple:
        """Backward, unscale, clip, check, step. Returns (loss, gradient norm) as floats.

        ``check_loss`` also checks the loss here (instead of :meth:`check_loss` before the
        backward): both checks and both logged values then cost one synchronization per step.
        The optimizer has not stepped when either check fails, so the weights stay good."""
        grads = self.grads.get(optimizer)
        if grads:
            grads.zero()
        else:
            optimizer.zero_grad(set_to_none=True)
        scaler = self.precision.scaler
        (scaler.scale(loss) if scaler else loss).backward()
        if scaler:
            scaler.unscale_(optimizer)
        norm, squared = clipped_norm(optimizer, grads, self.clip)
        if self.sync_free:  # nothing to wait for: read each value (cheaper than a stack)
            loss_value = loss.item() if check_loss else None
            norm = norm.item()
        elif check_loss:  # one synchronization; stack promotes an fp16 loss (autocast)
            loss_value, norm = torch.stack([loss.detach(), norm]).tolist()
        else:
            loss_value, norm = None, norm.item()
        if squared:
            norm = math.sqrt(norm)  # (NaN and inf stay what they are)
        if check_loss and not math.isfinite(loss_value):
            self.check_loss(loss, net, args)  # raises, naming the node
        if scaler:  # inf gradients are expected now and then with AMP: the scaler skips them
            scaler.step(optimizer)
            scaler.update()
        else:
            if not math.isfinite(norm):
                check_gradient(torch.tensor(norm), self.step + 1, net.compiled, args, net.name)
            optimizer.step()
        return loss_value, norm

    def save_grid(self, images, name: str, rows: int | None = None) -> str | None:
        if not self.run_dir:
            return None
        from torchvision.utils import save_image
        folder = self.run_dir / "samples"
        folder.mkdir(exist_ok=True)
        path = folder / f"{name}-epoch{self.epoch + 1:03d}.png"
        save_image(images.detach().float().cpu(), str(path), nrow=rows or 8)
        return str(path.relative_to(self.run_dir))
