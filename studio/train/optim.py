"""Optimizers, learning-rate schedules, weight penalties and freezing, from the document's spec.

Schedules are pure functions of (epoch, step) plus, for reduce-on-plateau, a small JSON state:
the learning rate after a resume is exactly the one an uninterrupted run would use, and nothing
callable has to be saved.
"""
from __future__ import annotations

import math

import torch

OPTIMIZERS = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
              "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
_OPTIONS = {"sgd": ("momentum", "nesterov", "weight_decay", "dampening"),
            "adagrad": ("weight_decay", "lr_decay", "eps"),
            "rmsprop": ("momentum", "weight_decay", "alpha", "eps", "centered"),
            "adam": ("weight_decay", "betas", "eps", "amsgrad"),
            "adamw": ("weight_decay", "betas", "eps", "amsgrad")}

# One kernel per step for all parameters instead of ~8 operators per parameter tensor: a
# whole training step runs measurably faster (bench/RESULTS.md, Training). The update is the
# same algorithm; only the order of float operations differs. PyTorch keeps the per-tensor
# loop as its default for compatibility only.
_FUSED = ("sgd", "adagrad", "adam", "adamw")
_FUSED_DEVICES = ("cpu", "cuda")  # the devices with all four kernels in every torch build


class ConfigError(ValueError):
    """A training setting is wrong; the message names the key."""


def make_optimizer(params, spec: dict) -> torch.optim.Optimizer:
    name = str(spec.get("name", "adam")).lower()
    if name not in OPTIMIZERS:
        raise ConfigError(f"optimizer: unknown name {name!r} (known: {', '.join(OPTIMIZERS)})")
    options = {k: (tuple(v) if k == "betas" else v) for k, v in spec.items()
               if k in _OPTIONS[name]}
    params = list(params)
    if name in _FUSED and all(p.is_floating_point() and p.device.type in _FUSED_DEVICES
                              for p in params):
        options["fused"] = True  # (torch only checks devices and dtypes at the first step)
    try:
        return OPTIMIZERS[name](params, lr=float(spec.get("lr", 1e-3)), **options)
    except (ValueError, TypeError) as e:
        raise ConfigError(f"optimizer {name}: {e}") from None


def l1_penalty(module: torch.nn.Module, weight: float):
    """``weight · Σ|w|`` over weight matrices and kernels (not biases or norm scales)."""
    if not weight:
        return None
    terms = [p.abs().sum() for p in module.parameters() if p.requires_grad and p.dim() > 1]
    return weight * torch.stack(terms).sum() if terms else None


def freeze(compiled, node_ids: list) -> list:
    """Stop gradients for the modules of ``node_ids`` (a Block freezes its whole sub-graph).
    Their batch-norm layers stay in evaluation mode, as in Keras: a frozen layer keeps its
    statistics (bit-identical buffers) and normalizes with them in training as at inference.
    Returns the names of those batch-norm layers (for the training log)."""
    names = {nid: name for name, nid in compiled.node_map.items()}
    unknown = [n for n in node_ids if n not in names]
    if unknown:
        raise ConfigError(f"freeze: no node(s) {', '.join(unknown)} in this network")
    held = []
    for nid in node_ids:
        if hasattr(compiled.module, names[nid]):  # Input/Target nodes have no module
            node_module = compiled.module.get_submodule(names[nid])
            for p in node_module.parameters():
                p.requires_grad_(False)
            for sub_name, sub in node_module.named_modules(prefix=names[nid]):
                if isinstance(sub, torch.nn.modules.batchnorm._BatchNorm):
                    _hold_in_eval(sub)
                    held.append(sub_name)
    return held


def _stay_in_eval(module: torch.nn.Module, mode: bool = True) -> torch.nn.Module:
    # In training mode batch norm normalizes with the batch's statistics and moves its running
    # ones: a frozen backbone would drift away from the features its head is trained on.
    return torch.nn.Module.train(module, False)


def _hold_in_eval(module: torch.nn.Module) -> None:
    """``module.train(True)`` (the engine's, a parent's) leaves this module in eval mode."""
    module.train = _stay_in_eval.__get__(module)
    module.eval()


class Schedule:
    """Learning-rate factor for (epoch, step): warm-up, then step/exponential/cosine/plateau."""

    KINDS = ("none", "constant", "step", "exponential", "cosine", "plateau", "reduce-on-plateau")

    def __init__(self, spec: dict | None, epochs: int, steps_per_epoch: int):
        spec = dict(spec or {})
        self.kind = str(spec.get("name", "none")).lower()
        if self.kind not in self.KINDS:
            raise ConfigError(f"schedule: unknown name {self.kind!r} "
                              f"(known: {', '.join(self.KINDS)})")
        self.spec, self.total = spec, max(1, epochs * steps_per_epoch)
        self.steps_per_epoch = steps_per_epoch
        self.warmup = int(spec.get("warmup_steps", 0)) or \
            int(float(spec.get("warmup_epochs", 0)) * steps_per_epoch)
        self.state = {"scale": 1.0, "best": None, "bad_epochs": 0}

    def factor(self, epoch: int, step: int) -> float:
        """``step`` counts optimizer steps from the start of the run."""
        warm = min(1.0, (step + 1) / self.warmup) if self.warmup else 1.0
        k = self.kind
        if k == "step":
            f = float(self.spec.get("gamma", 0.1)) ** (epoch // int(self.spec.get("step_size", 10)))
        elif k == "exponential":
            f = float(self.spec.get("gamma", 0.95)) ** epoch
        elif k == "cosine":
            span = max(1, self.total - self.warmup)
            t = min(1.0, max(0, step - self.warmup) / span)
            floor = float(self.spec.get("min_factor", 0.0))
            f = floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))
        else:
            f = self.state["scale"]
        return warm * f

    def factors(self, epoch: int, first_step: int, count: int) -> list[float]:
        """The factor of each of an epoch's ``count`` steps, the first being ``first_step``."""
        return [self.factor(epoch, first_step + i) for i in range(count)]

    def end_epoch(self, metric: float | None) -> None:
        """Reduce-on-plateau: scale by ``factor`` after ``patience`` epochs without improvement."""
        if self.kind not in ("plateau", "reduce-on-plateau") or metric is None:
            return
        s = self.state
        if s["best"] is None or metric < s["best"] - float(self.spec.get("threshold", 1e-4)):
            s["best"], s["bad_epochs"] = metric, 0
        else:
            s["bad_epochs"] += 1
            if s["bad_epochs"] > int(self.spec.get("patience", 2)):
                s["scale"] *= float(self.spec.get("factor", 0.1))
                s["bad_epochs"] = 0
