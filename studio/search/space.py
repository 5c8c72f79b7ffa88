"""The search space of a document: its ``search`` section turned into Optuna distributions, the
values of a trial written back into a copy of the document, and the objective's defaults.

A trial's values are keyed by the dimension's own name (``$hidden1``, ``optimizer.lr``), so the
study's parameter table reads like the document. Variables change ``doc.variables``; training
keys change ``doc.training`` (``optimizer.lr`` -> ``training["optimizer"]["lr"]``), so a trial is
the document a person would have written by hand and trains through the normal trainer.
"""
from __future__ import annotations

import copy
import math

import optuna

from studio.core.diagnostics import errors
from studio.core.search_section import check_search
from studio.train.config import with_defaults
from studio.train.metric_registry import direction as metric_direction
from studio.train.settings import top_level_keys


class SearchError(ValueError):
    """A search that cannot start: what is wrong and where, in one line."""


def section_of(doc) -> dict:
    """The document's search section, checked (a :class:`SearchError` names the first problem)."""
    problems = errors(check_search(doc))
    if problems:
        raise SearchError(f"{problems[0].where()}: {problems[0].message}")
    section = dict(doc.search or {})
    known = top_level_keys()
    for i, dim in enumerate(section.get("dimensions", [])):
        key = dim["name"]
        if not key.startswith("$") and key.split(".")[0] not in known:
            raise SearchError(f"search.dimensions[{i}]: {key} is no training setting (known: "
                              f"{', '.join(sorted(known))})")
    if not section.get("dimensions"):
        raise SearchError("search.dimensions: nothing to search (add a dimension: a $variable "
                          "or a training key such as optimizer.lr)")
    return section


def distribution(dim: dict) -> optuna.distributions.BaseDistribution:
    if dim["type"] == "choice":
        return optuna.distributions.CategoricalDistribution(dim["choices"])
    low, high, step, log = dim["low"], dim["high"], dim.get("step"), dim.get("log", False)
    if dim["type"] == "int":
        return optuna.distributions.IntDistribution(int(low), int(high), log=log,
                                                    step=int(step or 1))
    return optuna.distributions.FloatDistribution(float(low), float(high), log=log, step=step)


def distributions(section: dict) -> dict:
    return {d["name"]: distribution(d) for d in section["dimensions"]}


def grid(section: dict) -> dict:
    """Every value of each dimension, for Optuna's grid sampler."""
    out = {}
    for dim in section["dimensions"]:
        if dim["type"] == "choice":
            out[dim["name"]] = list(dim["choices"])
            continue
        step = dim.get("step") or 1
        count = int(math.floor((dim["high"] - dim["low"]) / step + 1e-9)) + 1
        values = [dim["low"] + i * step for i in range(count)]
        out[dim["name"]] = [int(v) for v in values] if dim["type"] == "int" else values
    return out


def objective(doc) -> tuple[str, str]:
    """(metric, "min"/"max"): the section's choice, else the training monitor, else the
    recipe's default (``val.accuracy`` for a classifier), ranked by the metric registry."""
    section = doc.search or {}
    name = section.get("objective") or (doc.training or {}).get("monitor")
    if not name:
        from studio.train.recipes import recipes
        recipe = with_defaults(doc.training)["recipe"]
        name = getattr(recipes().get(recipe), "default_monitor", None) or "val.loss"
    return name, section.get("direction") or metric_direction(name)


def apply_values(doc, values: dict):
    """A copy of ``doc`` with a trial's values in its variables and training section."""
    out = doc.copy()
    for key, value in values.items():
        if key.startswith("$"):
            out.variables[key[1:]] = value
            continue
        *path, last = key.split(".")
        node = out.training
        for part in path:  # "optimizer": "sgd" is short for {"name": "sgd"} (train.config)
            child = node.get(part)
            if isinstance(child, str):
                child = {"name": child}
            node[part] = child = copy.deepcopy(child) if isinstance(child, dict) else {}
            node = child
        node[last] = value
    out.search = {}  # a trial is a plain document: it does not search again
    return out


def current_values(doc, section: dict) -> dict:
    """The document's own value for each dimension (the baseline trial), where it has one
    inside the dimension's range."""
    config = with_defaults(doc.training)
    out = {}
    for dim in section["dimensions"]:
        key = dim["name"]
        if key.startswith("$"):
            value = doc.variables.get(key[1:])
        else:
            value = config
            for part in key.split("."):
                value = value.get(part) if isinstance(value, dict) else None
        dist = distribution(dim)
        try:  # Optuna's own range-and-step check (it has no public one)
            inside = dist._contains(dist.to_internal_repr(value))
        except (ValueError, TypeError):  # a value of another kind: no baseline for it
            inside = False
        if inside:
            out[key] = value
    return out
