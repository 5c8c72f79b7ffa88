"""An ``nn.RNN`` the exporter unrolled into one chain of operators per time step.

For a one-layer, one-direction RNN the dynamo exporter writes, on the time-major input::

    xw = MatMul(x_tm, W_ih^T) + b_ih                      (all steps at once)
    h  = zeros;  for t: h = act(MatMul(h, W_hh^T) + b_hh + Squeeze(Slice(xw, t)))
    Gather(Unsqueeze(Squeeze(h)), -1)                      (h_n[-1], the last hidden state)

Each partial value is a :class:`Virtual` carrying what the RNN node needs (weights, the step
reached); the final gather of the last step's state becomes one ``recurrent.RNN`` node (its
``last`` port). A chain that breaks the pattern anywhere (other weights at some step, a step
skipped, the sequence of states used) leaves virtual values no node can stand for, so the
consumer becomes a placeholder: the import never guesses.
"""
from __future__ import annotations

import numpy as np

from studio.importer.onnx_graph import Conversion, Virtual
from studio.importer.onnx_ops import _set
from studio.importer.onnx_ops_patterns import CONVERTERS, _virtual, pattern

__all__ = ["CONVERTERS"]  # every converter, these patterns included

_ACTIVATIONS = {"Tanh": "tanh", "Relu": "relu"}


def _ints(cv: Conversion, name: str):
    value = cv.const(name) if name else None
    return None if value is None else [int(v) for v in np.asarray(value).reshape(-1)]


@pattern("MatMul")
def projection(cv: Conversion, node, a: dict) -> bool:
    w = cv.const(node.input[1])
    if w is None or w.ndim != 2:
        return False
    sequence = _virtual(cv, node.input[0], "time_major")
    if sequence is not None:  # the input projection of every step at once
        steps = (cv.shapes.get(node.input[0]) or [None])[0]
        if not isinstance(steps, int):
            return False
        _set(cv, node, Virtual("rnn_inputs", sequence.source, {"w_ih": w.T, "steps": steps}))
        return True
    state = _virtual(cv, node.input[0], "zeros") or _virtual(cv, node.input[0], "rnn_state")
    h0 = cv.const(node.input[0])
    if state is None and h0 is not None and h0.ndim == 3 and h0.shape[:2] == (1, 1) \
            and not np.any(h0):  # a zero initial state written as a constant
        state = Virtual("zeros", None)
    if state is None:
        return False
    info = dict(state.info) if state.kind == "rnn_state" else {"t": -1}
    if "w_hh" in info and not np.array_equal(info["w_hh"], w.T):
        return False  # another weight at this step: not one recurrent layer
    info["b_hh_before"] = info.pop("b_hh", None)  # this step's bias must be the same
    _set(cv, node, Virtual("rnn_hidden", state.source, {**info, "w_hh": w.T}))
    return True


@pattern("Add")
def add_bias_or_input(cv: Conversion, node, a: dict) -> bool:
    for mine, other in (node.input[:2], node.input[1::-1]):
        value = cv.values.get(mine)
        if not isinstance(value, Virtual) or value.kind not in ("rnn_inputs", "rnn_hidden"):
            continue
        bias = cv.const(other)
        key = "b_ih" if value.kind == "rnn_inputs" else "b_hh"
        before = value.info.get("b_hh_before") if key == "b_hh" else None
        if bias is not None and key not in value.info and bias.size == value.info[
                "w_ih" if key == "b_ih" else "w_hh"].shape[0] and \
                (before is None or np.array_equal(before, bias.reshape(-1))):
            _set(cv, node, Virtual(value.kind, value.source,
                                   {**value.info, key: bias.reshape(-1)}))
            return True
        step = _virtual(cv, other, "rnn_step")
        if value.kind == "rnn_hidden" and step is not None and "b_hh" in value.info and \
                step.info["t"] == value.info["t"] + 1 and _same_inputs(value.info, step.info):
            _set(cv, node, Virtual("rnn_sum", step.source, {**value.info, **step.info}))
            return True
    return False


def _same_inputs(state: dict, step: dict) -> bool:
    return "w_ih" not in state or (state["w_ih"] is step["w_ih"] and state["b_ih"] is step["b_ih"])


@pattern("Slice")
def step_slice(cv: Conversion, node, a: dict) -> bool:
    value = _virtual(cv, node.input[0], "rnn_inputs")
    if value is None or "b_ih" not in value.info or len(node.input) < 4:
        return False
    starts, ends, axes = (_ints(cv, n) for n in node.input[1:4])
    steps = node.input[4] if len(node.input) > 4 else ""
    if axes != [0] or starts is None or ends != [starts[0] + 1] or (steps and
                                                                    _ints(cv, steps) != [1]):
        return False
    _set(cv, node, Virtual("rnn_step_slice", value.source, {**value.info, "t": starts[0]}))
    return True


@pattern("Squeeze")
def squeeze(cv: Conversion, node, a: dict) -> bool:
    axes = a.get("axes") or _ints(cv, node.input[1] if len(node.input) > 1 else "")
    value = cv.values.get(node.input[0])
    if not isinstance(value, Virtual) or list(axes or []) != [0]:
        return False
    kind = {"zeros": "zeros", "rnn_step_slice": "rnn_step", "rnn_state": "rnn_last"}.get(
        value.kind)
    if kind is None:
        return False
    _set(cv, node, Virtual(kind, value.source, value.info))
    return True


@pattern("Unsqueeze")
def unsqueeze(cv: Conversion, node, a: dict) -> bool:
    value = _virtual(cv, node.input[0], "rnn_last")
    axes = a.get("axes") or _ints(cv, node.input[1] if len(node.input) > 1 else "")
    if value is None or list(axes or []) != [0]:
        return False
    _set(cv, node, Virtual("rnn_layers", value.source, value.info))  # h_n: (layers, N, H)
    return True


@pattern("Tanh")
@pattern("Relu")
def activation(cv: Conversion, node, a: dict) -> bool:
    value = _virtual(cv, node.input[0], "rnn_sum")
    if value is None or value.info.setdefault("act", node.op_type) != node.op_type:
        return False
    _set(cv, node, Virtual("rnn_state", value.source, dict(value.info)))
    return True


@pattern("Gather")
def last_state(cv: Conversion, node, a: dict) -> bool:
    value, index = _virtual(cv, node.input[0], "rnn_layers"), _ints(cv, node.input[1])
    if value is None or index != [-1] or int(a.get("axis", 0)) != 0:
        return False
    info = value.info
    if info["t"] != info["steps"] - 1:
        return False  # a state before the last step: not what nn.RNN returns
    w_ih, w_hh = info["w_ih"], info["w_hh"]
    weights = {"rnn.weight_ih_l0": w_ih, "rnn.weight_hh_l0": w_hh, "rnn.bias_ih_l0": info["b_ih"],
               "rnn.bias_hh_l0": info["b_hh"]}
    nid = cv.add("recurrent.RNN", [value.source], node.output[0], weights,
                 hidden_size=int(w_hh.shape[0]), nonlinearity=_ACTIVATIONS[info["act"]])
    _set(cv, node, (nid, "last"))
    return True
