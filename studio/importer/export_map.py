"""The torch.export fallback's vocabulary: ATen operators -> what ``calls_map`` already reads.

When torch.fx cannot trace a model (``if x.dim() == 3`` at the top of ``forward``), torch.export
can: it records ATen operators, with the model's parameters as ``get_attr`` nodes. Operators that
have a torch function of the same signature are read as that function; the layers whose weights
arrive as arguments (convolution, linear, batch and layer norm) are read here, their weights
taken from the module that owns them.
"""
from __future__ import annotations

from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import fx

from studio.importer.calls_map import Mapped, map_call
from studio.importer.modules_map import ints

aten = torch.ops.aten

_SAME = {
    aten.relu.default: torch.relu, aten.relu_.default: torch.relu,
    aten.add.Tensor: torch.add, aten.add_.Tensor: torch.add,
    aten.mul.Tensor: torch.mul, aten.mul_.Tensor: torch.mul,
    aten.cat.default: torch.cat, aten.flatten.using_ints: torch.flatten,
    aten.view.default: "view", aten.reshape.default: "reshape",
    aten.permute.default: torch.permute, aten.transpose.int: torch.transpose,
    aten.mean.dim: torch.mean, aten.adaptive_avg_pool2d.default: F.adaptive_avg_pool2d,
    aten.max_pool2d.default: F.max_pool2d, aten.avg_pool2d.default: F.avg_pool2d,
    aten.sigmoid.default: torch.sigmoid, aten.tanh.default: torch.tanh,
    aten.hardswish.default: F.hardswish, aten.hardswish_.default: F.hardswish,
    aten.hardsigmoid.default: F.hardsigmoid, aten.silu.default: F.silu,
    aten.silu_.default: F.silu, aten.gelu.default: F.gelu,
    aten.softmax.int: torch.softmax, aten.log_softmax.int: torch.log_softmax,
    aten.hardtanh.default: F.hardtanh, aten.hardtanh_.default: F.hardtanh,
    aten.clone.default: torch.clone, aten.dropout.default: F.dropout,
    aten.split.Tensor: torch.split, aten.chunk.default: torch.chunk,
}


def _attr(arg) -> str | None:
    return arg.target if isinstance(arg, fx.Node) and arg.op == "get_attr" else None


def _owner(paths) -> str | None:
    """The module that owns all of ``paths`` (``conv.weight``, ``conv.bias`` -> ``conv``)."""
    owners = {p.rpartition(".")[0] for p in paths if p}
    return owners.pop() if len(owners) == 1 else None


def _conv(node, values, dims):
    x, w, *rest = node.args
    rest += [None] * (5 - len(rest))
    b, stride, padding, dilation, groups = rest
    weight = values[w.name]
    if isinstance(padding, str):
        return None
    params = {"out_channels": int(weight.shape[0]), "kernel_size": ints(weight.shape[2:]),
              "stride": ints(stride or 1), "padding": ints(padding or 0),
              "dilation": ints(dilation or 1), "groups": int(groups or 1), "bias": b is not None,
              "padding_mode": "zeros"}
    attrs = {"weight": _attr(w), **({"bias": _attr(b)} if b is not None else {})}
    return Mapped(f"conv.Conv{dims}d", params, [x], attrs=attrs)


def _linear(node, values):
    x, w, *rest = node.args
    b = rest[0] if rest else None
    attrs = {"weight": _attr(w), **({"bias": _attr(b)} if b is not None else {})}
    return Mapped("linear.Linear", {"out_features": int(values[w.name].shape[0]),
                                    "bias": b is not None}, [x], attrs=attrs)


def _batch_norm(node, values):
    x, w, b, mean, var, training, momentum, eps = node.args[:8]
    if training or (w is None) != (b is None):
        return None
    rank = values[x.name].dim()
    if rank not in (2, 3, 4):
        return None
    attrs = {"running_mean": _attr(mean), "running_var": _attr(var)}
    if w is not None:
        attrs.update(weight=_attr(w), bias=_attr(b))
    return Mapped("norm.BatchNorm2d" if rank == 4 else "norm.BatchNorm1d",
                  {"eps": float(eps), "momentum": float(momentum), "affine": w is not None},
                  [x], attrs=attrs)


def _layer_norm(node, values):
    x, shape, w, b, eps = (list(node.args) + [None] * 5)[:5]
    if w is None or b is None:
        return None
    return Mapped("norm.LayerNorm", {"dims": len(shape), "eps": float(eps if eps is not None
                                                                     else 1e-5),
                                     "elementwise_affine": True}, [x],
                  attrs={"weight": _attr(w), "bias": _attr(b)})


_WEIGHTED = {aten.conv2d.default: lambda n, v: _conv(n, v, 2),
             aten.conv1d.default: lambda n, v: _conv(n, v, 1),
             aten.linear.default: _linear, aten.batch_norm.default: _batch_norm,
             aten.layer_norm.default: _layer_norm}


def map_aten(node: fx.Node, values: dict):
    """Like ``calls_map.map_call`` for an ATen call; a weighted layer's ``attrs`` name its
    parameters, and ``owner`` (set on the result) the module holding all of them."""
    weighted = _WEIGHTED.get(node.target)
    if weighted is not None:
        mapped = weighted(node, values)
        if mapped is None or None in mapped.attrs.values():
            return None
        mapped.owner = _owner(mapped.attrs.values())
        return mapped
    same = _SAME.get(node.target)
    if same is None:
        return map_call(node, values)  # getitem and the like keep their Python targets
    shadow = SimpleNamespace(target=same, args=node.args, kwargs=dict(node.kwargs),
                             name=node.name, op=node.op, all_input_nodes=node.all_input_nodes)
    return map_call(shadow, values)
