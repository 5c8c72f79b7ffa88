"""ONNX operators -> catalogue nodes, one converter per operator type.

A converter reads the node's attributes and constant inputs, adds catalogue node(s) through
the :class:`~studio.importer.onnx_graph.Conversion` and records what each output is. Anything it
cannot express exactly raises :class:`Unsupported`, and the node becomes a placeholder naming
the operator: the import never changes the computation silently (the numeric proof after the
import checks the rest). Weights are given module-local keys (``weight``, ``running_mean``...).
"""
from __future__ import annotations

import numpy as np

from studio.importer.onnx_graph import Conversion, Unsupported, Virtual

CONVERTERS: dict = {}


def converts(*op_types):
    def register(fn):
        for op in op_types:
            CONVERTERS[op] = fn
        return fn
    return register


def _ints(values):
    """A per-dimension attribute as the catalogue writes it: 3 for (3, 3), else a list."""
    values = [int(v) for v in values]
    return values[0] if len(set(values)) == 1 else values


def _padding(a: dict, dims: int):
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", b"VALID", "NOTSET", "VALID"):
        raise Unsupported(f"auto_pad={a['auto_pad']!r} (only explicit padding is supported)")
    pads = list(a.get("pads", [0] * 2 * dims))
    if pads[:dims] != pads[dims:]:
        raise Unsupported(f"asymmetric padding {pads}")
    return _ints(pads[:dims])


def _set(cv: Conversion, node, port_or_virtual):
    cv.values[node.output[0]] = port_or_virtual


def _single(cv, node, type_id, **params):
    nid = cv.add(type_id, [cv.ref(node.input[0])], node.output[0], **params)
    _set(cv, node, (nid, "y"))


# ----- layers with weights --------------------------------------------------------------------
@converts("Conv", "ConvTranspose")
def conv(cv: Conversion, node, a: dict):
    w = cv.const(node.input[1])
    if w is None or w.ndim not in (3, 4):
        raise Unsupported("the kernel is not a constant 1-D or 2-D convolution weight")
    dims, groups = w.ndim - 2, int(a.get("group", 1))
    bias = cv.const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    if len(node.input) > 2 and node.input[2] and bias is None:
        raise Unsupported("the bias is computed at run time")
    transposed = node.op_type == "ConvTranspose"
    params = dict(kernel_size=_ints(w.shape[2:]), stride=_ints(a.get("strides", [1] * dims)),
                  padding=_padding(a, dims), dilation=_ints(a.get("dilations", [1] * dims)),
                  groups=groups, bias=bias is not None,
                  out_channels=int(w.shape[1] * groups if transposed else w.shape[0]))
    if transposed:
        if a.get("output_shape"):
            raise Unsupported("output_shape is not supported; export with output_padding")
        params["output_padding"] = _ints(a.get("output_padding", [0] * dims))
    type_id = f"conv.{'ConvTranspose' if transposed else 'Conv'}{dims}d"
    weights = {"weight": w, **({"bias": bias} if bias is not None else {})}
    nid = cv.add(type_id, [cv.ref(node.input[0])], node.output[0], weights, **params)
    _set(cv, node, (nid, "y"))


def _linear(cv, x_name, out, weight, bias):
    weights = {"weight": weight, **({"bias": bias} if bias is not None else {})}
    nid = cv.add("linear.Linear", [cv.ref(x_name)], out, weights,
                 out_features=int(weight.shape[0]), bias=bias is not None)
    return (nid, "y")


@converts("Gemm")
def gemm(cv: Conversion, node, a: dict):
    w = cv.const(node.input[1])
    if w is None or w.ndim != 2 or a.get("transA", 0):
        raise Unsupported("only x @ W (+ b) with a constant W is a Linear layer")
    weight = (w if a.get("transB", 0) else w.T) * float(a.get("alpha", 1.0))
    bias = None
    if len(node.input) > 2 and node.input[2]:
        c = cv.const(node.input[2])
        if c is None:
            raise Unsupported("the bias is computed at run time")
        bias = np.broadcast_to(c * float(a.get("beta", 1.0)), (weight.shape[0],))
    _set(cv, node, _linear(cv, node.input[0], node.output[0], weight, bias))


@converts("MatMul")
def matmul(cv: Conversion, node, a: dict):
    w = cv.const(node.input[1])
    if w is None or w.ndim != 2:
        raise Unsupported("only x @ W with a constant 2-D W is a Linear layer")
    x, out = node.input[0], node.output[0]
    # kept virtual: an Add of a constant vector right after it is the Linear layer's bias
    _set(cv, node, Virtual("matmul", None, {"x": x, "w": w.T},
                           make=lambda c: _linear(c, x, out, w.T, None)))


@converts("BatchNormalization")
def batch_norm(cv: Conversion, node, a: dict):
    scale, b, mean, var = (cv.const(n) for n in node.input[1:5])
    if any(v is None for v in (scale, b, mean, var)):
        raise Unsupported("the statistics are computed at run time")
    rank = cv.rank(node.input[0])
    if rank not in (2, 3, 4) or a.get("training_mode", 0):
        raise Unsupported("only inference batch norm of 2-D, 3-D or 4-D tensors")
    type_id = "norm.BatchNorm2d" if rank == 4 else "norm.BatchNorm1d"
    weights = {"weight": scale, "bias": b, "running_mean": mean, "running_var": var}
    # ONNX keeps the share of the old statistics; PyTorch the share of the new batch
    nid = cv.add(type_id, [cv.ref(node.input[0])], node.output[0], weights,
                 eps=float(a.get("epsilon", 1e-5)), momentum=round(1 - a.get("momentum", 0.9), 7))
    _set(cv, node, (nid, "y"))


# ----- activations and element-wise -------------------------------------------------------------
_PLAIN = {"Relu": "activation.ReLU", "Sigmoid": "activation.Sigmoid", "Tanh": "activation.Tanh"}


@converts(*_PLAIN)
def plain(cv, node, a):
    _single(cv, node, _PLAIN[node.op_type])


@converts("LeakyRelu")
def leaky_relu(cv, node, a):
    _single(cv, node, "activation.LeakyReLU", negative_slope=float(a.get("alpha", 0.01)))


@converts("Elu")
def elu(cv, node, a):
    _single(cv, node, "activation.ELU", alpha=float(a.get("alpha", 1.0)))


@converts("Gelu")
def gelu(cv, node, a):
    if a.get("approximate", b"none") not in (b"none", "none"):
        raise Unsupported("the tanh approximation of GELU")
    _single(cv, node, "activation.GELU")


@converts("Softmax", "LogSoftmax")
def softmax(cv, node, a):
    opset = next((o.version for o in cv.model.opset_import if o.domain in ("", "ai.onnx")), 0)
    axis, rank = int(a.get("axis", -1 if opset >= 13 else 1)), cv.rank(node.input[0])
    if axis < 0:
        if rank is None:
            raise Unsupported("a negative axis on an input of unknown rank")
        axis += rank
    if axis == 0:
        raise Unsupported("softmax over the batch dimension")
    if opset < 13 and (rank is None or axis != rank - 1):  # before 13: every axis from `axis` on
        raise Unsupported(f"opset {opset} softmax over every axis from {axis} on, flattened")
    _single(cv, node, f"activation.{node.op_type}", dim=axis)


@converts("Identity", "Dropout")
def passthrough(cv, node, a):
    cv.values[node.output[0]] = cv.values.get(node.input[0])  # inference: the input itself


@converts("Add", "Mul")
def binary(cv, node, a):
    left, right = node.input[0], node.input[1]
    if cv.is_const(left) and not cv.is_const(right):
        left, right = right, left
    if cv.is_const(right):
        value = cv.values.get(left)
        c = cv.const(right)
        if node.op_type == "Add" and isinstance(value, Virtual) and value.kind == "matmul" \
                and c.size == value.info["w"].shape[0]:
            _set(cv, node, _linear(cv, value.info["x"], node.output[0], value.info["w"],
                                   c.reshape(-1)))
            return
        raise Unsupported(f"{node.op_type} of a constant (only the bias after a MatMul)")
    type_id = "merge.Add" if node.op_type == "Add" else "merge.Multiply"
    nid = cv.add(type_id, [cv.ref(left), cv.ref(right)], node.output[0])
    _set(cv, node, (nid, "y"))


@converts("Sum")
def sum_(cv, node, a):
    if not 2 <= len(node.input) <= 4:
        raise Unsupported(f"a sum of {len(node.input)} tensors (Add takes 2 to 4)")
    nid = cv.add("merge.Add", [cv.ref(n) for n in node.input], node.output[0])
    _set(cv, node, (nid, "y"))


@converts("Concat")
def concat(cv, node, a):
    if all(cv.is_const(n) for n in node.input):  # shape arithmetic: folded here
        cv.consts[node.output[0]] = np.concatenate([cv.const(n) for n in node.input],
                                                   axis=int(a["axis"]))
        return
    if any(isinstance(cv.values.get(n), Virtual) and cv.values[n].kind == "shape"
           for n in node.input):  # a shape being assembled (for an initial state)
        _set(cv, node, Virtual("shape", None))
        return
    axis, rank = int(a["axis"]), cv.rank(node.output[0])
    if axis < 0 and rank:
        axis += rank
    if not 2 <= len(node.input) <= 4 or axis <= 0:
        raise Unsupported(f"concatenating {len(node.input)} tensors along axis {a['axis']}")
    nid = cv.add("merge.Concat", [cv.ref(n) for n in node.input], node.output[0], dim=axis)
    _set(cv, node, (nid, "y"))
