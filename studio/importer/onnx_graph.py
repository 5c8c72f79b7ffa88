"""An ONNX file read for conversion: constants, static shapes, attributes, and the state of the
conversion (which ONNX value is which document port).

Exporters spell one PyTorch layer as several ONNX nodes (a transpose before an LSTM, a reshape
and a mean for global pooling, a gather of windows for adaptive pooling). Such an intermediate
value becomes a :class:`Virtual`: the converter of the next node may recognise it and emit one
catalogue node for the whole pattern; any other consumer asks :meth:`Conversion.ref`, which
materialises the virtual value as ordinary nodes (or fails, making a placeholder).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from studio.importer.result import ImportFailed


class Unsupported(Exception):
    """This ONNX node has no catalogue equivalent here; it becomes a placeholder node."""


@dataclass
class Virtual:
    """An ONNX value the document has no port for (yet). ``kind`` names the pattern,
    ``source`` is the document port it derives from, ``info`` what the pattern needs."""

    kind: str
    source: tuple | None
    info: dict = field(default_factory=dict)
    make: object = None  # callable(conversion) -> (node, port); None: cannot stand alone


def read_model(path):
    """The ONNX model with shapes inferred; a bad file is an ImportFailed naming it."""
    import onnx
    try:
        model = onnx.load(str(path))
    except FileNotFoundError:
        raise ImportFailed(f"{path}: no such file") from None
    except Exception as e:  # protobuf raises DecodeError and others on a file that is not ONNX
        raise ImportFailed(f"{path}: not a readable ONNX file ({type(e).__name__}: "
                           f"{str(e).splitlines()[0] if str(e) else 'no details'})") from None
    try:
        return onnx.shape_inference.infer_shapes(model)
    except Exception:  # inference is a convenience: converters check shapes they rely on
        return model


def port_name(name: str) -> str:
    """An ONNX value name as an Input/Output name (the compiled module's argument)."""
    text = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in name) or "x"
    return text if text[0].isalpha() else "v_" + text


def attributes(node) -> dict:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


class Conversion:
    """Values of the graph being converted: constants (numpy), shapes, document ports."""

    def __init__(self, model, builder):
        from onnx import numpy_helper
        self.model, self.builder = model, builder
        graph = model.graph
        self.consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.shapes: dict[str, list] = {}
        for info in [*graph.input, *graph.value_info, *graph.output]:
            dims = info.type.tensor_type.shape.dim
            self.shapes[info.name] = [d.dim_value if d.HasField("dim_value") else None
                                      for d in dims]
        self.values: dict[str, object] = {}  # ONNX value -> (node, port) or Virtual
        self.weights: dict[str, dict] = {}  # document node -> {module-local key: array}
        self.produced: dict[str, str] = {}  # document node -> the ONNX value it computes
        self.placeholders: list[tuple[str, str]] = []  # (node id, op type)

    # ----- reading values --------------------------------------------------------------------
    def const(self, name: str):
        """The constant array of ``name``, or None when it is computed at run time."""
        return self.consts.get(name) if name else None

    def is_const(self, name: str) -> bool:
        return name in self.consts

    def rank(self, name: str) -> int | None:
        shape = self.shapes.get(name)
        return None if shape is None else len(shape)

    def ref(self, name: str) -> tuple[str, str]:
        """The document port computing ``name``, making a virtual value real if needed."""
        value = self.values.get(name)
        if value is None:
            raise Unsupported(f"input {name!r} is neither computed by the network nor a "
                              "weight")
        if isinstance(value, Virtual):
            if value.make is None:
                raise Unsupported(f"input {name!r} is an intermediate '{value.kind}' value "
                                  "that has no catalogue equivalent on its own")
            value = self.values[name] = value.make(self)
        return value

    # ----- writing nodes ---------------------------------------------------------------------
    def add(self, type_id: str, sources, produces: str | None = None, weights=None,
            **params) -> str:
        node_id = self.builder.add(type_id, *sources, **params)
        if weights:
            self.weights[node_id] = {k: np.array(v, dtype=np.float32)  # (a writable copy)
                                     for k, v in weights.items()}
        if produces:
            self.produced[node_id] = produces
        return node_id


# operators that compute shapes and indices: evaluated when their inputs are constants
_ARITHMETIC = {"Shape", "Slice", "Mul", "Add", "Sub", "Div", "Concat", "Reshape", "Gather",
               "Unsqueeze", "Squeeze", "Cast", "Range", "Equal", "Where", "ConstantOfShape"}


def fold_shape_arithmetic(cv: Conversion, node) -> bool:
    """Constant inputs only: the value is computed now (onnx's reference evaluator). A run-time
    shape among them: the result is a run-time shape too (used only by initial states and
    reshapes that the converters recognise without it). True when the node is handled."""
    if node.op_type not in _ARITHMETIC or node.domain not in ("", "ai.onnx"):
        return False
    inputs = [n for n in node.input if n]
    shapes = [isinstance(cv.values.get(n), Virtual) and cv.values[n].kind == "shape"
              for n in inputs]
    if not all(cv.is_const(n) or s for n, s in zip(inputs, shapes)):
        return False
    if any(shapes):
        for out in node.output:
            cv.values[out] = Virtual("shape", None)
        return True
    from onnx import helper
    from onnx.reference import ReferenceEvaluator
    try:
        model = helper.make_model(helper.make_graph(
            [node], "fold", [], [helper.make_empty_tensor_value_info(o) for o in node.output],
            [_tensor(n, cv.consts[n]) for n in inputs]), opset_imports=cv.model.opset_import)
        values = ReferenceEvaluator(model).run(None, {})
    except Exception:  # not foldable after all: the converter decides
        return False
    cv.consts.update(zip(node.output, (np.asarray(v) for v in values)))
    return True


def _tensor(name, value):
    from onnx import numpy_helper
    return numpy_helper.from_array(np.asarray(value), name)
