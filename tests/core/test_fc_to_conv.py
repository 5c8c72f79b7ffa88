"""Fully connected layers as convolutions, the document edit: which nodes it makes, the exact
undo, and the one-line refusals naming the node (the weights: tests/compile/test_fc_weights.py)."""
import pytest

from studio.core.builder import GraphBuilder
from studio.core.diagnostics import ERROR
from studio.core.document import Document, Edge
from studio.core.fc_to_conv import FcToConvError, fc_to_conv_op
from studio.core.serialize import dumps
from studio.core.templates import open_document
from studio.core.validate import validate_document
from studio.core.variables import apply_preset


def _template(name):
    return apply_preset(open_document(name)[0])


def _types(doc):
    return {nid: n.type for nid, n in doc.graph("model").nodes.items()}


def test_lenet5_head_becomes_convolutions_pool_and_class_map():
    doc = _template("lenet5")
    batch, head = fc_to_conv_op(doc, "model", "f6")
    assert head.linears == ["f6", "output"] and head.map_shape == (120, 1, 1)
    batch.apply(doc)
    graph, types = doc.graph("model"), _types(doc)
    assert "reshape.Flatten" not in types.values() and "linear.Linear" not in types.values()
    assert types["f6"] == types["output"] == "conv.Conv2d"  # same ids: same module names
    assert graph.nodes["f6"].params == {"out_channels": 84, "kernel_size": [1, 1]}
    assert graph.nodes["output"].params == {"out_channels": "$num_classes", "kernel_size": 1}
    pool = next(n for n, t in types.items() if t == "pooling.GlobalAvgPool")
    # the logits Output and the loss now read the pooled class map, the new Output the map
    assert {e.dst[0] for e in graph.edges if e.src[0] == pool} == {"logits", "crossentropy1"}
    maps = [n for n in graph.nodes.values() if n.type == "io.Output" and
            graph.edge_into(n.id, "x").src[0] == "output"]
    assert [n.params["name"] for n in maps] == ["class_map"]
    assert [d for d in validate_document(doc) if d.severity == ERROR] == []


def test_undo_restores_the_saved_text_byte_for_byte_and_redo_the_edit():
    doc = _template("mlp")
    before = dumps(doc)
    batch, _ = fc_to_conv_op(doc, "model", "linear2")  # any Linear of the head finds it
    undo = batch.apply(doc)
    after = dumps(doc)
    assert after != before
    redo = undo.apply(doc)
    assert dumps(doc) == before
    redo.apply(doc)
    assert dumps(doc) == after


def test_an_mlp_on_images_gets_the_whole_image_as_first_kernel():
    doc = _template("mlp")
    flatten = next(n for n, t in _types(doc).items() if t == "reshape.Flatten")
    batch, head = fc_to_conv_op(doc, "model", flatten)
    assert head.map_shape == (1, 8, 8) and head.in_features == [64, 128, 64]
    batch.apply(doc)
    first = doc.graph("model").nodes[head.linears[0]]
    assert first.params == {"out_channels": "$hidden1", "kernel_size": [8, 8]}  # $var kept


def _net(*layers, flatten_input=(4, 3, 3)) -> Document:
    doc = Document()
    b = GraphBuilder(doc)
    h = b.add("io.Input", shape=list(flatten_input), field="image")
    h = b.add("reshape.Flatten", h)
    for type_id, params in layers:
        h = b.add(type_id, h, **params)
    b.add("io.Output", h, name="y")
    return doc


def test_a_layer_that_cannot_take_the_map_is_named():
    doc = _net(("linear.Linear", {"out_features": 6}), ("norm.BatchNorm1d", {}),
               ("linear.Linear", {"out_features": 3}))
    with pytest.raises(FcToConvError,
                       match=r"^batchnorm1: after the conversion: expects \(N, C\)"):
        fc_to_conv_op(doc, "model", "linear1")


@pytest.mark.parametrize("build, node, message", [
    (lambda: _template("lenet5"), "c3", "c3: no Flatten -> Linear head here"),
    (lambda: _template("logistic-regression"), "linear1", "linear1: no Flatten"),
    (lambda: _net(("linear.Linear", {"out_features": 3}), flatten_input=(12,)), "flatten1",
     r"flatten1: expected a \(N, C, H, W\) feature map to flatten, received N×12"),
    (lambda: _net(("activation.ReLU", {})), "flatten1", "flatten1: expected a Linear"),
    (lambda: _template("lenet5"), "nope", "model: no node 'nope'"),
])
def test_what_cannot_be_converted_is_one_line_naming_the_node(build, node, message):
    doc = build()
    before = dumps(doc)
    with pytest.raises(FcToConvError, match=message):
        fc_to_conv_op(doc, "model", node)
    assert dumps(doc) == before  # refused before anything changed


def test_a_looping_document_is_refused_not_walked_forever():
    doc = _net(("activation.ReLU", {}), ("activation.ReLU", {}))
    # a hostile file may feed a port twice and so close a loop: relu2 -> relu1
    graph = doc.graph("model")
    graph.edges = [e for e in graph.edges if e.src[0] != "relu2"] + [
        Edge(("relu2", "y"), ("relu1", "x"))]
    with pytest.raises(FcToConvError, match="flatten1: expected a Linear"):
        fc_to_conv_op(doc, "model", "flatten1")
