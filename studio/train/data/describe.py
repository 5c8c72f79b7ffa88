"""A dataset describes itself: fields, per-sample shapes, dtypes, value ranges, classes, splits.

``describe(spec)`` loads the dataset named by ``spec`` (a name, a path, or ``{"name": ...,
options}``) the way training would and summarises it; ``DatasetDescription.lines()`` is what
``netstudio datasets inspect`` prints and the studio's Data tab shows. Value ranges and class
counts come from the whole training split when the dataset keeps its fields as tensors, else from
the first ``SAMPLED`` samples (image folders decode files one by one), which ``sampled`` says.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from studio.train.data.detect import guess, looks_like_path
from studio.train.data.registry import load_dataset

SAMPLED = 512


@dataclass
class FieldDescription:
    name: str
    shape: tuple  # per sample
    dtype: str
    low: float
    high: float


@dataclass
class DatasetDescription:
    name: str  # the dataset kind
    spec: dict  # the spec it was loaded from, options included
    fields: list[FieldDescription]
    splits: dict  # split -> number of samples (None: no such split)
    classes: list | None = None  # class names (index order), when the dataset has them
    class_counts: list | None = None  # training samples per class index
    sampled: int | None = None  # ranges from this many samples only (None: all)
    notes: list = field(default_factory=list)

    def field(self, name: str) -> FieldDescription | None:
        return next((f for f in self.fields if f.name == name), None)

    def lines(self) -> list[str]:
        """A human summary, one fact a line."""
        options = ", ".join(f"{k}={v!r}" for k, v in self.spec.items() if k != "name")
        out = [f"dataset {self.name}" + (f" ({options})" if options else "")]
        out.append("splits: " + ", ".join(f"{k} {v if v is not None else '-'}"
                                          for k, v in self.splits.items()))
        where = f" (first {self.sampled} training samples)" if self.sampled else ""
        out.append(f"fields{where}:")
        for f in self.fields:
            out.append(f"  {f.name}: shape {tuple(f.shape)} {f.dtype}, values "
                       f"{f.low:.4g}..{f.high:.4g}")
        if self.class_counts is not None:
            names = self.classes or [str(i) for i in range(len(self.class_counts))]
            pairs = ", ".join(f"{n} {c}" for n, c in zip(names, self.class_counts))
            out.append(f"classes ({len(self.class_counts)}): {pairs}")
        out += [f"note: {n}" for n in self.notes]
        return out


def _field_values(dataset) -> tuple[dict, int | None]:
    """Each field's values over the split, or over its first SAMPLED samples."""
    fields = getattr(dataset, "fields", None)
    if fields is not None:
        return dict(fields), None
    n = min(SAMPLED, len(dataset))
    samples = [dataset[i] for i in range(n)]
    values = {k: torch.stack([torch.as_tensor(s[k]) for s in samples]) for k in samples[0]}
    return values, (n if n < len(dataset) else None)


def _class_counts(values: dict, classes: list | None) -> list | None:
    label = values.get("label")
    if label is None or label.is_floating_point() or label.ndim != 1 or not len(label):
        return None
    size = max(len(classes or []), int(label.max()) + 1)
    return torch.bincount(label.long().clamp(min=0), minlength=size).tolist()


def describe(spec: dict | str, seed: int = 0) -> DatasetDescription:
    """Load ``spec`` (a dataset name, a path, or ``{"name": ..., options}``) and describe it."""
    warnings: list[str] = []
    if isinstance(spec, str) and looks_like_path(spec):
        spec, note = guess(spec)
        warnings.append(note)
    spec = {"name": spec} if isinstance(spec, str) else dict(spec)
    bundle = load_dataset(spec, seed, warnings)
    values, sampled = _field_values(bundle.train)
    fields = []
    for name, v in values.items():
        numbers = v.float() if v.numel() else torch.zeros(1)
        fields.append(FieldDescription(name, tuple(v.shape[1:]), str(v.dtype).removeprefix(
            "torch."), float(numbers.min()), float(numbers.max())))
    classes = bundle.info.get("classes")
    splits = {k: (len(d) if d is not None else None)
              for k, d in (("train", bundle.train), ("val", bundle.val), ("test", bundle.test))}
    return DatasetDescription(spec["name"], spec, fields, splits, list(classes) if classes
                              else None, _class_counts(values, classes), sampled,
                              [*(bundle.info.get("notes") or []), *warnings])
