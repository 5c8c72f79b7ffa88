"""Fit a network to its data: the Input shapes and the number of classes as ordinary ops.

``fit_ops(doc, network, input_shapes, num_classes)`` returns the edits (``SetVariable`` where
the document says ``"$input_size"`` or ``"$num_classes"``, ``SetParams`` where it holds a
literal) that make each Input node expect the per-sample shape its data field has and the
classifier emit one score per class. The CLI's ``--fit-data`` applies them; the studio can wrap
them in one ``Batch`` so the fit is a single undoable edit. Writing the change into a variable
keeps everything else that reads it (a dataset's ``size="$input_size"``, a preset) consistent.
"""
from __future__ import annotations

from dataclasses import dataclass

from studio.core.document import Document
from studio.core.ops import Batch, SetParams, SetVariable

CLASS_LOSSES = ("loss.CrossEntropy", "loss.NLL")
# the param of the layer that decides how many scores a classifier emits
WIDTH_PARAMS = ("out_features", "out_channels")


@dataclass
class Fit:
    ops: list  # the edits, in order
    changes: list  # one human line per edit: "input_size: 32 -> 28"

    def batch(self, scope: str = "model") -> Batch:
        return Batch(scope, list(self.ops), "Fit network to data")


def variables_of(doc: Document) -> dict:
    """The variables in force, expressions evaluated (the raw values when they do not
    resolve: the fit then compares what is written)."""
    from studio.core.params import ParamError
    from studio.core.variables import scope_for
    try:
        return scope_for(doc)
    except ParamError:
        return dict(doc.variables)


def _reference(value) -> str | None:
    """``"$name"`` -> ``name``; anything else (a literal, an expression) -> None."""
    if isinstance(value, str) and value.startswith("$") and value[1:].isidentifier():
        return value[1:]
    return None


def _shape_ops(doc: Document, network: str, node_id: str, want: list) -> Fit:
    """Edits that make the Input ``node_id``'s shape param equal ``want`` once resolved."""
    from studio.core.params import resolve
    node = doc.graph(network).nodes[node_id]
    raw = node.params.get("shape")
    raw = list(raw) if isinstance(raw, list) else []
    scope = variables_of(doc)
    if len(want) == len(raw) - 1 and resolve(raw[0], scope) == 1:
        want = [1, *want]  # (H, W) images feed a one-channel (1, H, W) Input as they are
    if len(raw) == len(want):
        assign: dict[str, int] = {}
        literal = list(raw)
        for i, (r, w) in enumerate(zip(raw, want)):
            name = _reference(r)
            if name is not None and assign.setdefault(name, w) != w:
                break  # one variable for two different sizes (a non-square image)
            if name is None and resolve(r, scope) != w:
                literal[i] = w
        else:
            fit = Fit([], [])
            for name, value in assign.items():
                if scope.get(name) != value:
                    fit.ops.append(SetVariable(network, name, value))
                    fit.changes.append(f"variable {name}: {scope.get(name)} -> {value}")
            if literal != raw:
                fit.ops.append(SetParams(network, node_id, {"shape": literal}))
                fit.changes.append(f"node {node_id!r} shape: {raw} -> {literal}")
            return fit
    return Fit([SetParams(network, node_id, {"shape": list(want)})],
               [f"node {node_id!r} shape: {raw} -> {list(want)}"])


def classifier_layer(doc: Document, network: str) -> tuple[str, str] | None:
    """(node id, param) of the layer whose width is the number of classes: the nearest layer
    with ``out_features``/``out_channels`` upstream of a classification loss's scores."""
    graph = doc.graph(network)
    for nid, node in graph.nodes.items():
        if node.type not in CLASS_LOSSES:
            continue
        edges = [e for e in graph.incoming(nid) if e.dst[1] != "target"]
        seen = set()
        while edges:
            src = graph.nodes.get(edges[0].src[0])
            if src is None or src.id in seen:
                break
            seen.add(src.id)
            param = next((p for p in WIDTH_PARAMS if p in src.params), None)
            if param:
                return src.id, param
            edges = graph.incoming(src.id)
    return None


def _class_ops(doc: Document, network: str, num_classes: int) -> Fit:
    found = classifier_layer(doc, network)
    if found is None:
        return Fit([], [])
    node_id, param = found
    from studio.core.params import resolve
    raw = doc.graph(network).nodes[node_id].params[param]
    scope = variables_of(doc)
    if resolve(raw, scope) == num_classes:
        return Fit([], [])
    name = _reference(raw)
    if name is not None:
        return Fit([SetVariable(network, name, num_classes)],
                   [f"variable {name}: {scope.get(name)} -> {num_classes}"])
    return Fit([SetParams(network, node_id, {param: num_classes})],
               [f"node {node_id!r} {param}: {raw} -> {num_classes}"])


def fit_ops(doc: Document, network: str, input_shapes: dict, num_classes: int | None,
            input_fields: dict | None = None) -> Fit:
    """The edits fitting ``network`` to data whose Input node ``id`` receives samples of shape
    ``input_shapes[id]`` (from the field ``input_fields[id]``, when given) and whose labels have
    ``num_classes`` classes (None: leave as is)."""
    fit = Fit([], [])
    graph = doc.graph(network)
    for node_id, field in (input_fields or {}).items():
        if graph.nodes[node_id].params.get("field") != field:
            fit.ops.append(SetParams(network, node_id, {"field": field}))
            fit.changes.append(f"node {node_id!r} reads field {field!r}")
    for node_id, shape in input_shapes.items():
        part = _shape_ops(doc, network, node_id, list(shape))
        fit.ops += part.ops
        fit.changes += part.changes
    if num_classes:
        part = _class_ops(doc, network, int(num_classes))
        fit.ops += part.ops
        fit.changes += part.changes
    return fit
