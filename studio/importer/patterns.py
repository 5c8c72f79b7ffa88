"""Calls that use a model's own parameters in code (``self.layer_scale * x``,
``x + self.pos_embedding``, ``F.layer_norm(x, ..., self.weight, self.bias)``,
``torch.cat([self.class_token.expand(n, -1, -1), x], 1)``) -> catalogue nodes that own
those parameters, so the layer around them need not become a Module node.

``map_parameter_call`` gives a :class:`~studio.importer.calls_map.Mapped` whose ``attrs`` say
which model attribute becomes which weight of the node (``{"weight": "features.1.layer_scale"}``).
"""
from __future__ import annotations

import operator

import torch
import torch.nn.functional as F
from torch import fx

from studio.importer.calls_map import Mapped, _args
from studio.importer.modules_map import uniform_value

_MUL = {operator.mul, operator.imul, torch.mul, "mul", "mul_"}
_ADD = {operator.add, operator.iadd, torch.add, "add", "add_"}


def is_attr(arg) -> bool:
    return isinstance(arg, fx.Node) and arg.op == "get_attr"


def is_token_expand(node: fx.Node) -> bool:
    """``self.class_token.expand(n, -1, -1)``: kept for the ``cat`` that uses it."""
    return node.op == "call_method" and node.target == "expand" and is_attr(node.args[0])


def _split(node, values):
    """(parameter node, tensor node) of a binary call with exactly one parameter operand."""
    if len(node.args) != 2 or node.kwargs:
        return None
    a, b = node.args
    if is_attr(a) and isinstance(b, fx.Node) and not is_attr(b):
        return a, b
    if is_attr(b) and isinstance(a, fx.Node) and not is_attr(a):
        return b, a
    return None


def _layer_scale(node, values):
    pair = _split(node, values)
    if pair is None:
        return None
    p, x = pair
    weight, value = values[p.name], values[x.name]
    if not isinstance(value, torch.Tensor) or value.dim() < 2:
        return None
    channels_first = (value.shape[1], *([1] * (value.dim() - 2)))
    if tuple(weight.shape) == channels_first:
        axis = "channels"
    elif tuple(weight.shape) == (value.shape[-1],):
        axis = "last"
    else:
        return None
    return Mapped("transformer.LayerScale", {"init": uniform_value(weight), "axis": axis}, [x],
                  attrs={"weight": p.target})


def _positional(node, values):
    pair = _split(node, values)
    if pair is None:
        return None
    p, x = pair
    if node.args[0] is not x:  # the node computes x + weight; keep operands in that order
        return None
    weight, value = values[p.name], values[x.name]
    if tuple(weight.shape) != (1, *value.shape[1:]):
        return None
    return Mapped("transformer.PositionalEmbedding", {}, [x], attrs={"weight": p.target})


def _class_token(node, values):
    a = _args(node, ("tensors", "dim"), {"dim": 0})
    tensors = a["tensors"]
    if not isinstance(tensors, (list, tuple)) or len(tensors) != 2 or a["dim"] != 1:
        return None
    first, x = tensors
    if not (isinstance(first, fx.Node) and is_token_expand(first)):
        return None
    token = values[first.args[0].name]
    if token.dim() != 3 or token.shape[:2] != (1, 1):
        return None
    return Mapped("transformer.ClassToken", {}, [x], attrs={"token": first.args[0].target})


def _layer_norm(node, values):
    a = _args(node, ("x", "normalized_shape", "weight", "bias", "eps"),
              {"weight": None, "bias": None, "eps": 1e-5})
    weight, bias = a["weight"], a["bias"]
    if not (is_attr(weight) and is_attr(bias)):
        return None
    dims = len(a["normalized_shape"]) if isinstance(a["normalized_shape"], (list, tuple)) else 1
    return Mapped("norm.LayerNorm", {"dims": dims, "eps": float(a["eps"]),
                                     "elementwise_affine": True}, [a["x"]],
                  attrs={"weight": weight.target, "bias": bias.target})


def _select(node, values):
    index = node.args[1]
    if not isinstance(index, tuple) or not index or not isinstance(index[-1], int) or \
            isinstance(index[-1], bool):
        return None
    if any(i != slice(None) for i in index[:-1]) or len(index) < 2:
        return None
    return Mapped("transformer.Select", {"dim": len(index) - 1, "index": index[-1]},
                  [node.args[0]])


def map_parameter_call(node: fx.Node, values: dict):
    t = node.target
    if t in _MUL:
        return _layer_scale(node, values)
    if t in _ADD:
        return _positional(node, values)
    if t in (torch.cat, torch.concat):
        return _class_token(node, values)
    if t is F.layer_norm:
        return _layer_norm(node, values)
    if t is operator.getitem and isinstance(node.args[0], fx.Node) and \
            isinstance(values.get(node.args[0].name), torch.Tensor):
        return _select(node, values)
    return None
