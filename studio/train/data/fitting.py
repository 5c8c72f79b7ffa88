"""What the data says the network should be, and the exact fix when the two disagree.

``fit_to_data`` turns a loaded dataset into the ops of :mod:`studio.core.fit_data` (the Input
shapes its fields have, the number of classes its labels have). ``fix_for`` completes a
:class:`~studio.train.data.binding.Mismatch` message with the flags that fix it: a dataset option
(``--data size=32``, ``--data channels=1``) when the dataset kind has one, a preset or a
``--var`` when the document's shape or width is a variable, and always ``--fit-data``.
"""
from __future__ import annotations

import torch

from studio.core.fit_data import Fit, classifier_layer, fit_ops, variables_of
from studio.core.params import ParamError, resolve
from studio.train.data.binding import Mismatch, _pick_field

INPUT_TYPES = ("io.Input",)


def _inputs(doc, network) -> dict:
    """Input node id -> the dataset field it reads (its ``field`` param, else its id)."""
    out = {}
    for nid, node in doc.graph(network).nodes.items():
        if node.type in INPUT_TYPES:
            try:
                out[nid] = str(resolve(node.params.get("field", nid), variables_of(doc)))
            except ParamError:
                out[nid] = nid
    return out


def input_fields(doc, network, sample: dict) -> dict:
    """Input node id -> the dataset field that feeds it (a same-family stand-in included)."""
    return {nid: _pick_field(field, list(sample), nid, [])
            for nid, field in _inputs(doc, network).items()}


def input_shapes(doc, network, sample: dict) -> dict:
    """Input node id -> the per-sample shape of the field that feeds it."""
    return {nid: tuple(torch.as_tensor(sample[field]).shape)
            for nid, field in input_fields(doc, network, sample).items()}


def class_count(bundle, target_field: str | None = None) -> int | None:
    """How many classes the labels have: the dataset's class names, else the largest integer
    ``label`` + 1; None for data without class labels. A network trained on masks (its Target
    reads ``mask``) predicts the mask classes, background included, not the image classes."""
    if target_field == "mask" and bundle.info.get("mask_classes"):
        return len(bundle.info["mask_classes"])
    classes = bundle.info.get("classes")
    if classes:
        return len(classes)
    fields = getattr(bundle.train, "fields", None)
    label = fields.get("label") if fields else None
    if label is None or label.is_floating_point() or label.ndim != 1 or not len(label):
        return None
    return int(label.max()) + 1


def fit_to_data(doc, network: str, bundle) -> Fit:
    """The edits that fit ``network`` of ``doc`` to ``bundle`` (none when they agree)."""
    has_classifier = classifier_layer(doc, network) is not None
    sample = bundle.train[0]
    return fit_ops(doc, network, input_shapes(doc, network, sample),
                   class_count(bundle, _target_field(doc, network, sample))
                   if has_classifier else None,
                   input_fields(doc, network, sample))


def _count(bundle, doc, network) -> int | None:
    return class_count(bundle, _target_field(doc, network, bundle.train[0]))


def _target_field(doc, network, sample: dict) -> str | None:
    """The dataset field the network's (first) Target reads, None without a Target."""
    for nid, node in doc.graph(network).nodes.items():
        if node.type == "io.Target":
            try:
                wanted = str(resolve(node.params.get("field", "y"), variables_of(doc)))
            except ParamError:
                return None
            return _pick_field(wanted, list(sample), nid, [])
    return None


def _variable_of(doc, network, node_id, axis) -> str | None:
    shape = doc.graph(network).nodes[node_id].params.get("shape")
    value = shape[axis] if isinstance(shape, list) and -len(shape) <= axis < len(shape) else None
    return value[1:] if isinstance(value, str) and value.startswith("$") else None


def _presets_with(doc, network, node_id, size: int) -> list[str]:
    name = _variable_of(doc, network, node_id, -1)
    return [p for p, values in (doc.presets or {}).items()
            if isinstance(values, dict) and values.get(name) == size] if name else []


def _shape_fixes(e: Mismatch, doc, network, options: set) -> list[str]:
    got, want = e.got, e.want
    if len(got) != len(want) or len(got) < 2:
        return []
    fixes = []
    if len(got) == 3 and got[0] != want[0]:
        if "channels" in options:
            fixes.append(f"--data channels={want[0]}")
        if (name := _variable_of(doc, network, e.node, 0)):
            fixes.append(f"--var {name}={got[0]}")
    if got[-2:] != want[-2:]:
        if "size" in options and want[-1] == want[-2]:
            fixes.append(f"--data size={want[-1]}")
        if got[-1] == got[-2]:
            fixes += [f"--preset {p}" for p in _presets_with(doc, network, e.node, got[-1])]
            if (name := _variable_of(doc, network, e.node, -1)) and \
                    _variable_of(doc, network, e.node, -2) == name:
                fixes.append(f"--var {name}={got[-1]}")
    return fixes


def _class_fixes(e: Mismatch, doc, network, bundle) -> list[str]:
    found = classifier_layer(doc, network)
    if not found:
        return []
    raw = doc.graph(network).nodes[found[0]].params.get(found[1])
    count = _count(bundle, doc, network) or e.got
    return [f"--var {raw[1:]}={count}"] if isinstance(raw, str) and raw.startswith("$") else []


def fix_for(e: Mismatch, doc, network: str, options: set, bundle) -> str:
    """``e``'s message with what disagrees and the flags that fix it."""
    if e.kind == "shape":
        fixes = _shape_fixes(e, doc, network, options)
        what = ""
        if len(e.got) == 3 and len(e.want) == 3 and e.got[0] != e.want[0]:
            what = f" ({e.got[0]} channels, the network takes {e.want[0]})"
    else:
        fixes = _class_fixes(e, doc, network, bundle)
        what = f" ({_count(bundle, doc, network) or e.got} classes, the network has {e.want})"
    fixes.append("--fit-data (sets the network from the data)")
    return f"{e}{what}; fix: {' or '.join(fixes)}"
