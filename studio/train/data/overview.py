"""Everything the studio's Data tab shows about a document's dataset, computed without Qt.

``data_overview(doc)`` loads the dataset the document trains on (``training.dataset``,
variables resolved) and gathers: the description (:func:`studio.train.data.describe.describe`:
fields, shapes, ranges, classes, split sizes), the first samples of the training split as
pictures or values with their labels, the same sample augmented eight times with the training
section's augment list, each Input node's shape against the shape its data field has, the edits
that would fit the network to the data, and the preprocessing the network expects. It runs on a
worker thread; any failure becomes ``error`` (one line), never an exception.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

AUGMENTED = 8  # how many augmented versions of one sample the preview shows


@dataclass
class Sample:
    kind: str  # image, sequence, tokens, table, other
    value: np.ndarray  # image: H×W or H×W×3 in 0..1; sequence: T×F; tokens/table: 1-D
    label: str = ""  # the class name or target value
    mask: np.ndarray | None = None  # H×W class indices (segmentation)
    text: str = ""  # tokens read through the vocabulary
    # the other inputs of a multi-input network (VQA: the question beside the picture)
    parts: list = field(default_factory=list)


@dataclass
class InputCheck:
    node: str  # Input node id
    field: str  # dataset field feeding it
    want: tuple  # the shape the network expects (per sample)
    got: tuple | None  # the field's shape, None when the field is missing

    @property
    def ok(self) -> bool:
        return self.got is not None and tuple(self.got) == tuple(self.want)


@dataclass
class DataOverview:
    spec: dict = field(default_factory=dict)
    description: object = None  # studio.train.data.describe.DatasetDescription
    samples: list = field(default_factory=list)  # Sample
    augmented: list = field(default_factory=list)  # Sample: the first sample, augmented
    augment_names: list = field(default_factory=list)
    inputs: list = field(default_factory=list)  # InputCheck
    fit_changes: list = field(default_factory=list)  # what "fit the network" would change
    preprocessing: list = field(default_factory=list)  # lines
    columns: list = field(default_factory=list)  # a table's feature column names
    error: str = ""


def _classes_text(value, classes) -> str:
    t = torch.as_tensor(value)
    if t.numel() == 1 and not t.is_floating_point():
        k = int(t)
        return classes[k] if classes and 0 <= k < len(classes) else str(k)
    if t.numel() == 1:
        return f"{float(t):.3g}"
    return "×".join(map(str, t.shape))


def _image(t: torch.Tensor) -> np.ndarray:
    """C×H×W -> H×W (gray) or H×W×3 in 0..1, stretched when the values leave 0..1."""
    x = t.detach().float()
    low, high = float(x.min()), float(x.max())
    if low < 0 or high > 1:
        x = (x - low) / max(high - low, 1e-8)
    x = x.clamp(0, 1).numpy()
    return x[0] if x.shape[0] == 1 else x[:3].transpose(1, 2, 0)


def as_sample(item: dict, field_name: str, info: dict) -> Sample:
    """One dataset sample (dict of fields) as something to draw."""
    x = torch.as_tensor(item[field_name])
    label_field = next((k for k in ("label", "y", "target") if k in item), None)
    label = _classes_text(item[label_field], info.get("classes")) if label_field else ""
    mask = item.get("mask")
    mask = torch.as_tensor(mask).numpy() if mask is not None else None
    if x.dim() == 3 and x.shape[0] in (1, 3, 4) and x.is_floating_point():
        return Sample("image", _image(x), label, mask)
    if x.dim() == 2 and x.is_floating_point():
        return Sample("sequence", x.numpy(), label)
    if x.dim() == 1 and not x.is_floating_point():
        vocab = info.get("vocab") or []
        words = [vocab[i] if 0 <= i < len(vocab) else str(i) for i in x.tolist()]
        # padding says nothing about the sample ("<pad> <pad> how many circles ?")
        text = " ".join(w for w in words if w != "<pad>")
        return Sample("tokens", x.numpy(), label, text=text)
    if x.dim() == 1:
        return Sample("table", x.numpy(), label)
    return Sample("other", x.numpy(), label)


def _network(doc) -> str | None:
    return "model" if "model" in doc.networks else next(iter(doc.networks), None)


def input_checks(doc, network: str, sample: dict) -> list[InputCheck]:
    """Each Input node's resolved shape against the shape of the field that feeds it."""
    from studio.core.params import resolve
    from studio.core.variables import scope_for
    from studio.train.data.fitting import _inputs, input_fields
    scope = scope_for(doc)
    try:
        fields = input_fields(doc, network, sample)
    except Exception:  # a field no node can read: show it as missing rather than fail
        fields = _inputs(doc, network)
    out = []
    for nid, name in fields.items():
        want = tuple(int(v) for v in resolve(doc.graph(network).nodes[nid].params.get(
            "shape", []), scope))
        got = tuple(torch.as_tensor(sample[name]).shape) if name in sample else None
        out.append(InputCheck(nid, name, want, got))
    return out


def _augmented(dataset, augment: list, field_name: str, info: dict, seed: int) -> list:
    from studio.train.data.augment import Augmented, build_transforms
    transform = build_transforms(augment, True)
    if transform is None:
        return []
    wrapped = Augmented(dataset, transform, seed)
    out = []
    for epoch in range(AUGMENTED):
        wrapped.set_epoch(epoch)
        out.append(as_sample(wrapped[0], field_name, info))
    return out


def _first_input_field(doc, network, sample) -> str:
    checks = input_checks(doc, network, sample) if network else []
    name = next((c.field for c in checks if c.field in sample), None)
    return name or next(k for k in sample if k not in ("label", "y", "target", "mask"))


def _add_other_inputs(samples: list, data, doc, network, shown: str, info: dict) -> None:
    """Each sample's other Input fields as its ``parts``, so a two-input network's picture and
    question are drawn side by side."""
    if not network:
        return
    others = [c.field for c in input_checks(doc, network, data[0])
              if c.field != shown and c.field in data[0]]
    for i, sample in enumerate(samples):
        sample.parts = [as_sample(data[i], f, info) for f in dict.fromkeys(others)]


def data_overview(doc, count: int = 20) -> DataOverview:
    """The Data tab's content for ``doc``; failures become ``error``, never exceptions."""
    from studio.train.config import resolve_config
    overview = DataOverview()
    try:
        config = resolve_config(doc)
        overview.spec = dict(config.get("dataset") or {})
        _fill(overview, doc, config, count)
    except Exception as e:  # a missing folder, a broken CSV, a bad option: said in the tab
        overview.error = " ".join((str(e) or type(e).__name__).split())[:500]
    return overview


def _fill(overview: DataOverview, doc, config: dict, count: int) -> None:
    from studio.train.data.describe import describe
    from studio.train.data.fitting import fit_to_data
    from studio.train.data.preprocess import preprocessing_for
    from studio.train.data.registry import load_dataset
    seed = int(config.get("seed") or 0)
    overview.description = describe(overview.spec, seed)
    bundle = load_dataset(overview.spec, seed)
    data, info = bundle.train, bundle.info
    overview.columns = list(info.get("features") or [])
    first = data[0]
    network = _network(doc)
    name = _first_input_field(doc, network, first)
    overview.samples = [as_sample(data[i], name, info) for i in range(min(count, len(data)))]
    _add_other_inputs(overview.samples, data, doc, network, name, info)
    augment = config.get("augment") or overview.spec.get("augment") or []
    overview.augment_names = [str(a.get("name")) for a in augment if isinstance(a, dict)]
    overview.augmented = _augmented(data, augment, name, info, seed)
    if network:
        overview.inputs = input_checks(doc, network, first)
        try:
            overview.fit_changes = fit_to_data(doc, network, bundle).changes
        except Exception as e:  # the fit is an offer; its failure must not hide the data
            overview.fit_changes = []
            overview.description.notes.append(f"cannot fit the network: {e}")
        check = overview.inputs[0] if overview.inputs else None
        if check is not None:
            shape = check.got or check.want
            dtype = str(torch.as_tensor(first[check.field]).dtype).removeprefix("torch.") \
                if check.field in first else "float32"
            overview.preprocessing = preprocessing_for(config, shape, dtype, check.field,
                                                       info).describe()
