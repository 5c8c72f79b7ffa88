"""ONNX files back into documents: every template's ONNX export imports with identical outputs
(onnxruntime on the file is the oracle, run here again at another batch size than the import's
own proof) and the same layer nodes, modulo naming; what cannot be mapped ends in a placeholder
naming the operator, whose diagnostic blocks compiling; a broken file is a one-line error.
"""
from __future__ import annotations

import json
from collections import Counter

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

import nodes
from studio.compile.fx import CompileError, compile_network
from studio.core import serialize
from studio.core.params import resolve
from studio.core.templates import open_document, template_names, template_path
from studio.export.onnx_export import export_onnx
from studio.importer import ImportFailed, import_model, write_import

# the classification templates every run checks; the others (seconds each to export) are slow
DEFAULT = ("lenet5", "mlp", "alexnet", "resnet18", "lstm-classifier")
# what the exporter leaves out of an inference graph: dropout is gone in evaluation mode and
# batch norm is folded into the convolution before it
ABSENT_IN_ONNX = {"norm.Dropout", "norm.Dropout2d", "norm.BatchNorm1d", "norm.BatchNorm2d",
                  "generative.GaussianNoise"}
# templates whose file spells one node as several (a 3-layer LSTM as three LSTM operators and
# a last-step gather): outputs identical, node counts not comparable
# and VAEs, whose evaluation output is the mean: the exporter drops the logvar branch
RESTRUCTURED = {"deep-lstm", "char-rnn", "vae", "conv-vae"}
# exports the importer does not map in full yet, with what the file holds: they must still import
# (placeholders naming the operators, never a crash); a template that starts importing cleanly
# fails here and moves to the checked ones
GAPS: dict[str, str] = {}
# ONNX has no tie: the exporter folds the decoder's transposed weight into its own constant,
# so it imports as an untied Linear (outputs identical)
RESTRUCTURED.add("tied-autoencoder")


def _cases():
    out = []
    for name in template_names():
        raw = json.loads(template_path(name).read_text(encoding="utf-8"))
        if "model" not in raw.get("networks", {}):
            continue
        marks = [] if name in DEFAULT else [pytest.mark.slow]
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def _export(name, tmp_path):
    doc, _, _ = open_document(name)
    if "small" in doc.presets:
        doc.variables = {**doc.variables, **doc.presets["small"]}
    compiled = compile_network(doc, "model", doc.variables, seed=0)
    path = tmp_path / f"{name}.onnx"
    onnx.save(export_onnx(compiled, doc, "model", dynamic_batch=True).model, str(path))
    return doc, path


def _feeding_outputs(graph) -> set:
    """The nodes an Output depends on: what an inference export holds (not a loss's Permute)."""
    feeds = {}
    for e in graph.edges:
        feeds.setdefault(e.dst[0], set()).add(e.src[0])
    todo = [n.id for n in graph.nodes.values() if n.type in ("io.Output", "io.BlockOutput")]
    seen = set(todo)
    while todo:
        for src in feeds.get(todo.pop(), ()):
            if src not in seen:
                seen.add(src)
                todo.append(src)
    return seen


def _layer_types(doc, scope="model", variables=None) -> Counter:
    """Layer node types that feed an output, blocks expanded (block bodies once per use; a
    block's arguments, such as VGG's ``convs``, in scope inside it)."""
    variables = doc.variables if variables is None else variables
    out = Counter()
    graph = doc.graph(scope)
    used = _feeding_outputs(graph)
    for node in graph.nodes.values():
        if node.id not in used:
            continue
        t = nodes.lookup(node.type)
        if t is not None and t.role == nodes.BLOCK:
            name = node.params["block"]
            args = {k: resolve(v, variables) for k, v in node.params.items()
                    if k not in ("block", "repeat")}
            inner = _layer_types(doc, f"block:{name}",
                                 {**variables, **doc.blocks[name].params, **args})
            for _ in range(int(resolve(node.params.get("repeat", 1), variables))):
                out.update(inner)
        elif t is not None and t.role == nodes.LAYER and node.type not in ABSENT_IN_ONNX:
            out[node.type] += 1
    return out


@pytest.mark.parametrize("name", _cases())
def test_template_onnx_imports_back(name, tmp_path):
    original, path = _export(name, tmp_path)
    result = import_model(str(path))
    assert result.report.method == "onnx"
    if name in GAPS:
        assert result.report.placeholder_nodes > 0
        assert "placeholder node(s) onnx_" in result.report.notes[0]
        return
    assert result.report.placeholder_nodes == 0, result.report.notes
    assert result.report.max_abs_diff <= 1e-5

    doc_path, _ = write_import(result, tmp_path / f"{name}.nnet.json")
    doc, diagnostics = serialize.load(doc_path)  # the written files are what a user opens
    assert not [d for d in diagnostics if d.severity == "error"]
    compiled = compile_network(doc, "model", doc.variables)
    compiled.module.load_state_dict(result.state_dict)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed, args = {}, []
    generator = np.random.default_rng(1)
    for given in session.get_inputs():
        shape = [3, *given.shape[1:]]
        value = np.zeros(shape, np.int64) if "int64" in given.type else \
            generator.standard_normal(shape).astype(np.float32)
        feed[given.name] = value
        args.append(torch.from_numpy(value))
    with torch.no_grad():
        got = compiled.module.eval()(*args)
    got = got if isinstance(got, tuple) else (got,)
    for have, want in zip(got, session.run(None, feed)):
        assert have.shape == want.shape
        assert float(np.abs(have.numpy() - want).max()) <= 1e-5
    if name not in RESTRUCTURED:
        assert _layer_types(doc) == _layer_types(original)


def _tiny_model(op_type="Relu", domain=""):
    """x (N, 4) -> Gemm -> <op_type> -> y: a valid ONNX model built by hand."""
    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4) / 10, "w")
    b = numpy_helper.from_array(np.ones(3, np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1),
         helper.make_node(op_type, ["h"], ["y"], domain=domain)],
        "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])], [w, b])
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(graph, opset_imports=opsets)


def test_matmul_add_and_gemm_weights_land_in_the_linear_layer(tmp_path):
    path = tmp_path / "tiny.onnx"
    onnx.save(_tiny_model("Sigmoid"), str(path))
    result = import_model(str(path))
    linear = [n for n in result.document.networks["model"].nodes.values()
              if n.type == "linear.Linear"]
    assert len(linear) == 1 and linear[0].params["out_features"] == 3
    weight = result.state_dict[f"{linear[0].id}.weight"]
    assert torch.equal(weight, torch.arange(12, dtype=torch.float32).reshape(3, 4) / 10)
    assert result.report.catalogue_nodes == result.report.nodes == 2


def test_unknown_op_becomes_a_placeholder_that_blocks_compiling(tmp_path):
    path = tmp_path / "custom.onnx"
    onnx.save(_tiny_model("Swirl", domain="com.example"), str(path))
    result = import_model(str(path))
    report = result.report
    assert (report.nodes, report.catalogue_nodes, report.placeholder_nodes) == (2, 1, 1)
    assert "onnx_swirl1 (ONNX op Swirl)" in report.notes[0]
    doc_path, _ = write_import(result, tmp_path / "custom.nnet.json")
    doc, diagnostics = serialize.load(doc_path)
    placeholder = doc.networks["model"].nodes["onnx_swirl1"]
    assert placeholder.type == "onnx.Swirl" and placeholder.params["op"] == "Swirl"
    assert any("'onnx.Swirl'" in d.message and d.node == "onnx_swirl1" for d in diagnostics)
    with pytest.raises(CompileError, match="onnx.Swirl"):
        compile_network(doc, "model", doc.variables)


def test_broken_and_missing_files_are_one_line_errors(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00\xffthis is not protobuf" * 10)
    with pytest.raises(ImportFailed, match=r"bad.onnx: not a readable ONNX file") as info:
        import_model(str(bad))
    assert "\n" not in str(info.value)
    with pytest.raises(ImportFailed, match="no such file"):
        import_model(str(tmp_path / "missing.onnx"))


def test_softmax_follows_the_opset_s_meaning(tmp_path):
    path = tmp_path / "softmax.onnx"
    onnx.save(_tiny_model("Softmax"), str(path))  # opset 17: over the last axis
    result = import_model(str(path))
    softmax = [n for n in result.document.networks["model"].nodes.values()
               if n.type == "activation.Softmax"]
    assert [n.params["dim"] for n in softmax] == [1] and result.report.max_abs_diff <= 1e-5
    old = _tiny_model("Softmax")
    old.opset_import[0].version = 11  # before 13, axis 1 flattens every axis from 1 on
    old.graph.node[1].attribute.append(helper.make_attribute("axis", 0))
    onnx.save(old, str(path))
    assert import_model(str(path)).report.placeholder_nodes == 1  # over the batch: no node


def _step_model(straight_through: bool):
    """x (N, 3) -> Step(threshold 0.5) as the exporter writes it: ``(x >= t).float()``, plus
    ``(x - x)`` for the straight-through gradient when asked."""
    t = numpy_helper.from_array(np.array(0.5, np.float32), "t")
    graph_nodes = [helper.make_node("GreaterOrEqual", ["x", "t"], ["ge"]),
                   helper.make_node("Cast", ["ge"], ["hard" if straight_through else "y"], to=1)]
    if straight_through:
        graph_nodes += [helper.make_node("Sub", ["x", "x"], ["zero"]),
                        helper.make_node("Add", ["hard", "zero"], ["y"])]
    graph = helper.make_graph(
        graph_nodes, "step", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])], [t])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("straight_through", [True, False])
def test_the_exporter_s_step_pattern_is_one_step_node(straight_through, tmp_path):
    path = tmp_path / "step.onnx"
    onnx.save(_step_model(straight_through), str(path))
    result = import_model(str(path), input_shape=(1, 3))
    graph = result.document.networks["model"]
    steps = [n for n in graph.nodes.values() if n.type == "activation.Step"]
    assert [n.params["threshold"] for n in steps] == [0.5]
    assert result.report.nodes == 1 and result.report.max_abs_diff == 0.0
    # a Step's output is a decision, not logits: no classification loss is wired to it
    assert "loss.CrossEntropy" not in {n.type for n in graph.nodes.values()}


def test_a_comparison_without_the_step_s_cast_stays_a_placeholder(tmp_path):
    model = _step_model(False)
    model.graph.node[1].attribute[0].i = TensorProto.INT64  # cast to integers: no Step
    model.graph.output[0].type.tensor_type.elem_type = TensorProto.INT64
    path = tmp_path / "ge.onnx"
    onnx.save(model, str(path))
    result = import_model(str(path), input_shape=(1, 3))
    assert result.report.placeholder_nodes >= 1 and result.report.catalogue_nodes == 0


def _unrolled_rnn(steps=3, features=4, hidden=5, odd_step=None):
    """nn.RNN(features, hidden) over ``steps`` as the dynamo exporter unrolls it (one
    MatMul/Add/Add/Tanh chain per step, then h_n[-1]); ``odd_step`` uses another recurrent
    weight at that step, which no single RNN layer computes."""
    rng = np.random.default_rng(0)
    w_ih, w_hh = rng.standard_normal((hidden, features)), rng.standard_normal((hidden, hidden))
    arrays = {"w_ih_t": w_ih.T, "w_hh_t": w_hh.T, "w_odd": w_hh.T * 2, "b_ih": rng.random(hidden),
              "b_hh": rng.random(hidden), "zero": np.zeros((1, 1, hidden)), "one": [1, 1, 1]}
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in arrays.items()]
    inits += [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in
              {"perm_axes": [0], "last": -1, **{f"s{t}": [t] for t in range(steps + 1)}}.items()]
    make = helper.make_node
    graph_nodes = [make("Transpose", ["x"], ["xt"], perm=[1, 0, 2]),
                   make("MatMul", ["xt", "w_ih_t"], ["xw"]), make("Add", ["xw", "b_ih"], ["xb"])]
    state = "zero"
    for t in range(steps):
        graph_nodes += [
            make("Slice", ["xb", f"s{t}", f"s{t + 1}", "perm_axes"], [f"sl{t}"]),
            make("Squeeze", [f"sl{t}", "perm_axes"], [f"in{t}"]),
            make("MatMul", [state, "w_odd" if t == odd_step else "w_hh_t"], [f"hw{t}"]),
            make("Add", [f"hw{t}", "b_hh"], [f"hb{t}"]),
            make("Add", [f"hb{t}", f"in{t}"], [f"a{t}"]),
            make("Tanh", [f"a{t}"], [f"h{t}"])]
        state = f"h{t}"
    graph_nodes += [make("Squeeze", [state, "perm_axes"], ["hs"]),
                    make("Unsqueeze", ["hs", "perm_axes"], ["hn"]),
                    make("Gather", ["hn", "last"], ["y"], axis=0)]
    graph = helper.make_graph(
        graph_nodes, "rnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", steps, features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", hidden])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_an_unrolled_rnn_is_one_rnn_node_and_a_broken_chain_is_not(tmp_path):
    path = tmp_path / "rnn.onnx"
    onnx.save(_unrolled_rnn(), str(path))
    result = import_model(str(path))
    layers = [n for n in result.document.networks["model"].nodes.values()
              if n.type == "recurrent.RNN"]
    assert [(n.params["hidden_size"], n.params["nonlinearity"]) for n in layers] == [(5, "tanh")]
    assert result.report.nodes == 1 and result.report.max_abs_diff <= 1e-5
    onnx.save(_unrolled_rnn(odd_step=1), str(path))
    assert import_model(str(path)).report.placeholder_nodes >= 1


class _PoolUnpool(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = torch.nn.MaxPool2d(2, return_indices=True)
        self.unpool = torch.nn.MaxUnpool2d(2)

    def forward(self, x):
        y, indices = self.pool(x)
        return self.unpool(torch.relu(y), indices)


def test_pooling_indices_and_unpooling_come_back_as_their_nodes(tmp_path):
    """The exporter's MaxPool indices (counted over the whole tensor, made per-plane by a
    second pool and a Sub) and its ScatterND unpooling become the two catalogue nodes."""
    path = tmp_path / "unpool.onnx"
    torch.onnx.export(_PoolUnpool().eval(), (torch.randn(2, 3, 6, 6),), str(path), dynamo=True,
                      dynamic_shapes=({0: torch.export.Dim("batch")},), external_data=False,
                      verbose=False)
    result = import_model(str(path))
    types = Counter(n.type for n in result.document.networks["model"].nodes.values())
    assert types["pooling.MaxPool2dWithIndices"] == types["pooling.MaxUnpool2d"] == 1
    assert result.report.placeholder_nodes == 0 and result.report.max_abs_diff <= 1e-6


def test_an_unsqueeze_outside_any_pattern_is_a_reshape(tmp_path):
    axes = numpy_helper.from_array(np.array([1], np.int64), "axes")
    graph = helper.make_graph(
        [helper.make_node("Unsqueeze", ["x", "axes"], ["u"]),
         helper.make_node("Relu", ["u"], ["y"])],
        "unsqueeze", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 1, 3])], [axes])
    path = tmp_path / "unsqueeze.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    result = import_model(str(path), input_shape=(1, 3))
    reshapes = [n.params["shape"] for n in result.document.networks["model"].nodes.values()
                if n.type == "reshape.Reshape"]
    assert reshapes == [[1, 3]] and result.report.max_abs_diff == 0.0
