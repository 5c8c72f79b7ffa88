"""Fitting a network to its data is ordinary ops: variables where the document uses them,
params where it holds literals, and one Batch whose inverse restores the file byte for byte."""
from __future__ import annotations

from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.core.fit_data import classifier_layer, fit_ops
from studio.core.serialize import dumps
from studio.core.shapes import ShapeInference
from studio.core.templates import open_document


def _errors(doc) -> list:
    """The network's shape diagnostics after the fit: a fitted network must infer cleanly."""
    return [d for d in ShapeInference().infer(doc, "model").diagnostics
            if d.severity == "error"]


def test_variables_are_set_where_the_template_uses_them():
    doc, _, _ = open_document("lenet5")
    fit = fit_ops(doc, "model", {"input1": (3, 32, 32)}, 4)
    before = dumps(doc)
    undo = fit.batch().apply(doc)
    assert doc.variables["in_channels"] == 3 and doc.variables["num_classes"] == 4
    assert doc.graph("model").nodes["input1"].params["shape"] == \
        ["$in_channels", "$input_size", "$input_size"]  # the references stay
    assert fit.changes == ["variable in_channels: 1 -> 3", "variable num_classes: 10 -> 4"]
    assert _errors(doc) == []
    undo.apply(doc)
    assert dumps(doc) == before


def test_a_rank_change_sets_the_input_shape_literally():
    doc, _, _ = open_document("mlp")
    fit = fit_ops(doc, "model", {"input1": (4,)}, 3, {"input1": "x"})
    fit.batch().apply(doc)
    params = doc.graph("model").nodes["input1"].params
    assert params["shape"] == [4] and params["field"] == "x"
    assert _errors(doc) == []


def test_two_dimensional_images_feed_a_one_channel_input_through_its_size_variable():
    doc, _, _ = open_document("mlp")
    fit = fit_ops(doc, "model", {"input1": (28, 28)}, None)
    assert fit.changes == ["variable input_size: 8 -> 28"]


def test_literals_are_changed_in_the_params_and_agreement_changes_nothing():
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[1, 8, 8])
    y = b.add("io.Target", shape=[], dtype="int64", id="label")
    logits = b.add("linear.Linear", b.add("reshape.Flatten", x), out_features=3)
    b.add("loss.CrossEntropy", logits, y)
    assert classifier_layer(doc, "model") == (logits, "out_features")
    assert fit_ops(doc, "model", {x: (1, 8, 8)}, 3).ops == []
    fit = fit_ops(doc, "model", {x: (1, 8, 16)}, 5)
    fit.batch().apply(doc)
    assert doc.graph("model").nodes[x].params["shape"] == [1, 8, 16]
    assert doc.graph("model").nodes[logits].params["out_features"] == 5


def test_one_variable_for_two_different_sizes_becomes_a_literal_shape():
    doc, _, _ = open_document("lenet5")
    fit = fit_ops(doc, "model", {"input1": (1, 28, 32)}, None)
    fit.batch().apply(doc)
    assert doc.graph("model").nodes["input1"].params["shape"] == [1, 28, 32]
    assert doc.variables["input_size"] == 32  # left alone: other nodes may read it

