"""Exporter patterns spelling one catalogue layer as several ONNX operators.

- the perceptron's Step with its straight-through trick, ``(x >= t).float() + (x - x)``:
  ``GreaterOrEqual(x, t)`` -> ``Cast(float)`` -> ``Add(·, Sub(x, x))`` is one Step node;
- RepeatSteps, ``x.unsqueeze(1).repeat_interleave(steps, 1)``: ``Unsqueeze(x, [1, 2])`` ->
  ``Expand(·, [1, 1, steps, 1])`` -> ``Reshape(·, [-1, steps, D])`` is one RepeatSteps node;
- a self-organizing map's distances, ``(x.unsqueeze(1) - W.unsqueeze(0)).pow(2).sum(-1)``
  floored and rooted: ``Unsqueeze`` -> ``Sub`` of the constant prototypes -> ``Pow 2`` ->
  ``ReduceSum(-1)`` -> ``Clip(min=tiny)`` -> ``Sqrt`` is one SelfOrganizingMap node (the file
  keeps no grid: rows × cols is the most square factorization of the unit count, which changes
  no output).

Each pattern converter runs before the operator's general converter and hands the node on to
it (see :func:`pattern`) when the node is not part of its pattern; the intermediate values are
:class:`Virtual`, so another consumer still gets ordinary nodes or a placeholder.
"""
from __future__ import annotations

import numpy as np

from studio.importer.onnx_graph import Conversion, Unsupported, Virtual
from studio.importer.onnx_ops import _set
from studio.importer.onnx_ops_shape import CONVERTERS, _axes

__all__ = ["CONVERTERS"]  # every converter, these patterns included

_FLOAT = 1  # onnx.TensorProto.FLOAT


def pattern(op_type: str):
    """Register ``fn(cv, node, a) -> bool`` in front of ``op_type``'s converter: False hands
    the node on to the converter registered before (or makes it a placeholder)."""
    def register(fn):
        general = CONVERTERS.get(op_type)

        def convert(cv, node, a):
            if fn(cv, node, a):
                return
            if general is None:
                raise Unsupported(f"no catalogue node computes ONNX {op_type}")
            general(cv, node, a)
        CONVERTERS[op_type] = convert
        return fn
    return register


def _virtual(cv: Conversion, name: str, kind: str):
    value = cv.values.get(name)
    return value if isinstance(value, Virtual) and value.kind == kind else None


# ----- Step -------------------------------------------------------------------------------------
@pattern("GreaterOrEqual")
def at_least(cv: Conversion, node, a: dict) -> bool:
    threshold = cv.const(node.input[1])
    if threshold is None or threshold.size != 1 or cv.is_const(node.input[0]):
        return False
    source = cv.ref(node.input[0])
    _set(cv, node, Virtual("at_least", source, {"x": node.input[0],
                                                "threshold": float(threshold.reshape(()))}))
    return True


@pattern("Cast")
def cast_step(cv: Conversion, node, a: dict) -> bool:
    value = _virtual(cv, node.input[0], "at_least")
    if value is None or int(a.get("to", 0)) != _FLOAT:
        return False
    out = node.output[0]

    def make(c, value=value):  # the Step alone, without the straight-through term
        return c.add("activation.Step", [value.source], out,
                     threshold=value.info["threshold"]), "y"
    _set(cv, node, Virtual("step", value.source, value.info, make=make))
    return True


@pattern("Sub")
def zero_like(cv: Conversion, node, a: dict) -> bool:
    if node.input[0] != node.input[1] or cv.is_const(node.input[0]):
        return False
    _set(cv, node, Virtual("zero_like", None, {"x": node.input[0]}))
    return True


@pattern("Add")
def straight_through(cv: Conversion, node, a: dict) -> bool:
    for step_name, zero_name in (node.input[:2], node.input[1::-1]):
        step, zero = _virtual(cv, step_name, "step"), _virtual(cv, zero_name, "zero_like")
        if step is not None and zero is not None and zero.info["x"] == step.info["x"]:
            nid = cv.add("activation.Step", [step.source], node.output[0],
                         threshold=step.info["threshold"])
            _set(cv, node, (nid, "y"))
            return True
    return False


# ----- RepeatSteps ------------------------------------------------------------------------------
@pattern("Unsqueeze")
def unsqueeze(cv: Conversion, node, a: dict) -> bool:
    shape = cv.shapes.get(node.input[0])
    if cv.is_const(node.input[0]) or isinstance(cv.values.get(node.input[0]), Virtual) \
            or shape is None or any(s is None for s in shape[1:]):
        return False
    given = a.get("axes", cv.const(node.input[1]) if len(node.input) > 1 else None)
    if given is None:
        return False
    axes = _axes(cv, node, a, len(shape) + np.asarray(given).size)  # of the result's rank
    if 0 in axes:
        raise Unsupported("an unsqueeze in front of the batch dimension")
    source = cv.ref(node.input[0])
    new = list(shape[1:])
    for x in axes:  # sorted: each position is in the result's numbering
        new.insert(x - 1, 1)

    def make(c):  # alone it is a reshape to the same sizes with ones inserted
        return c.add("reshape.Reshape", [source], node.output[0], shape=new), "y"
    _set(cv, node, Virtual("unsqueezed", source, {"axes": axes, "rank": len(shape)},
                           make=make))
    return True


@pattern("Expand")
def repeat_expand(cv: Conversion, node, a: dict) -> bool:
    value, target = _virtual(cv, node.input[0], "unsqueezed"), cv.const(node.input[1])
    if value is None or target is None or value.info != {"axes": [1, 2], "rank": 2}:
        return False
    target = [int(t) for t in np.asarray(target).reshape(-1)]
    if len(target) != 4 or target[:2] != [1, 1] or target[3] != 1 or target[2] < 1:
        return False
    _set(cv, node, Virtual("repeated", value.source, {"steps": target[2]}))
    return True


@pattern("Reshape")
def repeat_reshape(cv: Conversion, node, a: dict) -> bool:
    value, target = _virtual(cv, node.input[0], "repeated"), cv.const(node.input[1])
    if value is None or target is None:
        return False
    target = [int(t) for t in np.asarray(target).reshape(-1)]
    if len(target) != 3 or target[1] != value.info["steps"]:
        return False
    nid = cv.add("recurrent.RepeatSteps", [value.source], node.output[0],
                 steps=value.info["steps"])
    _set(cv, node, (nid, "y"))
    return True


# ----- SelfOrganizingMap distances ---------------------------------------------------------------
@pattern("Sub")
def som_difference(cv: Conversion, node, a: dict) -> bool:
    value, prototypes = _virtual(cv, node.input[0], "unsqueezed"), cv.const(node.input[1])
    if value is None or prototypes is None or value.info != {"axes": [1], "rank": 2} or \
            prototypes.ndim != 3 or prototypes.shape[0] != 1:
        return False
    _set(cv, node, Virtual("som_difference", value.source, {"weight": prototypes[0]}))
    return True


@pattern("Pow")
def som_square(cv: Conversion, node, a: dict) -> bool:
    value, exponent = _virtual(cv, node.input[0], "som_difference"), cv.const(node.input[1])
    if value is None or exponent is None or exponent.size != 1 or float(exponent) != 2.0:
        return False
    _set(cv, node, Virtual("som_square", value.source, value.info))
    return True


@pattern("ReduceSum")
def som_sum(cv: Conversion, node, a: dict) -> bool:
    value = _virtual(cv, node.input[0], "som_square")
    if value is None or a.get("keepdims", 1) or _axes(cv, node, a, 3) != [2]:
        return False
    _set(cv, node, Virtual("som_sum", value.source, value.info))
    return True


@pattern("Clip")
def som_floor(cv: Conversion, node, a: dict) -> bool:
    """The map clamps the squared distances at float32's smallest normal number (sqrt's
    gradient at 0 is infinite) before the root: the node does the same."""
    value = _virtual(cv, node.input[0], "som_sum")
    low = cv.const(node.input[1]) if len(node.input) > 1 and node.input[1] else None
    if value is None or low is None or low.size != 1 or (len(node.input) > 2 and node.input[2]) \
            or not 0 <= float(low) <= float(np.finfo(np.float32).tiny):
        return False
    _set(cv, node, value)
    return True


@pattern("Sqrt")
def som_distances(cv: Conversion, node, a: dict) -> bool:
    value = _virtual(cv, node.input[0], "som_sum")
    if value is None:
        return False
    weight = value.info["weight"]
    units = int(weight.shape[0])
    rows = max(r for r in range(1, int(units ** 0.5) + 1) if units % r == 0)
    nid = cv.add("som.SelfOrganizingMap", [value.source], node.output[0], {"weight": weight},
                 rows=rows, cols=units // rows, output="distances")
    _set(cv, node, (nid, "y"))
    return True
