"""The document's ``search`` section: what ``netstudio search`` varies and how it judges a trial.

::

    "search": {
      "dimensions": [
        {"name": "$hidden1", "type": "int", "low": 16, "high": 256, "step": 16},
        {"name": "optimizer.lr", "type": "float", "low": 1e-4, "high": 0.1, "log": true},
        {"name": "optimizer.name", "type": "choice", "choices": ["adam", "sgd"]}
      ],
      "objective": "val.accuracy", "direction": "max",
      "trials": 30, "timeout": null,
      "sampler": "tpe", "pruner": "median", "seed": 0
    }

A dimension names a document variable (``$name``) or a training key, dotted into nested settings
(``optimizer.lr``). Plain data checked here, in core, so the editor's Problems list and
``netstudio validate`` show a bad search like any other mistake; which training keys exist is
the trainer's knowledge, checked by :mod:`studio.search.space` before a study starts.
"""
from __future__ import annotations

import math

from studio.core.diagnostics import ERROR, Diagnostic
from studio.core.document import Document

KINDS = ("int", "float", "choice")
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
DIRECTIONS = ("min", "max")
KEYS = {"dimensions", "objective", "direction", "trials", "timeout", "sampler", "pruner", "seed",
        "pruner_startup_trials", "pruner_warmup_epochs"}
DIMENSION_KEYS = {"name", "type", "low", "high", "step", "log", "choices"}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def check_dimension(dim, variables: dict) -> str | None:
    """What is wrong with one dimension, in words; None when it is fine."""
    if not isinstance(dim, dict):
        return f"expected an object, got {type(dim).__name__}"
    unknown = set(dim) - DIMENSION_KEYS
    if unknown:
        return f"unknown key(s) {', '.join(sorted(unknown))} (known: " \
            f"{', '.join(sorted(DIMENSION_KEYS))})"
    name = dim.get("name")
    if not isinstance(name, str) or not name.strip("$."):
        return "name: expected a variable ($width) or a training key (optimizer.lr)"
    if name.startswith("$") and name[1:] not in variables:
        known = ", ".join(sorted(variables)) or "none"
        return f"{name} names no variable of this document (it has: {known})"
    kind = dim.get("type")
    if kind not in KINDS:
        return f"type: expected one of {', '.join(KINDS)}, got {kind!r:.40}"
    if kind == "choice":
        choices = dim.get("choices")
        if not isinstance(choices, list) or not choices:
            return "choices: expected a non-empty list"
        if not all(c is None or isinstance(c, (str, int, float, bool)) for c in choices):
            return "choices: each choice must be a number, text, true/false or null"
        return None
    low, high = dim.get("low"), dim.get("high")
    if not (_number(low) and _number(high)) or low > high:
        return f"low/high: expected two numbers with low <= high, got {low!r:.30}, {high!r:.30}"
    if kind == "int" and not (float(low).is_integer() and float(high).is_integer()):
        return "low/high: an int dimension takes whole numbers"
    step, log = dim.get("step"), dim.get("log", False)
    if not isinstance(log, bool):
        return "log: expected true or false"
    if log and low <= 0:
        return "log: a log range needs low > 0"
    if step is not None and (not _number(step) or step <= 0 or log):
        return "step: expected a number > 0 (and no log scale)"
    return None


def check_search(doc: Document) -> list[Diagnostic]:
    """Diagnostics for the document's ``search`` section (none when it has none)."""
    section = doc.search
    if not section:
        return []
    out = []

    def bad(where: str, message: str) -> None:
        out.append(Diagnostic(ERROR, message, path=f"search.{where}" if where else "search"))

    unknown = set(section) - KEYS
    if unknown:
        bad("", f"unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(KEYS))})")
    dims = section.get("dimensions", [])
    if not isinstance(dims, list):
        bad("dimensions", "expected a list")
        dims = []
    seen = set()
    for i, dim in enumerate(dims):
        problem = check_dimension(dim, doc.variables)
        if problem:
            bad(f"dimensions[{i}]", problem)
        elif dim["name"] in seen:
            bad(f"dimensions[{i}]", f"{dim['name']} is searched twice")
        else:
            seen.add(dim["name"])
    for key, allowed in (("sampler", SAMPLERS), ("pruner", PRUNERS), ("direction", DIRECTIONS)):
        if section.get(key) is not None and section[key] not in allowed:
            bad(key, f"expected one of {', '.join(allowed)}, got {section[key]!r:.40}")
    if section.get("objective") is not None and not (
            isinstance(section["objective"], str) and section["objective"]):
        bad("objective", "expected a metric name such as val.accuracy")
    for key, low in (("trials", 1), ("seed", 0), ("pruner_startup_trials", 0),
                     ("pruner_warmup_epochs", 0)):
        value = section.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value < low):
            bad(key, f"expected a whole number >= {low}, got {value!r:.40}")
    timeout = section.get("timeout")
    if timeout is not None and (not _number(timeout) or timeout <= 0):
        bad("timeout", f"expected seconds > 0, got {timeout!r:.40}")
    if section.get("sampler") == "grid":
        for i, dim in enumerate(dims):
            if isinstance(dim, dict) and dim.get("type") == "float" and dim.get("step") is None:
                bad(f"dimensions[{i}]", "a grid search needs a step or choices for a float range")
    return out
