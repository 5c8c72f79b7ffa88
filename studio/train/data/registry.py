"""Dataset registry: a name in the document's ``training.dataset`` -> a :class:`DataBundle`.

Each builder declares its options with defaults. Unknown options are reported as warnings (a
template written against a newer version still trains); an unknown dataset name is an error that
lists the known ones. Builders return the whole dataset (split here, with the run's seed) or
ready-made splits when the data comes with an official test set (MNIST, CIFAR-10).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from studio.train.data.base import DataBundle, DataError, seeded_split

_REGISTRY: dict[str, "DatasetSpec"] = {}


@dataclass
class DatasetSpec:
    name: str
    build: Callable  # (options, seed) -> (dataset, info) or (train, test, info)
    options: dict
    doc: str


def dataset(name: str, doc: str, **options):
    """Register a builder: ``@dataset("digits", "...", size=8)``."""
    def wrap(fn):
        _REGISTRY[name] = DatasetSpec(name, fn, options, doc)
        return fn
    return wrap


def known() -> dict[str, DatasetSpec]:
    """Every registered dataset. The providers register when ``studio.train.data`` imports them,
    which importing this module already did (Python runs the package first), so the registry
    stays a leaf that no provider module has to import back."""
    return dict(_REGISTRY)


SPLIT_DEFAULTS = {"val": 0.1, "test": 0.2}


def load_dataset(spec: dict | str, seed: int = 0, warnings: list | None = None) -> DataBundle:
    """Build the dataset named in ``spec`` (``{"name": ..., options...}``), split with ``seed``."""
    spec = {"name": spec} if isinstance(spec, str) else dict(spec or {})
    name = spec.pop("name", None)
    registry = known()
    if name not in registry:
        raise DataError(f"unknown dataset {name!r} (known: {', '.join(sorted(registry))})")
    entry = registry[name]
    split = {**SPLIT_DEFAULTS, **(spec.pop("split", None) or {})}
    for key in ("augment", "fields"):
        spec.pop(key, None)  # read by the trainer, not the builder
    unknown = sorted(set(spec) - set(entry.options))
    if unknown and warnings is not None:
        warnings.append(f"dataset {name!r} ignores option(s) {', '.join(unknown)} "
                        f"(it knows: {', '.join(entry.options) or 'none'})")
    options = {**entry.options, **{k: v for k, v in spec.items() if k in entry.options}}
    built = entry.build(options, seed)
    if len(built) == 3:  # official test split: carve validation out of train only
        full, test, info = built
        train, val, _ = seeded_split(full, seed, split["val"], 0.0)
    else:
        full, info = built
        train, val, test = seeded_split(full, seed, split["val"], split["test"])
    if train is None or len(train) == 0:
        raise DataError(f"dataset {name!r} has no training samples after the split {split}")
    return DataBundle(train, val, test, info, source=name)
