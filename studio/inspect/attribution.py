"""Where the network looks: class activation maps, Grad-CAM, saliency and integrated gradients.

Every function returns a heat map (H, W) float32 in [0, 1] at the input's resolution plus the
class it explains (the predicted one unless ``target`` is given). Grad-CAM, saliency and
integrated gradients are Captum's; the class activation map of Zhou et al. 2016 is small and
ours: for a network whose classifier reads globally averaged conv features,
``cam_k = sum_c w[k, c] * F_c``, which needs no gradient at all.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

from studio.inspect.errors import InspectError
from studio.inspect.network import (capturing, check_classes, frozen, logits_of, resolve_layer,
                                    spatial_layer)


def _target(model, x, target):
    check_classes(model, x, target)
    if target is not None:
        return int(target)
    with torch.no_grad():
        return int(logits_of(model(x)).flatten(1).argmax(1)[0])


def _finish(heat: torch.Tensor, size) -> np.ndarray:
    """(h, w) map -> relu, upsampled to ``size``, scaled to [0, 1]."""
    heat = heat.detach().float().relu()[None, None]
    if tuple(heat.shape[-2:]) != tuple(size):
        heat = F.interpolate(heat, size=size, mode="bilinear", align_corners=False)
    heat = heat[0, 0]
    peak = float(heat.max())
    return (heat / peak if peak > 0 else heat).cpu().numpy().astype(np.float32)


def _single(x: torch.Tensor) -> torch.Tensor:
    if x.dim() != 4 or x.shape[0] != 1:
        raise InspectError(f"expected one image of shape 1×C×H×W, got {tuple(x.shape)}")
    return x


def grad_cam(model: nn.Module, layer: str, x: torch.Tensor, target: int | None = None):
    """Grad-CAM (Selvaraju 2017) of ``layer`` for ``x`` (1×C×H×W): (heat, class)."""
    from captum.attr import LayerGradCam
    x = _single(x)
    with frozen(model):
        spatial_layer(model, layer, x, "Grad-CAM")
        k = _target(model, x, target)
        gc = LayerGradCam(lambda inp: logits_of(model(inp)).flatten(1), resolve_layer(model, layer))
        attr = gc.attribute(x.clone().requires_grad_(True), target=k, relu_attributions=True)
    return _finish(attr[0, 0], x.shape[-2:]), k


def saliency(model: nn.Module, x: torch.Tensor, target: int | None = None):
    """Gradient magnitude of the class score per pixel (Simonyan 2013), max over channels."""
    from captum.attr import Saliency
    x = _single(x)
    with frozen(model):
        k = _target(model, x, target)
        attr = Saliency(lambda inp: logits_of(model(inp)).flatten(1)).attribute(
            x.clone().requires_grad_(True), target=k, abs=True)
    return _finish(attr[0].max(0).values, x.shape[-2:]), k


def integrated_gradients(model: nn.Module, x: torch.Tensor, target: int | None = None,
                         steps: int = 32, baseline: torch.Tensor | None = None):
    """Integrated gradients (Sundararajan 2017) from a black (or given) baseline."""
    from captum.attr import IntegratedGradients
    x = _single(x)
    with frozen(model):
        k = _target(model, x, target)
        ig = IntegratedGradients(lambda inp: logits_of(model(inp)).flatten(1))
        attr = ig.attribute(x, baselines=baseline if baseline is not None else torch.zeros_like(x),
                            target=k, n_steps=steps)
    return _finish(attr[0].abs().sum(0), x.shape[-2:]), k


def class_activation_map(model: nn.Module, x: torch.Tensor, target: int | None = None,
                         features: str | None = None, classifier: str | None = None):
    """CAM of a global-average-pooling network: (heat, class).

    ``features`` (the last conv layer) and ``classifier`` (the Linear after the pooling) are
    found in a torch.fx network's graph when not given. The pooling is checked numerically:
    the classifier's input must be the spatial mean of the features, otherwise the weights do
    not say where anything is and the error suggests Grad-CAM.
    """
    x = _single(x)
    if features is None or classifier is None:
        found, classifier = find_cam_layers(model, x)
        features = features or found
    head = resolve_layer(model, classifier)
    if not isinstance(head, nn.Linear):
        raise InspectError(f"node {classifier!r} is a {type(head).__name__}; CAM needs the "
                           f"Linear classifier after global average pooling")
    with frozen(model):
        spatial_layer(model, features, x, "a class activation map")
        k = _target(model, x, target)
        pooled = {}
        hook = head.register_forward_pre_hook(lambda m, inp: pooled.setdefault("x", inp[0]))
        try:
            with torch.no_grad(), capturing(model, [features], stop_early=False) as cap:
                cap.run(x)
        finally:
            hook.remove()
        fmap = cap[features][0]
        if pooled["x"].numel() != fmap.shape[0] or not torch.allclose(
                pooled["x"].flatten(), fmap.mean((1, 2)), atol=1e-4, rtol=1e-3):
            raise InspectError(f"CAM needs global average pooling between {features!r} and "
                               f"{classifier!r}; use Grad-CAM for this network")
        heat = torch.einsum("c,chw->hw", head.weight[k], fmap)
    return _finish(heat, x.shape[-2:]), k


def find_cam_layers(model: nn.Module, x: torch.Tensor) -> tuple[str, str]:
    """(features, classifier) module names of an fx network ending in ``Linear(pool(conv))``.

    Walks back from the output through parameter-free modules to the Linear, then from its
    input back through parameter-free modules (pooling, flatten) to the nearest module whose
    output for ``x`` is a feature map with more than one position. The numeric check in
    :func:`class_activation_map` confirms the pooling between them is an average.
    """
    if not isinstance(model, fx.GraphModule):
        raise InspectError("CAM without named layers needs a compiled network; name the "
                           "features and classifier layers")
    out = next(n for n in model.graph.nodes if n.op == "output").args[0]
    node = _parametric(model, out[0] if isinstance(out, (tuple, list)) else out)
    if node is None or not isinstance(model.get_submodule(node.target), nn.Linear):
        raise InspectError("CAM needs a network that ends in a Linear classifier after global "
                           "average pooling (like the fcn template); use Grad-CAM instead")
    chain, cur = [], node.args[0] if node.args else None
    while isinstance(cur, fx.Node) and cur.op != "placeholder":
        if cur.op == "call_module":
            chain.append(cur.target)
            if any(True for _ in model.get_submodule(cur.target).parameters()):
                break
        cur = cur.args[0] if cur.args else None
    if chain:
        with torch.no_grad(), frozen(model), capturing(model, chain, stop_early=False) as cap:
            cap.run(x)
        for name in chain:
            out = cap.get(name)
            if torch.is_tensor(out) and out.dim() == 4 and out.shape[2] * out.shape[3] > 1:
                return name, node.target
    raise InspectError(f"no convolutional feature map feeds the classifier {node.target!r}: "
                       f"CAM needs global average pooling after conv layers; use Grad-CAM "
                       f"for this network")


def _parametric(model, node):
    """Follow the first argument back to the nearest module with parameters."""
    while isinstance(node, fx.Node) and node.op != "placeholder":
        if node.op == "call_module" and any(True for _ in model.get_submodule(node.target)
                                            .parameters()):
            return node
        node = node.args[0] if node.args else None
    return None
