"""The resolved training config: the document's ``training`` section with variables resolved,
defaults filled in and command-line overrides applied. Saved as ``config.json`` in the run."""
from __future__ import annotations

import copy

from studio.core.params import resolve

DEFAULTS = {
    "recipe": "classification", "dataset": {"name": "digits"}, "augment": [],
    "optimizer": {"name": "adam", "lr": 1e-3}, "schedule": {"name": "none"},
    "epochs": 10, "batch_size": 32, "seed": 0, "device": "auto", "deterministic": False,
    "amp": False, "compile": False, "clip_grad_norm": None, "l1": 0.0, "freeze": [],
    "early_stopping": None,  # {"patience": 5, "monitor": "val.loss"}
    "monitor": None,  # e.g. "val.accuracy" (ranked by metric_registry); default: the recipe's
    "max_steps": None, "limit": None, "log_every": 10, "workers": 0,
    "snapshot": {"nodes": None, "every_steps": 0, "max_values": 4096, "probe": 8},
    "networks": None,  # recipe default
}


def resolve_deep(value, scope: dict):
    """``params.resolve`` through dicts and lists (``"$input_size"`` anywhere in the section)."""
    if isinstance(value, dict):
        return {k: resolve_deep(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_deep(v, scope) for v in value]
    return resolve(value, scope)


def merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (extra or {}).items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def with_defaults(section: dict) -> dict:
    """``DEFAULTS`` under a training section; ``"optimizer": "sgd"`` is short for
    ``{"name": "sgd"}`` (dataset and schedule likewise), keeping the defaults' other keys."""
    section = copy.deepcopy(section or {})
    for key in ("dataset", "optimizer", "schedule"):
        if isinstance(section.get(key), str):
            section[key] = {"name": section[key]}
    return merge(DEFAULTS, section)


def resolve_config(doc, overrides: dict | None = None) -> dict:
    """``DEFAULTS`` < document ``training`` (variables resolved) < ``overrides``."""
    config = with_defaults(resolve_deep(doc.training or {}, doc.variables))
    return merge(config, overrides or {})
