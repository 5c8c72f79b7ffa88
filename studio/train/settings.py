"""Training settings by dotted key: ``optimizer.weight_decay=1e-4`` -> the training section.

``KEYS`` lists every key ``--set`` accepts: each top-level key of the training section and, for
the nested ones, the keys the code that reads them understands (the optimizer's from
:data:`studio.train.optim._OPTIONS`, the schedule's from :class:`~studio.train.optim.Schedule`).
``set_key`` returns the changed top-level value, so the caller makes one ``SetTraining`` edit per
top-level key and the document (``--save-document``) and ``config.json`` agree.
"""
from __future__ import annotations

import copy

from studio.train.config import DEFAULTS
from studio.train.optim import _OPTIONS

NESTED = {
    "optimizer": ("name", "lr", *sorted({k for keys in _OPTIONS.values() for k in keys})),
    "schedule": ("name", "warmup_steps", "warmup_epochs", "gamma", "step_size", "min_factor",
                 "patience", "factor", "threshold"),
    # (what it watches is the run's ``monitor``, which also ranks the best checkpoint)
    "early_stopping": ("patience",),
    "snapshot": ("nodes", "every_steps", "max_values", "probe", "min_interval_s"),
}
# the dataset's options depend on its kind: any key (the loader warns about unknown ones)
OPEN = ("dataset",)


class SettingError(ValueError):
    """An unknown key or a value of the wrong shape; the message lists the valid keys."""


def recipe_settings() -> dict[str, tuple[str, ...]]:
    """The keys recipes read beyond :data:`DEFAULTS` (``som.sigma``, ``stage_epochs``), from
    each registered recipe's ``settings``."""
    from studio.train.recipes import recipes
    out: dict[str, tuple[str, ...]] = {}
    for cls in recipes().values():
        for key, subs in cls.settings.items():
            out[key] = tuple(dict.fromkeys((*out.get(key, ()), *subs)))
    return out


def top_level_keys() -> list[str]:
    """Every top-level key of the training section the trainer reads."""
    return [*DEFAULTS, *(k for k in recipe_settings() if k not in DEFAULTS)]


def keys() -> list[str]:
    """Every key ``--set`` accepts, dotted."""
    extra = recipe_settings()
    out = []
    for key in top_level_keys():
        out.append(key)
        out += [f"{key}.{sub}" for sub in NESTED.get(key, extra.get(key, ()))]
    return out + [f"{k}.OPTION" for k in OPEN]


def set_key(training: dict, dotted: str, value) -> tuple[str, object]:
    """``(top-level key, its new value)`` after setting ``dotted`` to ``value`` in ``training``
    (not changed itself); a string short form (``"optimizer": "sgd"``) becomes a dict first."""
    top, _, sub = dotted.partition(".")
    nested = {**recipe_settings(), **NESTED}
    if top not in DEFAULTS and top not in nested or \
            (sub and top not in OPEN and sub not in nested.get(top, ())) or "." in sub:
        raise SettingError(f"--set {dotted}: unknown training key (valid: "
                           f"{', '.join(keys())})")
    if not sub:
        return top, copy.deepcopy(value)
    current = training.get(top)
    if isinstance(current, str):  # the short form: "optimizer": "sgd"
        current = {"name": current}
    section = copy.deepcopy(current) if isinstance(current, dict) else {}
    section[sub] = copy.deepcopy(value)
    return top, section
