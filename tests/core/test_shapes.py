"""Shape inference: exact, cached, and re-run only where an edit changed something."""
from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.core.ops import SetParams
from studio.core.shapes import ShapeInference
from studio.core.templates import open_document


def chain(n=60):
    doc = Document()
    b = GraphBuilder(doc)
    h = b.add("io.Input", shape=[16])
    for i in range(n):
        h = b.add("linear.Linear", h, out_features=16 + i % 3)
        h = b.add("activation.Tanh", h)
    b.add("io.Output", h)
    return doc


def test_an_edit_reruns_only_what_it_changed():
    doc = chain()
    inference = ShapeInference()
    inference.infer(doc, "model")
    first = inference.runs
    assert inference.infer(doc, "model").diagnostics == [] and inference.runs == first  # all cached
    SetParams("model", "linear30", {"out_features": 40}).apply(doc)
    result = inference.infer(doc, "model")
    # the edited Linear and the next one (new input width); the Tanh between them is
    # elementwise, so its cached stand-in result still holds
    assert inference.runs - first == 2
    assert result.outputs["linear31"]["y"].shape == (2, 16 + 30 % 3)
    assert result.outputs["tanh30"]["y"].shape == (2, 40)


def test_editing_a_block_body_reinfers_its_callers():
    from support.docs import residual_doc
    doc = residual_doc(repeat=2)
    inference = ShapeInference()
    before = inference.infer(doc, "model")
    SetParams("block:basic", "conv1", {"kernel_size": 5, "padding": 2}).apply(doc)
    after = inference.infer(doc, "model")
    assert after.param_counts["layer1"] > before.param_counts["layer1"]


def test_labels_show_the_batch_symbolically():
    doc, _, _ = open_document("lenet5")
    result = ShapeInference().infer(doc, "model")
    assert result.outputs["c1"]["y"].label() == "N×6×28×28"
    assert result.outputs["label"]["y"].label() == "N int64"


def test_parameter_counts_come_from_meta_modules():
    doc, _, _ = open_document("lenet5")
    result = ShapeInference().infer(doc, "model")
    assert result.param_counts["c3"] == 16 * (6 * 25 + 1)
    assert result.total_params == 61_706


def test_upstream_error_is_reported_once():
    doc = chain(5)
    SetParams("model", "linear2", {"out_features": 0}).apply(doc)
    result = ShapeInference().infer(doc, "model")
    assert [(d.node, d.param) for d in result.diagnostics] == [("linear2", "out_features")]


def test_nodes_listed_after_their_consumers_are_still_inferred_first():
    """Document order is usually data order (a shortcut takes it as is); when it is not, the
    order follows the edges, and independent nodes keep their document order."""
    forward = chain(n=4)
    expected = ShapeInference().infer(forward, "model")
    backward = chain(n=4)
    graph = backward.networks["model"]
    graph.nodes = dict(reversed(list(graph.nodes.items())))
    result = ShapeInference().infer(backward, "model")
    assert result.diagnostics == []
    assert result.outputs == expected.outputs
    assert result.order == expected.order  # a chain has one order, whatever the listing
    assert result.order[0] == "input1" and result.order[-1] == "output1"

    # two independent branches: the one listed first in the document comes first
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[8])
    left = b.add("linear.Linear", x, out_features=3)
    right = b.add("linear.Linear", x, out_features=5)
    b.add("io.Output", b.add("merge.Concat", left, right, dim=1))
    graph = doc.networks["model"]
    nodes = list(graph.nodes.items())
    graph.nodes = dict([nodes[-1], nodes[-2], nodes[2], nodes[1], nodes[0]])  # right before left
    order = ShapeInference().infer(doc, "model").order
    assert order.index(right) < order.index(left)
    assert order[0] == x and order[-2:] == [nodes[-2][0], nodes[-1][0]]
