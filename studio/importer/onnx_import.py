"""An ONNX file -> a NetStudio document with its weights, proven equal in onnxruntime.

Each ONNX node is converted by ``onnx_ops``/``onnx_ops_shape``; initializers become the
weights, keyed like the compiled document's ``state_dict``. An operator with no catalogue
equivalent becomes a placeholder node ``onnx.<Op>`` (kept like an unknown type by the loader):
its diagnostic blocks compiling, the rest of the graph stays editable, and the report says so.
Otherwise the compiled document and onnxruntime run the file on the same random inputs; a
maximum absolute difference above 1e-5 fails the import, naming the first node that differs.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

import nodes
from studio.core.builder import GraphBuilder
from studio.core.document import Document, Edge, Node
from studio.core.layout import apply_layout
from studio.importer.onnx_graph import (Conversion, Unsupported, attributes,
                                        fold_shape_arithmetic, port_name, read_model)
# every converter: the modules of exporter patterns register theirs on top of onnx_ops'
from studio.importer.onnx_ops_unpool import CONVERTERS
from studio.importer.result import ImportFailed, ImportReport, ImportResult
from studio.importer.training_head import add_classifier_training

LIMIT = 1e-5  # float32: the same arithmetic in another order stays well below this
_DTYPES = {1: "float32", 7: "int64"}  # onnx.TensorProto element types the Input node knows


def import_onnx(path, *, input_shape=None, progress=None) -> ImportResult:
    """Import the ONNX file at ``path``; ``input_shape`` (batch first) fixes sizes the file
    leaves free; ``progress(fraction, what) -> bool`` may cancel (False)."""
    start = time.perf_counter()
    path = Path(path)
    _tick(progress, 0.0, "reading the ONNX file")
    model = read_model(path)
    doc = Document(networks={})
    doc.meta = {"name": path.name[:-len(".onnx")] or "model", "description":
                f"Imported from {path.name}."}
    cv = Conversion(model, GraphBuilder(doc, "model"))
    _add_inputs(cv, model, input_shape)
    graph_nodes = list(model.graph.node)
    for i, onnx_node in enumerate(graph_nodes):
        _tick(progress, 0.1 + 0.6 * i / max(1, len(graph_nodes)), f"converting {onnx_node.op_type}")
        _convert(cv, onnx_node)
    for out in model.graph.output:
        try:
            cv.add("io.Output", [cv.ref(out.name)], name=port_name(out.name))
        except Unsupported as e:
            raise ImportFailed(f"{path}: output {out.name!r}: {e}") from None
    head_note = add_classifier_training(doc, [cv.shapes.get(o.name) for o in model.graph.output])
    apply_layout(doc.networks["model"])
    report = ImportReport("onnx")
    _count(doc, report)
    if cv.placeholders:
        listed = ", ".join(f"{nid} (ONNX op {op})" for nid, op in cv.placeholders)
        report.notes.append(f"not proven: placeholder node(s) {listed} have no catalogue "
                            "equivalent; replace them before the network compiles")
        state = {f"{nid}.{k}": torch.from_numpy(v.copy()) for nid, w in cv.weights.items()
                 for k, v in w.items()}
    else:
        _tick(progress, 0.75, "checking against onnxruntime")
        state, report.max_abs_diff = _prove(cv, doc, model, path)
    report.notes += [head_note] if head_note else []
    report.seconds = time.perf_counter() - start
    _tick(progress, 1.0, "done")
    return ImportResult(doc, state, report)


def _tick(progress, fraction: float, what: str) -> None:
    if progress is not None and progress(fraction, what) is False:
        raise ImportFailed("import cancelled")


def _add_inputs(cv: Conversion, model, input_shape) -> None:
    from onnx import numpy_helper
    for node in model.graph.node:  # Constant nodes are weights/arguments like initializers
        if node.op_type == "Constant" and "value" in (a := attributes(node)):
            cv.consts[node.output[0]] = numpy_helper.to_array(a["value"])
    inputs = [i for i in model.graph.input if i.name not in cv.consts]
    if input_shape is not None and len(inputs) != 1:
        raise ImportFailed(f"--input gives one shape, but the file has {len(inputs)} inputs")
    for given in inputs:
        shape = list(input_shape) if input_shape is not None else cv.shapes.get(given.name, [])
        kind = given.type.tensor_type.elem_type
        if kind not in _DTYPES:
            raise ImportFailed(f"input {given.name!r}: element type {kind} is not supported "
                               "(float32 or int64)")
        if len(shape) < 1 or any(s is None for s in shape[1:]):
            raise ImportFailed(f"input {given.name!r}: size {shape} is not fixed; give it "
                               "with --input, e.g. 1x3x224x224")
        cv.shapes[given.name] = [None, *shape[1:]]
        nid = cv.add("io.Input", [], name=port_name(given.name), shape=list(shape[1:]),
                     dtype=_DTYPES[kind])
        cv.values[given.name] = (nid, "y")
        cv.batch = shape[0]


def _convert(cv: Conversion, onnx_node) -> None:
    if onnx_node.op_type == "Constant":
        return
    converter = CONVERTERS.get(onnx_node.op_type) if onnx_node.domain in ("", "ai.onnx") else None
    if fold_shape_arithmetic(cv, onnx_node):
        return
    try:
        if converter is None:
            raise Unsupported(f"no catalogue node computes ONNX {onnx_node.op_type}")
        converter(cv, onnx_node, attributes(onnx_node))
    except Unsupported as e:
        _placeholder(cv, onnx_node, str(e))


def _placeholder(cv: Conversion, onnx_node, reason: str) -> None:
    """A node of the unknown type ``onnx.<Op>``: loaded, saved and shown like any unknown type;
    its ports are the ones its edges use (``x``, ``x2``...; ``y``, ``y2``...)."""
    graph = cv.builder.doc.networks["model"]
    op = onnx_node.op_type
    nid = graph.new_id(f"onnx_{op.lower()}")
    graph.nodes[nid] = Node(nid, f"onnx.{op}", {"op": op, "reason": reason}, {}, op)
    port = 0
    for name in onnx_node.input:
        try:
            src = cv.ref(name) if name and not cv.is_const(name) else None
        except Unsupported:
            src = None
        if src is not None:
            port += 1
            graph.edges.append(Edge(src, (nid, "x" if port == 1 else f"x{port}")))
    for i, name in enumerate(onnx_node.output):
        cv.values[name] = (nid, "y" if i == 0 else f"y{i + 1}")
    cv.placeholders.append((nid, op))


def _count(doc: Document, report: ImportReport) -> None:
    layers = [n for n in doc.networks["model"].nodes.values()
              if (t := nodes.lookup(n.type)) is None or t.role in (nodes.LAYER, nodes.BLOCK)]
    report.nodes = len(layers)
    report.placeholder_nodes = sum(nodes.lookup(n.type) is None for n in layers)
    report.catalogue_nodes = report.nodes - report.placeholder_nodes


def _prove(cv: Conversion, doc: Document, model, path) -> tuple[dict, float]:
    """The compiled document with the file's weights, against onnxruntime on random inputs."""
    from studio.compile.fx import CompileError, compile_network
    from studio.importer.onnx_proof import compare
    try:
        compiled = compile_network(doc, "model", doc.variables)
    except CompileError as e:
        raise ImportFailed(f"{path}: the converted network does not compile: {e}") from None
    names = {nid: name for name, nid in compiled.node_map.items()}
    state = {f"{names[nid]}.{k}": torch.from_numpy(np.ascontiguousarray(v))
             for nid, w in cv.weights.items() for k, v in w.items()}
    module = compiled.module.eval()
    missing, unexpected = module.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ImportFailed(f"{path}: weights do not fit the converted network (missing "
                           f"{missing[:3]}, unexpected {unexpected[:3]})")
    state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    return state, compare(cv, doc, model, compiled, path, LIMIT)
