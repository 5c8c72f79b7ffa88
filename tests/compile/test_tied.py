"""Tied weights (``linear.TiedLinear``, ``tied_to``): one Parameter through the document, the
compiler, training, code export and ONNX, checked against the real thing each time."""
from __future__ import annotations

import copy

import numpy as np
import onnx
import onnx.numpy_helper
import onnxruntime as ort
import pytest
import torch

from studio.compile.codegen import export_code
from studio.compile.fx import CompileError, compile_network
from studio.core import edits
from studio.core.ops import RemoveNode, SetParams
from studio.core.serialize import dumps, loads
from studio.core.shapes import ShapeInference
from studio.core.templates import open_document
from studio.core.validate import validate_network
from studio.export.onnx_export import export_onnx
from studio.train.engine import train

NAME = "tied-autoencoder"


@pytest.fixture
def doc():
    return open_document(NAME)[0]


def _untied(doc):
    """The same network with an ordinary Linear decoder (its own weight)."""
    other = copy.deepcopy(doc)
    node = other.networks["model"].nodes["decoder"]
    node.type = "linear.Linear"
    node.params.pop("tied_to")
    return other


def _tie_errors(doc):
    diags, _, _ = validate_network(doc, "model")
    return [d for d in diags if d.param == "tied_to"]


def test_one_weight_matrix_fewer_parameters(doc):
    tied = compile_network(doc, "model", doc.variables).module
    untied = compile_network(_untied(doc), "model", doc.variables).module
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(tied) == count(untied) - untied.decoder.weight.numel()
    assert "decoder.weight" not in tied.state_dict()
    # the summary's count (shape inference, no real tensors) agrees with the module
    _, shapes, _ = validate_network(doc, "model", inference=ShapeInference())
    assert shapes.total_params == count(tied)
    assert shapes.param_counts["decoder"] == tied.decoder.bias.numel()


def test_training_keeps_the_decoder_exactly_the_transpose(doc):
    torch.manual_seed(0)
    net = compile_network(doc, "model", doc.variables, training=True).module
    weight = net.encoder.weight
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.rand(16, 1, 8, 8)
    # the decoder's gradient reaches the encoder's weight: with the code detached, only the
    # decoder path is left and the weight still gets a gradient
    code = torch.sigmoid(net.encoder(x.flatten(1))).detach()
    net.decoder(code, weight).sum().backward()
    assert weight.grad is not None and weight.grad.abs().sum() > 0
    before = weight.detach().clone()
    for _ in range(5):
        opt.zero_grad()
        sum(net(x, )["losses"].values()).backward()
        opt.step()
    assert not torch.equal(before, weight.detach())  # it trained
    code = torch.sigmoid(net.encoder(x.flatten(1)))
    expected = torch.nn.functional.linear(code, weight.t(), net.decoder.bias)
    assert torch.equal(net.decoder(code, weight), expected)


def test_code_export_and_onnx_give_the_same_outputs(doc):
    torch.manual_seed(1)
    compiled = compile_network(doc, "model", doc.variables)
    module = compiled.module.eval()
    source = export_code(compiled, "TiedModel")
    assert "self.encoder.weight" in source and "class TiedLinear" in source
    namespace: dict = {}
    exec(compile(source, "model.py", "exec"), namespace)  # noqa: S102 - our own generated code
    exported = namespace["TiedModel"]().eval()
    exported.load_state_dict(module.state_dict())  # the same keys: no decoder.weight
    x = torch.rand(5, 1, 8, 8)
    with torch.no_grad():
        expected = module(x)
        got = exported(x)
    for a, b in zip(expected, got):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    model = export_onnx(compiled, doc, "model", dynamic_batch=True).model
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    for a, b in zip(expected, outputs):
        np.testing.assert_allclose(b, a.numpy(), atol=1e-5)
    # every matrix in the file is the one weight (the exporter may fold its transpose)
    weight = module.encoder.weight.detach().numpy()
    for t in model.graph.initializer:
        if len(t.dims) == 2:
            value = onnx.numpy_helper.to_array(t)
            assert np.array_equal(value, weight) or np.array_equal(value, weight.T), t.name


@pytest.mark.parametrize("value, expected", [
    ("nowhere", "no node 'nowhere' in this network (Linear nodes here: encoder)"),
    ("code_sigmoid", "node 'code_sigmoid' is a activation.Sigmoid; a tie needs one of "
                     "linear.Linear"),
    ("", "name the Linear node whose weight this layer uses transposed"),
])
def test_a_broken_tie_is_a_diagnostic_on_the_param(doc, value, expected):
    SetParams("model", "decoder", {"tied_to": value}).apply(doc)
    errors = _tie_errors(doc)
    assert [(d.node, d.message) for d in errors] == [("decoder", expected)]
    with pytest.raises(CompileError, match="tied_to"):
        compile_network(doc, "model", doc.variables)


def test_shapes_that_are_not_transposes_are_named(doc):
    SetParams("model", "decoder", {"out_features": 10}).apply(doc)  # not 64 pixels
    errors = [d for d in _tie_errors(doc)]
    assert len(errors) == 1
    assert errors[0].message == ("shapes are not transposes: encoder maps 64 -> 24 features, so "
                                 "this layer must map 24 -> 64, got 24 -> 10")


def test_the_tie_survives_save_load_and_undo(doc):
    again, diags = loads(dumps(doc))
    assert not diags and again.networks["model"].nodes["decoder"].params["tied_to"] == "encoder"
    assert not _tie_errors(again)
    undo = SetParams("model", "decoder", {"tied_to": "nowhere"}).apply(again)
    assert _tie_errors(again)
    undo.apply(again)
    assert dumps(again) == dumps(doc) and not _tie_errors(again)


def test_a_pasted_pair_is_tied_to_itself(doc):
    text = edits.copy_selection(doc, "model", ["encoder", "decoder"])
    batch, ids = edits.paste_op(doc, "model", text)
    batch.apply(doc)
    graph = doc.networks["model"]
    new_encoder, new_decoder = ids
    assert graph.nodes[new_decoder].params["tied_to"] == new_encoder
    assert graph.nodes["decoder"].params["tied_to"] == "encoder"


def test_tied_autoencoder_learns(doc, tmp_path):
    """Learning test: 3 epochs of the template's own settings on the bundled digits reach a
    validation PSNR above 13 dB (untrained, it decodes sigmoid(0) = 0.5 everywhere: far below)."""
    torch.set_num_threads(1)
    result = train(doc, {"device": "cpu", "epochs": 3, "log_every": 50},
                   out=str(tmp_path / "run"))
    assert result.status == "finished", result.error
    assert result.metrics["val"]["psnr"] > 13.0


def test_a_tie_to_a_linear_the_network_never_calls():
    """A decoder alone, tied to a Linear on a branch the inference module prunes (it comes
    later in the order, too): the Linear is kept for its weight, and code export writes it."""
    from studio.core.builder import GraphBuilder
    from studio.core.document import Document
    doc = Document()
    b = GraphBuilder(doc)
    z = b.add("io.Input", shape=[6], name="z", field="z")
    b.add("io.Output", b.add("linear.TiedLinear", z, out_features=10, tied_to="enc", id="dec"),
          name="image")
    code = b.add("io.Output", b.add("linear.Linear", b.add("io.Input", shape=[10], name="x",
                                                            field="x"),
                                    out_features=6, id="enc"), name="code")
    compiled = compile_network(doc, "model", {})
    assert compiled.inputs == ["z", "x"]
    module = compiled.module.eval()
    assert module.dec.bias.shape == (10,) and module.enc.weight.shape == (6, 10)
    RemoveNode("model", code).apply(doc)  # now nothing calls enc: only its weight is used
    pruned = compile_network(doc, "model", {})
    assert pruned.inputs == ["z"] and isinstance(pruned.module.enc, torch.nn.Linear)
    namespace: dict = {}
    exec(compile(export_code(pruned, "Decoder"), "model.py", "exec"), namespace)  # noqa: S102
    exported = namespace["Decoder"]().eval()
    exported.load_state_dict(pruned.module.state_dict())
    z = torch.rand(3, 6)
    with torch.no_grad():
        assert torch.equal(exported(z), pruned.module(z))
