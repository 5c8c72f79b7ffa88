"""On-demand looks into a run's network, in the GUI process (no Qt here): feature maps of a node
for a chosen probe input, and the validation samples the classifier confuses most. Built on
:mod:`studio.inspect` (compile, load the run's safetensors checkpoint, capture outputs).

A compiled network is cached per (run folder, checkpoint file, modification time), so clicking
through nodes costs one forward pass each, and a newer checkpoint is picked up.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

_CACHE: dict = {}


class ProbeError(ValueError):
    """Something the user can fix: no checkpoint yet, image of the wrong size, unknown node."""


def _checkpoint(run_dir: Path, tag: str = "last") -> Path:
    path = Path(run_dir) / "checkpoints" / f"{tag}.safetensors"
    if not path.is_file():
        raise ProbeError(f"{run_dir}: no {tag!r} checkpoint yet (one is written at each epoch "
                         "end and when training stops)")
    return path


def run_document(run_dir: Path):
    from studio.core.serialize import load
    path = Path(run_dir) / "document.nnet.json"
    if not path.is_file():
        raise ProbeError(f"{run_dir}: no document.nnet.json (not a run folder)")
    doc, _ = load(path)
    return doc


def network(run_dir: Path, tag: str = "last"):
    """(document, compiled inference network with the checkpoint's weights)."""
    from studio.inspect.errors import InspectError
    from studio.inspect.load import open_network
    weights = _checkpoint(run_dir, tag)
    key = (str(Path(run_dir).resolve()), tag, weights.stat().st_mtime_ns)
    if key not in _CACHE:
        doc = run_document(run_dir)
        try:
            _CACHE.clear()  # one network at a time is enough for the dashboard
            _CACHE[key] = doc, open_network(doc, weights=str(weights))
        except InspectError as e:
            raise ProbeError(str(e)) from None
    return _CACHE[key]


def probe_input(doc, compiled, image_path: str | None = None, sample: int = 0):
    """(1×... input tensor, label or None): an image file, or validation sample ``sample``."""
    from studio.inspect.errors import InspectError
    from studio.inspect.load import dataset_samples, pick_image
    try:
        if image_path:
            return pick_image(compiled, doc, image_path, resize=True)
        data = dataset_samples(doc, sample + 1)
    except InspectError as e:
        raise ProbeError(str(e)) from None
    if not 0 <= sample < len(data.inputs):
        raise ProbeError(f"sample {sample} out of range: the validation split has "
                         f"{len(data.inputs)}")
    label = int(data.labels[sample]) if data.labels is not None and data.labels.dim() == 1 \
        else None
    return data.inputs[sample:sample + 1], label


def node_output(compiled, node_id: str, x) -> np.ndarray:
    """The output of ``node_id`` for the one-sample batch ``x`` (batch axis removed)."""
    import torch
    from studio.inspect.errors import InspectError
    from studio.inspect.network import features, layer_name
    try:
        with torch.no_grad():
            out = features(compiled.module, [layer_name(compiled, node_id)], x)[0]
    except InspectError as e:
        raise ProbeError(str(e)) from None
    return out[0].detach().float().cpu().numpy()


def confused_samples(run_dir: Path, count: int = 12, limit: int = 1000) -> list[dict]:
    """The validation samples predicted wrong with the highest confidence: image, true class,
    predicted class, probability. Empty when the network is not a classifier."""
    import torch
    from studio.inspect.load import dataset_samples
    from studio.inspect.network import logits_of
    doc, compiled = network(run_dir)
    data = dataset_samples(doc, limit)
    if data.labels is None or data.labels.dim() != 1:
        return []
    with torch.no_grad():
        logits = logits_of(compiled.module(data.inputs.float()))
    if logits.dim() != 2 or logits.shape[0] != len(data.labels):
        return []
    probs = torch.softmax(logits.float(), 1)
    conf, pred = probs.max(1)
    wrong = (pred != data.labels).nonzero().flatten()
    order = wrong[conf[wrong].argsort(descending=True)][:count]
    names = data.classes or []
    name = lambda i: str(names[i]) if i < len(names) else str(i)
    return [{"image": data.inputs[i].float().numpy(), "index": int(i),
             "true": name(int(data.labels[i])), "predicted": name(int(pred[i])),
             "p": float(conf[i])} for i in order.tolist()]
