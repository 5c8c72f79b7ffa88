"""ONNX pooling, reshaping and recurrent operators -> catalogue nodes.

Exporters write several PyTorch layers as patterns of ONNX nodes; these converters recognise
the patterns through :class:`Virtual` values (see ``onnx_graph``):

- ``Reshape(x, [-1, C, H·W])`` + ``ReduceMean(axes=[-1])``: GlobalAvgPool;
- ``Transpose`` + ``GatherND`` of constant windows + ``Transpose`` + ``ReduceMean``: the
  decomposition of AdaptiveAvgPool2d when the sizes do not divide;
- ``Transpose`` to time-major + ``LSTM``/``GRU``/``RNN`` (zero initial state) + ``Gather`` of the
  last hidden state or ``Squeeze`` + ``Transpose`` of the sequence: a batch-first recurrent node;
- ``Shape``/``Concat``/``Expand``/``Slice`` building those zero states: folded away.
"""
from __future__ import annotations

import numpy as np

from studio.importer.onnx_graph import Conversion, Unsupported, Virtual
from studio.importer.onnx_ops import CONVERTERS, _ints, _padding, _set, _single, converts

__all__ = ["CONVERTERS"]  # every converter, these ones included


def _axes(cv: Conversion, node, a: dict, rank: int | None):
    axes = a.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = cv.const(node.input[1])
        if axes is None:
            raise Unsupported("the axes are computed at run time")
    if axes is None:
        return None
    axes = [int(x) for x in np.asarray(axes).reshape(-1)]
    if any(x < 0 for x in axes) and rank is None:
        raise Unsupported("negative axes on an input of unknown rank")
    return sorted(x + rank if x < 0 else x for x in axes)


# ----- pooling ----------------------------------------------------------------------------------
@converts("MaxPool", "AveragePool")
def pool(cv: Conversion, node, a: dict):
    kernel = list(a.get("kernel_shape", []))
    dims = len(kernel)
    if dims not in (1, 2) or (len(node.output) > 1 and node.output[1]):
        raise Unsupported("only 1-D and 2-D pooling without indices")
    params = dict(kernel_size=_ints(kernel), stride=_ints(a.get("strides", [1] * dims)),
                  padding=_padding(a, dims), ceil_mode=bool(a.get("ceil_mode", 0)))
    if node.op_type == "MaxPool":
        params["dilation"] = _ints(a.get("dilations", [1] * dims))
        type_id = f"pooling.MaxPool{dims}d"
    else:
        if any(d != 1 for d in a.get("dilations", [1] * dims)):
            raise Unsupported("dilated average pooling")
        params["count_include_pad"] = bool(a.get("count_include_pad", 0))
        type_id = f"pooling.AvgPool{dims}d"
    _single(cv, node, type_id, **params)


@converts("GlobalAveragePool", "GlobalMaxPool")
def global_pool(cv, node, a):
    rank = cv.rank(node.input[0])
    kind = "Avg" if node.op_type == "GlobalAveragePool" else "Max"
    if rank == 4 or (rank == 3 and kind == "Avg"):
        _single(cv, node, f"pooling.Adaptive{kind}Pool{rank - 2}d", output_size=1)
    else:
        raise Unsupported(f"global {kind.lower()} pooling of a {rank}-D tensor")


@converts("ReduceMean")
def reduce_mean(cv: Conversion, node, a: dict):
    value = cv.values.get(node.input[0])
    keep = bool(a.get("keepdims", 1))
    rank = len(value.info["shape"]) if isinstance(value, Virtual) and "shape" in value.info \
        else cv.rank(node.input[0])
    axes = _axes(cv, node, a, rank)
    out = node.output[0]
    if isinstance(value, Virtual) and value.kind == "flat_spatial" and axes == [2] and not keep:
        nid = cv.add("pooling.GlobalAvgPool", [value.source], out)
    elif isinstance(value, Virtual) and value.kind == "windows" and not keep:
        sizes = [s for i, s in enumerate(value.info["shape"][2:], 2) if i not in axes]
        if len(sizes) != 2 or len(axes) != 2:
            raise Unsupported("a mean over gathered windows that is not adaptive pooling")
        nid = cv.add("pooling.AdaptiveAvgPool2d", [value.source], out, output_size=_ints(sizes))
    elif rank in (3, 4) and axes == list(range(2, rank)):
        if keep:
            nid = cv.add(f"pooling.AdaptiveAvgPool{rank - 2}d", [cv.ref(node.input[0])], out,
                         output_size=1)
        else:
            nid = cv.add("pooling.GlobalAvgPool", [cv.ref(node.input[0])], out)
    else:
        raise Unsupported(f"a mean over axes {axes} (keepdims={int(keep)})")
    _set(cv, node, (nid, "y"))


@converts("GatherND")
def gather_nd(cv: Conversion, node, a: dict):
    value, index = cv.values.get(node.input[0]), cv.const(node.input[1])
    if not (isinstance(value, Virtual) and value.kind == "spatial_first" and index is not None
            and index.ndim == 5 and index.shape[-1] == 2 and not a.get("batch_dims", 0)):
        raise Unsupported("GatherND other than the windows of adaptive pooling")
    _set(cv, node, Virtual("windows_raw", value.source, {"index": index.shape[:4]}))


# ----- reshaping ----------------------------------------------------------------------------------
@converts("Transpose")
def transpose(cv: Conversion, node, a: dict):
    perm, value = list(a.get("perm", [])), cv.values.get(node.input[0])
    if isinstance(value, Virtual) and value.kind == "windows_raw" and perm == [4, 5, 0, 1, 2, 3]:
        _set(cv, node, Virtual("windows", value.source,
                               {"shape": [None, None, *value.info["index"]]}))
    elif isinstance(value, Virtual) and value.kind == "sequence" and perm == [0, 2, 1, 3]:
        _set(cv, node, Virtual("sequence_tndh", value.source))  # then reshaped to (T, N, D·H)
    elif isinstance(value, Virtual) and value.kind == "sequence_tm" and perm == [1, 0, 2]:
        _set(cv, node, value.source)
    elif perm == [2, 3, 0, 1] and cv.rank(node.input[0]) == 4:
        _set(cv, node, Virtual("spatial_first", cv.ref(node.input[0])))
    elif perm == [1, 0, 2]:
        _set(cv, node, Virtual("time_major", cv.ref(node.input[0])))
    elif perm and perm[0] == 0:
        _single(cv, node, "reshape.Permute", dims=perm[1:])
    else:
        raise Unsupported(f"a transpose moving the batch dimension (perm {perm})")


@converts("Flatten")
def flatten(cv, node, a):
    if int(a.get("axis", 1)) != 1:
        raise Unsupported(f"flatten from axis {a.get('axis')} (only 1 keeps the batch)")
    _single(cv, node, "reshape.Flatten")


@converts("Reshape")
def reshape(cv: Conversion, node, a: dict):
    value = cv.values.get(node.input[0])
    if isinstance(value, Virtual) and value.kind == "sequence_tndh":
        _set(cv, node, Virtual("sequence_tm", value.source))  # directions side by side
        return
    target, shape = cv.const(node.input[1]), cv.shapes.get(node.input[0])
    if target is None:
        raise Unsupported("the target shape is computed at run time")
    target = [int(t) for t in target]
    if shape is None or len(target) < 2 or any(s is None for s in shape[1:]):
        raise Unsupported("reshaping a tensor whose size is not known")
    rest = [shape[i] if t == 0 else t for i, t in enumerate(target)][1:]
    features = int(np.prod(shape[1:]))
    if len(rest) == 1 and len(shape) > 2 and rest[0] in (-1, features):
        _single(cv, node, "reshape.Flatten")
    elif len(shape) == 4 and rest in ([shape[1], -1], [shape[1], shape[2] * shape[3]]):
        src = cv.ref(node.input[0])  # (N, C, H·W): before a mean, that is global pooling
        _set(cv, node, Virtual("flat_spatial", src, make=lambda c: (
            c.add("reshape.Flatten", [src], node.output[0], start_dim=2), "y")))
    else:
        _single(cv, node, "reshape.Reshape", shape=rest)


# ----- shape arithmetic for initial states --------------------------------------------------------
@converts("Shape")
def shape_of(cv, node, a):
    _set(cv, node, Virtual("shape", None))


@converts("Expand", "ConstantOfShape")
def expand(cv, node, a):
    fill = cv.const(node.input[0]) if node.op_type == "Expand" else a.get("value")
    if fill is not None and not isinstance(fill, np.ndarray):
        from onnx import numpy_helper
        fill = numpy_helper.to_array(fill)
    if fill is None or np.any(fill):
        raise Unsupported(f"{node.op_type} of a non-zero value")
    _set(cv, node, Virtual("zeros", None))


@converts("Slice", "Unsqueeze", "Cast")
def shaped_zeros(cv, node, a):
    value = cv.values.get(node.input[0])
    if isinstance(value, Virtual) and value.kind in ("zeros", "shape"):
        _set(cv, node, value)
    elif node.op_type == "Unsqueeze" and cv.is_const(node.input[0]):
        axes = _axes(cv, node, a, cv.const(node.input[0]).ndim + 1)
        cv.consts[node.output[0]] = np.expand_dims(cv.const(node.input[0]), axes)
    else:
        raise Unsupported(f"{node.op_type} of a tensor computed by the network")


# ----- recurrent layers ---------------------------------------------------------------------------
_GATES = {"LSTM": ([0, 2, 3, 1], 4), "GRU": ([1, 0, 2], 3), "RNN": ([0], 1)}  # ONNX -> torch


def _gates(array, order, count):
    blocks = np.split(array, count, axis=0)
    return np.concatenate([blocks[i] for i in order], axis=0)


@converts("LSTM", "GRU", "RNN")
def recurrent(cv: Conversion, node, a: dict):
    op = node.op_type
    value = cv.values.get(node.input[0])
    if not (isinstance(value, Virtual) and value.kind in ("time_major", "sequence_tm")):
        raise Unsupported(f"{op} whose input is not a batch-first sequence made time-major")
    extra = [cv.values.get(n) for n in node.input[4:] if n]
    if (len(node.input) > 4 and node.input[4]) or \
            any(not (isinstance(v, Virtual) and v.kind == "zeros") for v in extra[:]):
        raise Unsupported(f"{op} with sequence lengths or a non-zero initial state")
    if a.get("clip") or a.get("input_forget") or a.get("layout") or \
            (op == "GRU" and not a.get("linear_before_reset")):
        raise Unsupported(f"{op} options PyTorch does not have (clip, input_forget, layout, "
                          "linear_before_reset=0)")
    params = {"hidden_size": int(a["hidden_size"])}
    if op == "RNN":
        acts = [s.decode() if isinstance(s, bytes) else s for s in a.get("activations", [b"Tanh"])]
        if len(set(acts)) != 1 or acts[0] not in ("Tanh", "Relu"):
            raise Unsupported(f"RNN activations {acts}")
        params["nonlinearity"] = acts[0].lower()
    w, r = cv.const(node.input[1]), cv.const(node.input[2])
    b = cv.const(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    if w is None or r is None:
        raise Unsupported(f"{op} weights computed at run time")
    dirs = w.shape[0]
    params["bidirectional"] = dirs == 2
    order, count = _GATES[op]
    hidden = params["hidden_size"] * count
    weights = {}
    for d in range(dirs):
        tail = "_l0" + ("_reverse" if d else "")
        weights["rnn.weight_ih" + tail] = _gates(w[d], order, count)
        weights["rnn.weight_hh" + tail] = _gates(r[d], order, count)
        bias = b[d] if b is not None else np.zeros(2 * hidden, np.float32)
        weights["rnn.bias_ih" + tail] = _gates(bias[:hidden], order, count)
        weights["rnn.bias_hh" + tail] = _gates(bias[hidden:], order, count)
    source = value.source
    nid = cv.add(f"recurrent.{op}", [source], node.output[0], weights, **params)
    cv.values[node.output[0]] = Virtual("sequence", (nid, "sequence"), {"dirs": dirs})
    if len(node.output) > 1 and node.output[1]:
        cv.values[node.output[1]] = Virtual("last_hidden", (nid, "last"), {"dirs": dirs})


@converts("Squeeze")
def squeeze(cv: Conversion, node, a: dict):
    value = cv.values.get(node.input[0])
    if isinstance(value, Virtual) and value.kind == "sequence" and value.info["dirs"] == 1 \
            and _axes(cv, node, a, 4) == [1]:
        _set(cv, node, Virtual("sequence_tm", value.source))  # (T, N, H), batch-first later
        return
    raise Unsupported("a squeeze other than of a one-direction recurrent sequence")


@converts("Gather")
def gather(cv: Conversion, node, a: dict):
    value, index = cv.values.get(node.input[0]), cv.const(node.input[1])
    axis = int(a.get("axis", 0))
    if isinstance(value, Virtual) and value.kind == "last_hidden" and axis == 0 and \
            index is not None and index.ndim == 0 and value.info["dirs"] == 1 and int(index) == -1:
        _set(cv, node, value.source)
    elif cv.is_const(node.input[0]) and index is None and axis == 0 and \
            cv.const(node.input[0]).ndim == 2:  # a lookup table indexed by token ids
        table = cv.const(node.input[0])
        nid = cv.add("recurrent.Embedding", [cv.ref(node.input[1])], node.output[0],
                     {"weight": table}, num_embeddings=int(table.shape[0]),
                     embedding_dim=int(table.shape[1]))
        _set(cv, node, (nid, "y"))
    elif cv.is_const(node.input[0]) and index is not None:
        cv.consts[node.output[0]] = np.take(cv.const(node.input[0]), index, axis=axis)
    elif axis == 1 and index is not None and index.ndim == 0 and int(index) == -1:
        _single(cv, node, "recurrent.LastStep")
    else:
        raise Unsupported("a gather other than the last step or last hidden state")
