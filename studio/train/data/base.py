"""The shape every dataset takes inside the trainer: samples are dicts keyed by field name.

``FieldDataset`` holds whole fields as tensors (first axis = sample), which keeps the bundled sets
fast (a batch is one index operation) and lets :mod:`studio.train.data.check` validate every label
at once. Other datasets (image folders, torchvision files) only need ``__getitem__`` -> dict.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.utils.data import Dataset


class DataError(ValueError):
    """The data cannot feed the network; the message names the file or field and the node."""


class FieldDataset(Dataset):
    """Samples ``{name: fields[name][i]}`` from equally long tensors."""

    def __init__(self, fields: dict[str, torch.Tensor]):
        lengths = {k: len(v) for k, v in fields.items()}
        if len(set(lengths.values())) > 1:
            raise DataError(f"fields have different numbers of samples: {lengths}")
        self.fields = fields

    def __len__(self):
        return len(next(iter(self.fields.values()))) if self.fields else 0

    def __getitem__(self, i):
        return {k: v[i] for k, v in self.fields.items()}


class Subset(Dataset):
    """A view on some samples of a dataset that keeps ``fields`` slicing fast."""

    def __init__(self, dataset: Dataset, indices: torch.Tensor):
        self.dataset, self.indices = dataset, indices
        # A subset of a subset (``--limit`` cuts the split subsets) keeps the fast field path
        # too; otherwise every batch is collated sample by sample.
        fields = getattr(dataset, "fields", None)
        if isinstance(dataset, (FieldDataset, Subset)) and fields is not None:
            self.fields = {k: v[indices] for k, v in fields.items()}

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        if hasattr(self, "fields"):
            return {k: v[i] for k, v in self.fields.items()}
        return self.dataset[int(self.indices[i])]


@dataclass
class DataBundle:
    """Train/validation/test splits plus what recipes need to know (classes, vocabulary)."""

    train: Dataset
    val: Dataset | None
    test: Dataset | None
    info: dict = field(default_factory=dict)  # e.g. {"classes": [...], "vocab": [...]}
    source: str = ""  # where the data came from, for messages

    def limited(self, limit: int | None) -> "DataBundle":
        """The first ``limit`` samples of each split (smoke runs, tests)."""
        if not limit:
            return self
        cut = lambda d: None if d is None else Subset(d, torch.arange(min(limit, len(d))))
        return DataBundle(cut(self.train), cut(self.val), cut(self.test), self.info, self.source)


def seeded_split(dataset: Dataset, seed: int, val: float, test: float):
    """Train/val/test subsets from one seeded permutation (the same split on every machine)."""
    n = len(dataset)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_test, n_val = int(round(n * test)), int(round(n * val))
    parts = order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test]
    return tuple(Subset(dataset, p) if len(p) else None for p in parts)
