"""The resolved training config: the document's ``training`` section with variables resolved,
defaults filled in and command-line overrides applied. Saved as ``config.json`` in the run."""
from __future__ import annotations

import copy

from studio.core.params import resolve
from studio.core.variables import scope_for

DEFAULTS = {
    "recipe": "classification", "dataset": {"name": "digits"}, "augment": [],
    "optimizer": {"name": "adam", "lr": 1e-3}, "schedule": {"name": "none"},
    "epochs": 10, "batch_size": 32, "seed": 0, "device": "auto", "deterministic": False,
    "amp": False, "compile": False, "clip_grad_norm": None, "l1": 0.0, "freeze": [],
    "init_weights": None,  # safetensors to start from, relative to the document's folder
    "early_stopping": None,  # {"patience": 5, "monitor": "val.loss"}
    "monitor": None,  # e.g. "val.accuracy" (ranked by metric_registry); default: the recipe's
    "max_steps": None, "limit": None, "log_every": 10, "workers": 0,
    "threads": "auto",  # intra-op threads: a whole number or "auto" (studio.train.threads_policy)
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
    """``DEFAULTS`` < document ``training`` (variables resolved) < ``overrides``. Variables are
    evaluated first: ``"$input_size"`` names ``"=16*base"`` in dcgan, and the section wants 32."""
    config = with_defaults(resolve_deep(doc.training or {}, scope_for(doc)))
    return merge(config, overrides or {})


# whole-number settings and their least values; the optional ones may also be None (0 there
# means "no limit" too)
_COUNTS = {"epochs": 1, "batch_size": 1, "log_every": 1, "workers": 0, "seed": 0,
           "max_steps": 0, "limit": 0}
_OPTIONAL = ("max_steps", "limit")


def check_counts(config: dict) -> None:
    """A zero batch size or a negative epoch count is a clear error before anything is built
    (it was a ZeroDivisionError or a "__len__() should return >= 0" deep in the loop)."""
    from studio.train.optim import ConfigError  # optim imports torch; config stays light
    for key, low in _COUNTS.items():
        value = config.get(key)
        if value is None and key in _OPTIONAL:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ConfigError(f"training.{key}: expected a whole number >= {low}, "
                              f"got {value!r:.60}")


def frozen_nodes(config: dict, network: str, networks: int) -> list:
    """The node ids ``freeze`` names in ``network``: ``{network: [ids]}``, or a plain list when
    the document trains one network (with several, a list would not say whose nodes).
    A ``ConfigError`` (a ValueError; the message names the key) when it is neither."""
    freeze = config.get("freeze") or []
    if isinstance(freeze, dict):
        freeze = freeze.get(network) or []
    elif networks != 1:
        return []
    if not isinstance(freeze, list) or not all(isinstance(n, str) for n in freeze):
        from studio.train.optim import ConfigError  # (torch, imported on this error only)
        raise ConfigError(f"training.freeze: expected a list of node ids or {{network: [ids]}}, "
                         f"got {freeze!r:.60}")
    return list(freeze)
