"""Which dataset field feeds which Input/Target node, and the checks made before the first step.

A node reads the field its ``field`` param names. When that field is missing and exactly one
field of the same family is present (``image``/``x``/``sequence``, ``label``/``y``/``target``)
that one is used and a warning says so, so a template and a dataset that disagree on a name still
train. Everything else that would fail later (missing field, wrong per-sample shape, labels out
of range, non-integer class labels, NaN) is a :class:`DataError` naming the field and the node.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from studio.train.data.base import DataError

_FAMILIES = (("image", "x", "input", "sequence", "inputs", "center"),
             ("label", "y", "target", "targets", "mask", "context"))
_CLASS_LOSSES = ("loss.CrossEntropy", "loss.NLL")


@dataclass
class Binding:
    placeholder: str  # argument name of the compiled module
    node: str  # document node id
    field: str  # dataset field
    shape: list
    dtype: str

    def __post_init__(self):
        # what to_arguments compares every step, made once
        self.sample_shape = None if -1 in self.shape else tuple(self.shape)
        self.torch_dtype = _DTYPES.get(self.dtype, torch.float32)


class Mismatch(DataError):
    """The data and the network disagree on a sample's shape (``kind="shape"``) or on the number
    of classes (``kind="classes"``); :mod:`studio.train.data.hints` adds the exact fix."""

    def __init__(self, message: str, kind: str, node: str, got, want):
        super().__init__(message)
        self.kind, self.node, self.got, self.want = kind, node, got, want


def _pick_field(wanted: str, available: list, node: str, warnings: list) -> str:
    if wanted in available:
        return wanted
    family = next((f for f in _FAMILIES if wanted in f), ())
    candidates = [a for a in available if a in family]
    if len(candidates) == 1:
        warnings.append(f"node {node!r} reads field {wanted!r}, which the dataset lacks; "
                        f"using {candidates[0]!r}")
        return candidates[0]
    raise DataError(f"node {node!r} reads field {wanted!r}, but the dataset has "
                    f"{', '.join(available)} (set the node's 'field' param)")


def bind(compiled, sample: dict, warnings: list) -> list[Binding]:
    """One binding per placeholder of ``compiled``, in call order (inputs, then targets)."""
    out = []
    for name in (*compiled.inputs, *compiled.targets):
        nid = compiled.node_map[name]
        params = compiled.shapes.params[nid]
        field = _pick_field(params.get("field", name), list(sample), nid, warnings)
        out.append(Binding(name, nid, field, list(params.get("shape", [])),
                           params.get("dtype", "float32")))
    return out


def _shape_ok(got, want) -> bool:
    if len(got) == len(want):
        return all(w == -1 or g == w for g, w in zip(got, want))
    # () label feeding a (1,) target and the like: same values, only size-1 axes differ
    return -1 not in want and [d for d in got if d != 1] == [d for d in want if d != 1]


def _whole_field(dataset, field, limit=4096) -> torch.Tensor:
    """All values of a field when the dataset keeps tensors, else the first ``limit`` samples."""
    fields = getattr(dataset, "fields", None)
    if fields is not None:
        return fields[field]
    if hasattr(dataset, "labels") and field == "label":
        return dataset.labels()
    return torch.stack([dataset[i][field] for i in range(min(limit, len(dataset)))])


def _class_limits(doc, network, compiled) -> dict:
    """node id of an Input/Target -> (number of classes, consuming node) for integer data."""
    graph = doc.graph(network)
    limits = {}
    for nid, n in graph.nodes.items():
        params = compiled.shapes.params.get(nid, {})
        for e in graph.incoming(nid):
            src = e.src[0]
            if n.type in _CLASS_LOSSES and e.dst[1] == "target":
                logits = compiled.shapes.inputs[nid][0]
                limits[src] = (logits.shape[1], nid)
            elif n.type == "recurrent.Embedding":
                limits[src] = (params["num_embeddings"], nid)
    return limits


def check(bindings: list[Binding], datasets: dict, doc, network, compiled) -> None:
    """Raise :class:`DataError` before training when the data cannot feed the network."""
    limits = _class_limits(doc, network, compiled)
    for split, data in datasets.items():
        if data is None or len(data) == 0:
            continue
        sample = data[0]
        for b in bindings:
            value = torch.as_tensor(sample[b.field])
            if not _shape_ok(list(value.shape), b.shape):
                raise Mismatch(f"{split} field {b.field!r} has samples of shape "
                               f"{tuple(value.shape)}, but node {b.node!r} expects "
                               f"{tuple(b.shape)}", "shape", b.node, tuple(value.shape),
                               tuple(b.shape))
            values = _whole_field(data, b.field)
            if values.is_floating_point() and not torch.isfinite(values).all():
                raise DataError(f"{split} field {b.field!r} (node {b.node!r}) contains NaN or "
                                f"infinite values")
            if b.dtype != "int64":
                continue
            if values.is_floating_point() and not torch.equal(values, values.round()):
                raise DataError(f"{split} field {b.field!r} has non-integer values, but node "
                                f"{b.node!r} expects int64 labels or tokens")
            if b.node in limits and values.numel():
                count, consumer = limits[b.node]
                low, high = int(values.min()), int(values.max())
                if low < 0 or high >= count:
                    raise Mismatch(f"{split} field {b.field!r} has values {low}..{high}, but "
                                   f"node {consumer!r} (fed by {b.node!r}) accepts "
                                   f"0..{count - 1}", "classes", b.node, high + 1, count)


def to_arguments(batch: dict, bindings: list[Binding], device) -> list[torch.Tensor]:
    """The compiled module's arguments from a batch, in the node's dtype, on ``device``."""
    out = []
    for b in bindings:
        value = batch[b.field]
        if not torch.is_tensor(value):
            value = torch.as_tensor(value)
        if b.sample_shape is not None and value.shape[1:] != b.sample_shape:
            value = value.reshape(len(value), *b.sample_shape)
        # .to() is a dispatch even when it returns its input: skip it when nothing changes
        if value.dtype is not b.torch_dtype or value.device != device:
            value = value.to(device, b.torch_dtype, non_blocking=True)
        out.append(value)
    return out


_DTYPES = {"float32": torch.float32, "int64": torch.int64}


def bind_noise(compiled) -> list[Binding]:
    """Bindings for a generator's inputs: no dataset field, the recipe feeds them noise."""
    return [Binding(name, compiled.node_map[name], "", list(
        compiled.shapes.params[compiled.node_map[name]].get("shape", [])), "float32")
        for name in compiled.inputs]
