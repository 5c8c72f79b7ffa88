"""Access to a network for inspection: layers by name, weights from safetensors, captured outputs.

Layer names are module paths (``"c3"``, ``"layer1.0.conv1"``). In a compiled document network
the top-level module of a node is named after the node id (``legal_name`` changes it only for
ids that are not Python identifiers), so :func:`layer_name` maps node ids through ``node_map``.
Captures stop the forward pass once every wanted layer has produced its output, so features of
an early layer of a large network cost only the layers before it.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from studio.inspect.errors import InspectError


def layer_name(compiled, node_id: str) -> str:
    """The module path of a compiled network's node (node ids that are not identifiers differ)."""
    for name, nid in compiled.node_map.items():
        if nid == node_id and name not in compiled.inputs:
            return name
    return node_id


def _known(model: nn.Module) -> str:
    names = [n for n, _ in model.named_children()]
    shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
    return shown or "none"


def resolve_layer(model: nn.Module, name: str) -> nn.Module:
    """The sub-module called ``name``; an :class:`InspectError` listing the known nodes if none."""
    if name:
        try:
            return model.get_submodule(name)
        except AttributeError:
            pass
    raise InspectError(f"unknown node {name!r} (nodes: {_known(model)})")


class _Stop(Exception):
    """Raised by a hook once every wanted output is captured: the rest of the forward is waste."""


@contextmanager
def capturing(model: nn.Module, layers: list[str], stop_early: bool = True):
    """Forward hooks that fill the yielded dict ``{layer: output}`` during ``run(x)``.

    Use ``with capturing(model, ["c3"]) as cap: cap.run(x); cap["c3"]``. Outputs keep their
    autograd graph so losses on them can be differentiated with respect to the input.
    """
    modules = {name: resolve_layer(model, name) for name in layers}
    store = _Capture(model, len(modules), stop_early)
    handles = [m.register_forward_hook(store.hook(name)) for name, m in modules.items()]
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


class _Capture(dict):
    def __init__(self, model, wanted: int, stop_early: bool):
        super().__init__()
        self.model, self.wanted, self.stop_early = model, wanted, stop_early
        self.result = None

    def hook(self, name):
        def record(module, inputs, output):
            self[name] = output[0] if isinstance(output, (tuple, list)) else output
            if self.stop_early and len(self) == self.wanted:
                raise _Stop
        return record

    def run(self, x: torch.Tensor):
        """Forward ``x``; returns the model output (None when stopped early)."""
        self.clear()
        try:
            self.result = self.model(x)
        except _Stop:
            self.result = None
        return self.result


def features(model: nn.Module, layers: list[str], x: torch.Tensor) -> list[torch.Tensor]:
    """The outputs of ``layers`` for ``x``, in the order asked."""
    with capturing(model, layers) as cap:
        cap.run(x)
        return [cap[name] for name in layers]


def logits_of(output) -> torch.Tensor:
    """The first tensor of a model output (a network with several Outputs returns a tuple)."""
    while isinstance(output, (tuple, list)):
        output = output[0]
    if isinstance(output, dict):
        output = next(iter(output.values()))
    return output


def predict(model: nn.Module, x: torch.Tensor) -> tuple[list[int], list[float]]:
    """Predicted class and its softmax probability for each sample of ``x``."""
    with torch.no_grad():
        probs = torch.softmax(logits_of(model(x)).flatten(1), dim=1)
    conf, cls = probs.max(dim=1)
    return cls.tolist(), conf.tolist()


def check_classes(model: nn.Module, x: torch.Tensor, *classes) -> int:
    """The number of classes the model outputs; an error naming a class index out of range."""
    with torch.no_grad():
        count = logits_of(model(x)).flatten(1).shape[1]
    for k in classes:
        if k is not None and not 0 <= k < count:
            raise InspectError(f"class {k} out of range: the network outputs {count} classes "
                               f"(0..{count - 1})")
    return count


def spatial_layer(model: nn.Module, layer: str, x: torch.Tensor, what: str) -> torch.Tensor:
    """The output of ``layer`` for ``x``, required to be a N×C×H×W feature map."""
    out = features(model, [layer], x)[0]
    if not torch.is_tensor(out) or out.dim() != 4:
        shape = "×".join(["N", *map(str, out.shape[1:])]) if torch.is_tensor(out) else type(out)
        raise InspectError(f"node {layer!r} outputs {shape}; {what} needs a convolutional "
                           f"feature map N×C×H×W")
    return out


def load_weights(module: nn.Module, path: str | Path, network: str = "model") -> None:
    """Load a ``.safetensors`` file (or a run folder's best/last checkpoint) into ``module``.

    The export layer's loader does the reading and the key and shape checks (plain state
    dicts and the training engine's ``model.<network>.`` checkpoints alike); its errors come
    back as :class:`InspectError`. Loading half a network would make every picture a lie.
    """
    from studio.export.errors import ExportError
    from studio.export.weights import load_weights as load_checked
    try:
        load_checked(module, _weights_file(Path(path)), network)
    except ExportError as e:
        raise InspectError(str(e)) from None


def _weights_file(path: Path) -> Path:
    if path.is_dir():  # a training run folder
        for tag in ("best", "last"):
            candidate = path / "checkpoints" / f"{tag}.safetensors"
            if candidate.is_file():
                return candidate
        raise InspectError(f"{path}: no checkpoints/best.safetensors or last.safetensors")
    if not path.is_file():
        raise InspectError(f"{path}: no such weights file")
    return path


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels: the prior that removes speckle."""
    return ((x[..., 1:, :] - x[..., :-1, :]).abs().mean() +
            (x[..., :, 1:] - x[..., :, :-1]).abs().mean())


def frozen(model: nn.Module):
    """Evaluation mode with parameters not requiring gradients, restored on exit."""
    return _Frozen(model)


class _Frozen:
    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.training = self.model.training
        self.flags = [(p, p.requires_grad) for p in self.model.parameters()]
        self.model.eval()
        for p, _ in self.flags:
            p.requires_grad_(False)
        return self.model

    def __exit__(self, *exc):
        for p, flag in self.flags:
            p.requires_grad_(flag)
        self.model.train(self.training)
