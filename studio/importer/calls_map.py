"""Functional calls and tensor methods of a traced graph -> catalogue node types.

``map_call(node, values)`` reads an fx ``call_function`` / ``call_method`` node with the values
recorded on the example input and gives a :class:`Mapped` node (type, params, the fx nodes that
feed its ports), an :class:`Alias` (``contiguous``: the value passes through unchanged), or
None when the catalogue has no equivalent. Sizes the code computed at run time (``x.view(n, g,
c // g, h, w)``) are read from the recorded output, the batch dimension kept symbolic.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import fx

from studio.importer.modules_map import ints


@dataclass
class Mapped:
    type_id: str
    params: dict
    inputs: list  # fx nodes, in port order
    attrs: dict = field(default_factory=dict)  # node weight name -> model attribute path


@dataclass
class Alias:
    source: fx.Node


def _is_tensor_node(arg, values) -> bool:
    return isinstance(arg, fx.Node) and isinstance(values.get(arg.name), torch.Tensor)


def _value(arg, values):
    """The concrete value of an argument: recorded for fx nodes, recursively in containers."""
    if isinstance(arg, fx.Node):
        return values.get(arg.name)
    if isinstance(arg, (list, tuple)):
        return type(arg)(_value(a, values) for a in arg)
    return arg


def _args(node: fx.Node, names: tuple, defaults: dict):
    """Positional and keyword arguments by name (the first is the tensor)."""
    out = dict(defaults)
    for name, arg in zip(names, node.args):
        out[name] = arg
    out.update(node.kwargs)
    return out


_ADD = {operator.add, operator.iadd, torch.add, "add", "add_", "__add__", "__iadd__"}
_MUL = {operator.mul, operator.imul, torch.mul, "mul", "mul_", "__mul__"}
_ALIASES = {"contiguous", "clone", "detach", torch.clone}
# one-tensor element-wise functions: target -> (type, params from the arguments)
_UNARY = {
    F.relu: "activation.ReLU", torch.relu: "activation.ReLU", "relu": "activation.ReLU",
    "relu_": "activation.ReLU", torch.relu_: "activation.ReLU",
    torch.sigmoid: "activation.Sigmoid", "sigmoid": "activation.Sigmoid",
    F.sigmoid: "activation.Sigmoid", torch.tanh: "activation.Tanh", "tanh": "activation.Tanh",
    F.tanh: "activation.Tanh", F.relu6: "activation.ReLU6", F.silu: "activation.SiLU",
    F.hardswish: "activation.Hardswish", F.hardsigmoid: "activation.Hardsigmoid",
    F.mish: "activation.Mish",
}


def _dim_of(dim, rank):
    return dim % rank if isinstance(dim, int) and -rank <= dim < rank else None


def _binary(node, values, type_id):
    tensors = [a for a in node.args if _is_tensor_node(a, values)]
    if len(node.args) != 2 or len(tensors) != 2 or node.kwargs:
        return None  # a scalar operand or alpha=: no catalogue node computes that
    return Mapped(type_id, {}, list(node.args))


def _cat(node, values):
    a = _args(node, ("tensors", "dim"), {"dim": 0})
    tensors = a["tensors"]
    if not isinstance(tensors, (list, tuple)) or not all(_is_tensor_node(t, values)
                                                         for t in tensors):
        return None
    if len(tensors) == 1:  # DenseNet's first layer concatenates a list of one
        return Alias(tensors[0])
    rank = values[tensors[0].name].dim()
    dim = _dim_of(a["dim"], rank)
    if not dim:  # None or the batch dimension
        return None
    return Mapped("merge.Concat", {"dim": a["dim"]}, list(tensors))


def _flatten(node, values):
    a = _args(node, ("x", "start_dim", "end_dim"), {"start_dim": 0, "end_dim": -1})
    rank = values[a["x"].name].dim()
    start = _dim_of(a["start_dim"], rank)
    if not start:
        return None
    return Mapped("reshape.Flatten", {"start_dim": start, "end_dim": a["end_dim"]}, [a["x"]])


def _reshape(node, values):
    x = node.args[0]
    before, after = values[x.name], values[node.name]
    if not isinstance(after, torch.Tensor) or after.dim() < 1 or after.shape[0] != before.shape[0]:
        return None  # the batch moved: no per-sample reshape says that
    return Mapped("reshape.Reshape", {"shape": list(after.shape[1:])}, [x])


def _permute(node, values):
    x = node.args[0]
    rank = values[x.name].dim()
    if node.target in ("transpose", torch.transpose):
        a = _args(node, ("x", "dim0", "dim1"), {})
        d0, d1 = _dim_of(a["dim0"], rank), _dim_of(a["dim1"], rank)
        if d0 is None or d1 is None:
            return None
        order = list(range(rank))
        order[d0], order[d1] = d1, d0
    else:
        dims = node.args[1:] if node.target == "permute" else node.args[1:2]
        if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
            dims = dims[0]
        dims = node.kwargs.get("dims", dims)
        order = [_dim_of(d, rank) for d in dims]
    if None in order or sorted(order) != list(range(rank)) or order[0] != 0:
        return None
    if order == list(range(rank)):
        return Alias(x)
    return Mapped("reshape.Permute", {"dims": order[1:]}, [x])


def _mean(node, values):
    a = _args(node, ("x", "dim", "keepdim"), {"dim": None, "keepdim": False})
    if a.get("dtype") is not None:
        return None
    rank = values[a["x"].name].dim()
    dims = a["dim"] if isinstance(a["dim"], (list, tuple)) else [a["dim"]]
    if rank < 3 or sorted(_dim_of(d, rank) for d in dims if d is not None) != \
            list(range(2, rank)):
        return None
    if not a["keepdim"]:
        return Mapped("pooling.GlobalAvgPool", {}, [a["x"]])
    if rank == 4:
        return Mapped("pooling.AdaptiveAvgPool2d", {"output_size": 1}, [a["x"]])
    if rank == 3:
        return Mapped("pooling.AdaptiveAvgPool1d", {"output_size": 1}, [a["x"]])
    return None


def _split(node, values):
    if node.target in ("chunk", torch.chunk):
        a = _args(node, ("x", "chunks", "dim"), {"dim": 0})
        parts = a["chunks"]
    else:
        a = _args(node, ("x", "split_size_or_sections", "dim"), {"dim": 0})
        a.setdefault("split_size_or_sections", a.get("split_size"))
        parts = None
    out = values[node.name]
    rank = values[a["x"].name].dim()
    dim = _dim_of(a["dim"], rank)
    if not dim or len(out) != 2 or (parts is not None and parts != 2):
        return None
    return Mapped("merge.Split", {"dim": a["dim"], "first_size": int(out[0].shape[dim])},
                  [a["x"]])


def _softmax(node, values, type_id):
    a = _args(node, ("x", "dim"), {"dim": None})
    if a["dim"] is None or a.get("dtype") is not None:
        return None
    return Mapped(type_id, {"dim": a["dim"]}, [a["x"]])


def _unary(node, values, type_id):
    extra = {k: v for k, v in node.kwargs.items() if k != "inplace"}
    if extra or len([a for a in node.args[1:] if not isinstance(a, bool)]):
        return None
    return Mapped(type_id, {}, [node.args[0]])


def _with_params(node, values, type_id, names, defaults, convert):
    a = _args(node, ("x", *names), defaults)
    params = convert(a)
    return None if params is None else Mapped(type_id, params, [a["x"]])


def _pool_params(max_pool):
    def convert(a):
        if a.get("return_indices") or a.get("divisor_override") is not None:
            return None
        params = {"kernel_size": ints(a["kernel_size"]),
                  "stride": ints(a["stride"] if a["stride"] not in (None, [], ()) else
                                 a["kernel_size"]),
                  "padding": ints(a["padding"]), "ceil_mode": bool(a["ceil_mode"])}
        if max_pool:
            params["dilation"] = ints(a["dilation"])
        else:
            params["count_include_pad"] = bool(a["count_include_pad"])
        return params
    return convert


def _interpolate(a):
    if a["size"] is not None or a["mode"] not in ("nearest", "bilinear") or \
            a.get("recompute_scale_factor") or a.get("antialias"):
        return None
    scale = a["scale_factor"]
    if isinstance(scale, (list, tuple)):
        if len(set(scale)) != 1:
            return None
        scale = scale[0]
    return {"scale_factor": float(scale), "mode": a["mode"],
            "align_corners": bool(a["align_corners"])}


def map_call(node: fx.Node, values: dict):
    """The catalogue node for one call, an Alias, or None (no equivalent)."""
    t = node.target
    if t in _ALIASES and len(node.args) == 1 and not node.kwargs:
        return Alias(node.args[0])
    if t in _ADD:
        return _binary(node, values, "merge.Add")
    if t in _MUL:
        return _binary(node, values, "merge.Multiply")
    if t in (torch.cat, torch.concat, torch.concatenate):
        return _cat(node, values)
    if t in (torch.flatten, "flatten"):
        return _flatten(node, values)
    if t in ("view", "reshape", torch.reshape):
        return _reshape(node, values)
    if t in ("permute", torch.permute, "transpose", torch.transpose):
        return _permute(node, values)
    if t in ("mean", torch.mean):
        return _mean(node, values)
    if t in ("chunk", torch.chunk, "split", torch.split):
        return _split(node, values)
    if t in (F.softmax, torch.softmax, "softmax"):
        return _softmax(node, values, "activation.Softmax")
    if t in (F.log_softmax, torch.log_softmax, "log_softmax"):
        return _softmax(node, values, "activation.LogSoftmax")
    if t in _UNARY:
        return _unary(node, values, _UNARY[t])
    if t is F.gelu:
        return _with_params(node, values, "activation.GELU", (), {"approximate": "none"},
                            lambda a: {"approximate": a["approximate"]})
    if t is F.leaky_relu:
        return _with_params(node, values, "activation.LeakyReLU", ("negative_slope",),
                            {"negative_slope": 0.01},
                            lambda a: {"negative_slope": float(a["negative_slope"])})
    if t is F.hardtanh:
        return _with_params(node, values, "activation.ReLU6", ("min_val", "max_val"),
                            {"min_val": -1.0, "max_val": 1.0},
                            lambda a: {} if (a["min_val"], a["max_val"]) == (0.0, 6.0) else None)
    if t is F.dropout:
        return _with_params(node, values, "norm.Dropout", ("p", "training"),
                            {"p": 0.5, "training": True}, lambda a: {"p": float(a["p"])})
    if t in (F.adaptive_avg_pool2d, F.adaptive_avg_pool1d):
        type_id = "pooling.AdaptiveAvgPool2d" if t is F.adaptive_avg_pool2d else \
            "pooling.AdaptiveAvgPool1d"
        return _with_params(node, values, type_id, ("output_size",), {},
                            lambda a: None if a["output_size"] is None else
                            {"output_size": ints(a["output_size"])})
    if t is F.max_pool2d:
        return _with_params(node, values, "pooling.MaxPool2d",
                            ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                             "return_indices"),
                            {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False,
                             "return_indices": False}, _pool_params(True))
    if t is F.avg_pool2d:
        return _with_params(node, values, "pooling.AvgPool2d",
                            ("kernel_size", "stride", "padding", "ceil_mode",
                             "count_include_pad", "divisor_override"),
                            {"stride": None, "padding": 0, "ceil_mode": False,
                             "count_include_pad": True, "divisor_override": None},
                            _pool_params(False))
    if t is F.interpolate:
        return _with_params(node, values, "pooling.Upsample",
                            ("size", "scale_factor", "mode", "align_corners"),
                            {"size": None, "scale_factor": None, "mode": "nearest",
                             "align_corners": None}, _interpolate)
    return None

