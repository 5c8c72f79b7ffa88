"""ONNX export of the structures that trip exporters, on small hand-built networks: recurrent
layers fed by token ids, max-unpooling (and the error when an exporter cannot express it),
VAE sampling (exported as the mean), and which network of a document is exported by default."""
from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from studio.compile.fx import compile_network
from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.export.errors import ExportError
from studio.export.inputs import example_inputs, pick_network
from studio.export.locate import locate_failure
from studio.export.onnx_export import export_onnx
from studio.export.parity import check_model, onnx_parity
from support.export_docs import sequence_doc, unpool_doc, vae_doc


def _session(model):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("cell, layers, bidirectional", [("LSTM", 2, False), ("GRU", 1, True)])
def test_recurrent_network_on_token_ids_exports_with_parity(cell, layers, bidirectional):
    doc = sequence_doc(cell, layers, bidirectional)
    compiled = compile_network(doc, "model", seed=0)
    result = export_onnx(compiled, doc, "model", dynamic_batch=True)
    check_model(result.model)
    parity = onnx_parity(result.model, compiled, doc, "model", dynamic_batch=True)
    assert [p.batch for p in parity] == [1, 7]
    assert max(p.max_abs_diff for p in parity) < 1e-5
    assert [i.name for i in result.model.graph.input] == ["tokens"]
    assert [o.name for o in result.model.graph.output] == ["logits", "states"]


def test_token_ids_are_drawn_below_the_embedding_size():
    doc = sequence_doc("LSTM")
    compiled = compile_network(doc, "model")
    (tokens,) = example_inputs(compiled, doc, "model", batch=64)
    assert tokens.dtype == torch.int64 and tokens.shape == (64, 9)
    assert int(tokens.min()) >= 0 and int(tokens.max()) == 16  # all 17 ids, none past the table


def test_max_unpooling_exports_with_the_dynamo_exporter():
    doc = unpool_doc()
    compiled = compile_network(doc, "model", seed=0)
    result = export_onnx(compiled, doc, "model", dynamic_batch=True)
    assert result.exporter == "dynamo" and not result.notes
    parity = onnx_parity(result.model, compiled, doc, "model", dynamic_batch=True)
    assert max(p.max_abs_diff for p in parity) < 1e-5


@pytest.mark.parametrize("like", [True, False])
def test_exporter_that_cannot_express_unpooling_names_the_node_and_the_op(like):
    doc = unpool_doc(like)
    compiled = compile_network(doc, "model")
    with pytest.raises(ExportError) as caught:
        export_onnx(compiled, doc, "model", exporter="torchscript")
    assert str(caught.value).startswith(
        "unpool (pooling.MaxUnpool2d): the TorchScript exporter cannot express max_unpool2d: ")


def test_an_operator_named_only_in_the_message_is_traced_to_its_node():
    doc = unpool_doc()
    compiled = compile_network(doc, "model")
    error = RuntimeError("Exporting the operator 'aten::max_unpool2d' to ONNX opset version 9 "
                         "is not supported")
    example = example_inputs(compiled, doc, "model", 1)
    assert locate_failure(compiled, error, example) == ("unpool", "max_unpool2d")
    assert locate_failure(compiled, RuntimeError("aten::lgamma"), example) == (None, "lgamma")


def test_vae_sampling_exports_as_the_mean():
    doc = vae_doc()
    compiled = compile_network(doc, "model", seed=0)
    assert compiled.outputs == ["z", "reconstruction"]  # the KL loss is pruned
    result = export_onnx(compiled, doc, "model", dynamic_batch=True)
    op_types = {n.op_type for n in result.model.graph.node}
    assert not {t for t in op_types if t.startswith("Random")}, op_types
    x = torch.randn(5, 12)
    z, _ = _session(result.model).run(None, {"x": x.numpy()})
    module = compiled.module
    with torch.no_grad():
        mu = module.mu(module.relu1(module.linear1(x)))
    np.testing.assert_allclose(z, mu.numpy(), atol=1e-6)
    module.train()  # and the sampling really is random while training
    with torch.no_grad():
        assert not torch.allclose(module(x)[0], mu)


def test_default_network_is_model_then_generator_then_first():
    doc = Document(networks={})
    GraphBuilder(doc, "discriminator")
    GraphBuilder(doc, "generator")
    assert pick_network(doc) == "generator"
    assert pick_network(doc, "discriminator") == "discriminator"
    GraphBuilder(doc, "model")
    assert pick_network(doc) == "model"
    with pytest.raises(ExportError, match="no network 'critic'.*discriminator, generator, model"):
        pick_network(doc, "critic")
    only = Document(networks={})
    GraphBuilder(only, "encoder")
    assert pick_network(only) == "encoder"
