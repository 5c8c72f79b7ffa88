"""What the Lab and ``netstudio inspect`` start from: a compiled network with weights, its input
spec, and images from a file or from the document's own dataset.

The dataset is the one the document trains on (``training.dataset``, variables resolved), split
with the training seed, so ``--sample 3`` is the same validation image the dashboard showed.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from studio.inspect.errors import InspectError
from studio.inspect.images import load_image
from studio.inspect.network import load_weights


@dataclass
class Samples:
    inputs: torch.Tensor  # N×... the network's first input
    labels: torch.Tensor | None  # N class labels when the dataset has them
    classes: list | None  # class names
    info: dict


def open_network(doc, network: str | None = None, weights: str | None = None):
    """Compile ``network`` (default ``model`` or the only one) in inference mode; load weights."""
    from studio.compile.fx import compile_network
    network = network or ("model" if "model" in doc.networks else next(iter(doc.networks)))
    if network not in doc.networks:
        raise InspectError(f"no network {network!r} in the document "
                           f"(networks: {', '.join(doc.networks)})")
    # None: the compiler resolves the variables itself (scope_for), expressions such as
    # input_size = "=16*base" included; doc.variables holds them unresolved
    compiled = compile_network(doc, network, None, seed=0)
    if weights:
        load_weights(compiled.module, weights, network)
    compiled.module.eval()
    return compiled


def input_spec(compiled):
    """The TensorSpec of the network's first input (shape includes the batch axis)."""
    if not compiled.inputs:
        raise InspectError("the network has no Input node")
    outs = compiled.shapes.outputs.get(compiled.node_map[compiled.inputs[0]]) or {}
    spec = next(iter(outs.values()), None)
    if spec is None:
        raise InspectError("the network's input shape is unknown")
    return spec


def image_spec(compiled) -> tuple[int, tuple[int, int]]:
    """(channels, (H, W)) of an image network; an error for other inputs."""
    spec = input_spec(compiled)
    if len(spec.shape) != 4 or spec.dtype != "float32":
        raise InspectError(f"this needs an image network (input N×C×H×W), but the input is "
                           f"{spec.label()}")
    return spec.shape[1], tuple(spec.shape[2:])


def _bundle(doc):
    from studio.train.config import resolve_config
    from studio.train.data.base import DataError
    from studio.train.data.registry import load_dataset
    config = resolve_config(doc)
    try:
        return load_dataset(config["dataset"], seed=int(config.get("seed") or 0))
    except DataError as e:
        raise InspectError(f"dataset: {e}") from None


def dataset_info(doc) -> dict:
    """What the document's dataset says about itself: ``classes``, ``vocab``, ..."""
    return _bundle(doc).info


def dataset_samples(doc, count: int | None = None, split: str = "val") -> Samples:
    """The first ``count`` samples of the document's dataset ``split`` (val, test or train)."""
    bundle = _bundle(doc)
    data = getattr(bundle, split, None)
    if data is None or len(data) == 0:
        data = next((d for d in (bundle.val, bundle.test, bundle.train)
                     if d is not None and len(d)), None)
    if data is None:
        raise InspectError(f"dataset {bundle.source!r} has no samples")
    n = len(data) if count is None else min(count, len(data))
    items = [data[i] for i in range(n)]
    field = _input_field(doc, items[0])
    inputs = torch.stack([torch.as_tensor(it[field]) for it in items])
    labels = (torch.stack([torch.as_tensor(it["label"]) for it in items])
              if "label" in items[0] else None)
    return Samples(inputs, labels, bundle.info.get("classes"), bundle.info)


def _input_field(doc, sample: dict) -> str:
    """The field the first Input node reads (its ``field`` param), else the image-like one."""
    graph = doc.networks.get("model") or next(iter(doc.networks.values()))
    for node in graph.nodes.values():
        if node.type == "io.Input":
            wanted = node.params.get("field") or node.params.get("name") or "image"
            if wanted in sample:
                return wanted
    for name in ("image", "x", "input", "sequence", "inputs", "center"):
        if name in sample:
            return name
    raise InspectError(f"cannot tell which dataset field feeds the input "
                       f"(fields: {', '.join(sample)})")


def pick_image(compiled, doc, path: str | None = None, sample: int = 0,
               resize: bool = False) -> tuple[torch.Tensor, int | None]:
    """(1×C×H×W image, its label or None) from ``path`` or sample ``sample`` of the dataset."""
    channels, size = image_spec(compiled)
    if path:
        return load_image(path, channels, size, resize), None
    data = dataset_samples(doc, sample + 1)
    if sample >= len(data.inputs) or sample < 0:
        raise InspectError(f"sample {sample} out of range: the split has {len(data.inputs)}")
    x = data.inputs[sample:sample + 1].float()
    if tuple(x.shape[1:]) != (channels, *size):
        raise InspectError(f"dataset images are {tuple(x.shape[1:])}, the network input "
                           f"expects {(channels, *size)}")
    label = int(data.labels[sample]) if data.labels is not None else None
    return x, label
