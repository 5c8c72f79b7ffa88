"""Max pooling with indices and max unpooling as the dynamo exporter spells them.

ONNX ``MaxPool`` indices count over the whole tensor (batch and channels included); PyTorch's
count within each channel's plane. The exporter converts with a second, 1×1 ``MaxPool`` whose
indices give each plane's first position (``Slice``), subtracted (``Sub``). ``MaxUnpool2d``
becomes a scatter into a flat zero tensor: the indices plus each plane's offset (run-time shape
arithmetic, ``Add``), both flattened (``Reshape [-1]``, ``Unsqueeze``), ``ScatterND``, and a
``Reshape`` to (N, C, H, W). These converters turn the first group into one
``MaxPool2dWithIndices`` node and the second into one ``MaxUnpool2d`` node fed by its indices;
every intermediate value is a :class:`Virtual`, so a file that strays from the pattern ends in
a placeholder, never in a guess.
"""
from __future__ import annotations

import numpy as np

from studio.importer.onnx_graph import Conversion, Unsupported, Virtual
from studio.importer.onnx_ops import _ints, _padding, _set
from studio.importer.onnx_ops_unrolled import CONVERTERS, _virtual, pattern

__all__ = ["CONVERTERS"]  # every converter, these patterns included


def _consts(cv: Conversion, names) -> list | None:
    values = [cv.const(n) for n in names]
    return None if any(v is None for v in values) else \
        [[int(x) for x in np.asarray(v).reshape(-1)] for v in values]


@pattern("MaxPool")
def pool_with_indices(cv: Conversion, node, a: dict) -> bool:
    kernel = [int(k) for k in a.get("kernel_shape", [])]
    if len(kernel) != 2 or len(node.output) < 2 or not node.output[1] or \
            a.get("storage_order", 0):
        return False
    strides = [int(s) for s in a.get("strides", [1, 1])]
    if kernel == [1, 1] and strides == [1, 1] and not any(a.get("pads", [])):
        # the positions of every element: only read for each plane's first one
        cv.values[node.output[0]] = Virtual("plane_positions_copy", None)
        cv.values[node.output[1]] = Virtual("plane_positions", None)
        return True
    window = {"kernel_size": _ints(kernel), "stride": _ints(strides),
              "padding": _padding(a, 2)}
    nid = cv.add("pooling.MaxPool2dWithIndices", [cv.ref(node.input[0])], node.output[0],
                 **window, dilation=_ints(a.get("dilations", [1, 1])),
                 ceil_mode=bool(a.get("ceil_mode", 0)))
    cv.values[node.output[0]] = (nid, "y")
    cv.values[node.output[1]] = Virtual("onnx_indices", (nid, "indices"), window)
    return True


@pattern("Slice")
def plane_starts(cv: Conversion, node, a: dict) -> bool:
    if _virtual(cv, node.input[0], "plane_positions") is None or len(node.input) < 4:
        return False
    if _consts(cv, node.input[1:4]) != [[0, 0], [1, 1], [2, 3]]:
        return False
    _set(cv, node, Virtual("plane_starts", None))
    return True


@pattern("Sub")
def torch_indices(cv: Conversion, node, a: dict) -> bool:
    value = _virtual(cv, node.input[0], "onnx_indices")
    if value is None or _virtual(cv, node.input[1], "plane_starts") is None:
        return False
    port = value.source  # what MaxPool2dWithIndices' indices port computes
    _set(cv, node, Virtual("torch_indices", port, value.info, make=lambda c: port))
    return True


@pattern("Add")
def flat_indices(cv: Conversion, node, a: dict) -> bool:
    value = _virtual(cv, node.input[0], "torch_indices")
    if value is None or _virtual(cv, node.input[1], "shape") is None:
        return False  # (the plane offsets come from the run-time batch size)
    _set(cv, node, Virtual("unpool_indices", value.source, value.info))
    return True


@pattern("Unsqueeze")
def index_column(cv: Conversion, node, a: dict) -> bool:
    value = _virtual(cv, node.input[0], "unpool_indices")
    if value is None:
        return False
    _set(cv, node, value)  # (N·C·H·W, 1): one index per scattered value
    return True


@pattern("ScatterND")
def scatter(cv: Conversion, node, a: dict) -> bool:
    data = cv.values.get(node.input[0])
    index = _virtual(cv, node.input[1], "unpool_indices")
    values = _virtual(cv, node.input[2], "flat_values")
    if index is None or values is None or a.get("reduction", b"none") not in (b"none", "none") \
            or not (isinstance(data, Virtual) and data.kind in ("shape", "zeros")):
        return False
    _set(cv, node, Virtual("unpooled", values.source, {**values.info, **index.info,
                                                        "indices": index.source}))
    return True


@pattern("Reshape")
def unpool_reshape(cv: Conversion, node, a: dict) -> bool:
    value, target = cv.values.get(node.input[0]), cv.const(node.input[1])
    if target is None:
        return False
    target = [int(t) for t in np.asarray(target).reshape(-1)]
    kind = value.kind if isinstance(value, Virtual) else None
    if kind == "unpool_indices" and target == [-1]:
        _set(cv, node, value)
    elif kind is None and value is not None and target == [-1] and \
            cv.rank(node.input[0]) == 4:  # the values to scatter
        _set(cv, node, Virtual("flat_values", value, {"shape": cv.shapes[node.input[0]]}))
    elif kind == "unpooled" and len(target) == 4:
        info = value.info
        sizes = [(h - 1) * s - 2 * p + k for h, s, p, k in zip(
            info["shape"][2:], *(np.broadcast_to(info[n], 2) for n in
                                 ("stride", "padding", "kernel_size")))]
        if target[1:] != [info["shape"][1], *sizes]:
            raise Unsupported(f"unpooling to {target[1:]}, not the pooling formula's size")
        nid = cv.add("pooling.MaxUnpool2d", [value.source, info["indices"]], node.output[0],
                     kernel_size=info["kernel_size"], stride=info["stride"],
                     padding=info["padding"])
        _set(cv, node, (nid, "y"))
    else:
        return False
    return True
