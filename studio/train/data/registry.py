"""Dataset registry: a name in the document's ``training.dataset`` -> a :class:`DataBundle`.

Each builder declares its options with defaults, a one-line help per option and an example
(``netstudio datasets`` prints them). Unknown options are reported as warnings (a template written
against a newer version still trains); an unknown dataset name is an error that lists the known
ones. A path is spelled ``path=`` for every kind; ``root=`` is an accepted alias. Builders return
the whole dataset (split here, with the run's seed) or ready-made splits when the data comes with
an official test set (MNIST, CIFAR-10).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from studio.train.data.base import DataBundle, DataError, seeded_split

_REGISTRY: dict[str, "DatasetSpec"] = {}

# older spellings of an option -> the one every kind uses now
OPTION_ALIASES = {"root": "path"}


@dataclass
class DatasetSpec:
    name: str
    build: Callable  # (options, seed) -> (dataset, info) or (train, test, info)
    options: dict  # option -> default
    doc: str
    helps: dict = field(default_factory=dict)  # option -> one line of help
    example: str = ""  # a command-line example: "--data csv --data path=iris.csv"


def dataset(name: str, doc: str, *, helps: dict | None = None, example: str = "", **options):
    """Register a builder: ``@dataset("digits", "...", helps={"size": "..."}, size=8)``."""
    def wrap(fn):
        _REGISTRY[name] = DatasetSpec(name, fn, options, doc, dict(helps or {}),
                                      example or f"--data {name}")
        return fn
    return wrap


def known() -> dict[str, DatasetSpec]:
    """Every registered dataset. The providers register when ``studio.train.data`` imports them,
    which importing this module already did (Python runs the package first), so the registry
    stays a leaf that no provider module has to import back."""
    return dict(_REGISTRY)


SPLIT_DEFAULTS = {"val": 0.1, "test": 0.2}
# read by the trainer, not the builder
TRAINER_KEYS = ("augment", "fields")


def canonical(spec: dict) -> dict:
    """``spec`` with aliased option names (``root``) spelled the one way (``path``)."""
    out = {}
    for key, value in spec.items():
        new = OPTION_ALIASES.get(key, key)
        if new not in spec or new == key:
            out[new] = value
    return out


def spec_of(name) -> DatasetSpec:
    registry = known()
    if name not in registry:
        raise DataError(f"unknown dataset {name!r} (known: {', '.join(sorted(registry))}; "
                        "`netstudio datasets` lists them with their options)")
    return registry[name]


def load_dataset(spec: dict | str, seed: int = 0, warnings: list | None = None) -> DataBundle:
    """Build the dataset named in ``spec`` (``{"name": ..., options...}``), split with ``seed``."""
    spec = canonical({"name": spec} if isinstance(spec, str) else dict(spec or {}))
    name = spec.pop("name", None)
    entry = spec_of(name)
    split = {**SPLIT_DEFAULTS, **(spec.pop("split", None) or {})}
    for key in TRAINER_KEYS:
        spec.pop(key, None)
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
