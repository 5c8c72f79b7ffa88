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


def keys() -> list[str]:
    """Every key ``--set`` accepts, dotted."""
    out = []
    for key in DEFAULTS:
        out.append(key)
        out += [f"{key}.{sub}" for sub in NESTED.get(key, ())]
    return out + [f"{k}.OPTION" for k in OPEN]


def set_key(training: dict, dotted: str, value) -> tuple[str, object]:
    """``(top-level key, its new value)`` after setting ``dotted`` to ``value`` in ``training``
    (not changed itself); a string short form (``"optimizer": "sgd"``) becomes a dict first."""
    top, _, sub = dotted.partition(".")
    if top not in DEFAULTS or (sub and top not in NESTED and top not in OPEN) or \
            (sub and top in NESTED and sub not in NESTED[top]) or "." in sub:
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
