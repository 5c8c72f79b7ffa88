"""Hand-written broken documents, each with the diagnostic a user should see."""
import pytest

from studio.core.builder import GraphBuilder
from studio.core.diagnostics import ERROR
from studio.core.document import BlockDef, Document, Edge, Graph, Node
from studio.core.serialize import document_from_json
from studio.core.validate import validate_document


def mlp(**linear):
    doc = Document(variables={"classes": 3})
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[8])
    h = b.add("linear.Linear", x, out_features=linear.pop("out_features", 4), **linear)
    b.add("io.Output", b.add("activation.ReLU", h))
    return doc, b


def graph(doc):
    return doc.networks["model"]


def case_cycle():
    doc, b = mlp()
    graph(doc).edges.remove(Edge(("input1", "y"), ("linear1", "x")))
    graph(doc).edges.append(Edge(("relu1", "y"), ("linear1", "x")))
    return doc


def case_unconnected_input():
    doc, b = mlp()
    graph(doc).edges.remove(Edge(("linear1", "y"), ("relu1", "x")))
    return doc


def case_shape_mismatch_conv_on_flat():
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[120])
    b.add("io.Output", b.add("conv.Conv2d", x, out_channels=6, kernel_size=5))
    return doc


def case_concat_mismatch():
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[3, 8, 8])
    a = b.add("conv.Conv2d", x, out_channels=4, kernel_size=3)
    c = b.add("conv.Conv2d", x, out_channels=4, kernel_size=1)
    b.add("io.Output", b.add("merge.Concat", a, c))
    return doc


def case_add_mismatch():
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[8])
    b.add("io.Output", b.add("merge.Add", b.add("linear.Linear", x, out_features=3),
                             b.add("linear.Linear", x, out_features=5)))
    return doc


def case_kernel_larger_than_input():
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[1, 4, 4])
    b.add("io.Output", b.add("conv.Conv2d", x, out_channels=2, kernel_size=7))
    return doc


def case_param_out_of_range():
    return mlp(out_features=0)[0]


def case_param_wrong_type():
    return mlp(out_features="3x3")[0]


def case_choice_not_allowed():
    doc, b = mlp()
    graph(doc).nodes["input1"].params["dtype"] = "complex64"
    return doc


def case_unknown_variable():
    return mlp(out_features="$clases")[0]


def case_bad_expression():
    return mlp(out_features="=classes *")[0]


def case_expression_with_call():
    return mlp(out_features="=__import__('os')")[0]


def case_unknown_block():
    doc, b = mlp()
    b.add("block.Block", "relu1", block="nope")
    return doc


def case_block_uses_itself():
    doc, b = mlp()
    doc.blocks["loop"] = BlockDef(Graph())
    inner = GraphBuilder(doc, "block:loop")
    inner.add("io.BlockOutput", inner.add("block.Block", inner.add("io.BlockInput"), block="loop"))
    b.add("block.Block", "relu1", block="loop")
    return doc


def case_block_body_error():
    doc, b = mlp()
    doc.blocks["bad"] = BlockDef(Graph())
    inner = GraphBuilder(doc, "block:bad")
    inner.add("io.BlockOutput", inner.add("conv.Conv2d", inner.add("io.BlockInput")))
    b.add("block.Block", "relu1", block="bad")
    return doc


def case_repeat_with_two_outputs():
    doc, b = mlp()
    doc.blocks["two"] = BlockDef(Graph())
    inner = GraphBuilder(doc, "block:two")
    x = inner.add("io.BlockInput")
    inner.add("io.BlockOutput", x, name="a")
    inner.add("io.BlockOutput", x, name="b")
    b.add("block.Block", "relu1", block="two", repeat=3)
    return doc


def case_missing_input_node():
    doc = Document()
    b = GraphBuilder(doc)
    b.add("io.Output")
    return doc


def case_missing_output_node():
    doc = Document()
    GraphBuilder(doc).add("io.Input", shape=[3])
    return doc


def case_edge_to_missing_node():
    doc, b = mlp()
    graph(doc).edges.append(Edge(("ghost", "y"), ("relu1", "z")))
    return doc


def case_edge_from_unknown_port():
    doc, b = mlp()
    graph(doc).edges.remove(Edge(("linear1", "y"), ("relu1", "x")))
    graph(doc).edges.append(Edge(("linear1", "out"), ("relu1", "x")))
    return doc


def case_input_fed_twice():
    doc, b = mlp()
    graph(doc).edges.append(Edge(("input1", "y"), ("relu1", "x")))
    return doc


def case_duplicate_ids():
    doc, b = mlp()
    raw = doc.to_json()
    raw["networks"]["model"]["nodes"].append({"id": "relu1", "type": "activation.ReLU"})
    return raw


def case_unknown_type():
    doc, b = mlp()
    graph(doc).nodes["mystery1"] = Node("mystery1", "vendor.Mystery", {"k": 1})
    return doc


def case_embedding_needs_integers():
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[5])
    b.add("io.Output", b.add("recurrent.Embedding", x, num_embeddings=10, embedding_dim=4))
    return doc


def case_unknown_preset_variable():
    doc, b = mlp()
    doc.variables["width"] = "=classes * depth"
    return doc


CASES = [
    (case_cycle, "cycle: linear1 -> relu1 -> linear1"),
    (case_unconnected_input, "relu1: input 'x' is not connected"),
    (case_shape_mismatch_conv_on_flat, "conv1: expects (N, C, H, W), got (N×120)"),
    (case_concat_mismatch, "concat1: expects (N, a, *), (N, b, *) …, got (N×4×6×6), (N×4×8×8): "
                           "Sizes of tensors must match except in dimension 1"),
    (case_add_mismatch, "add1: expects (*), (*) …, got (N×3), (N×5): Attempting to broadcast"),
    (case_kernel_larger_than_input, "conv1: expects (N, C, H, W), got (N×1×4×4)"),
    (case_param_out_of_range, "linear1.params.out_features: expected int >= 1, got 0"),
    (case_param_wrong_type, "linear1.params.out_features: expected int >= 1, got '3x3'"),
    (case_choice_not_allowed, "input1.params.dtype: expected one of 'float32', 'int64', got 'complex64'"),
    (case_unknown_variable, "linear1.params.out_features: unknown variable 'clases'"),
    (case_bad_expression, "linear1.params.out_features: cannot read expression '=classes *'"),
    (case_expression_with_call, "linear1.params.out_features: not allowed in an expression"),
    (case_unknown_block, "block1: unknown block 'nope'"),
    (case_block_uses_itself, "block uses itself: loop -> loop"),
    (case_block_body_error, "block1: in block 'bad' (repeat 1): conv1: expects (N, C, H, W), got (N×4)"),
    (case_repeat_with_two_outputs, "block 'two' cannot repeat: it has 1 input(s) and 2 output(s)"),
    (case_missing_input_node, "the network has no Input node"),
    (case_missing_output_node, "the network has no Output node"),
    (case_edge_to_missing_node, "edges[3]: output end names node 'ghost', which does not exist"),
    (case_edge_from_unknown_port, "linear1: edges[2]: linear1 has no output port 'out' (it has: y)"),
    (case_input_fed_twice, "relu1: input 'x' has 2 incoming edges"),
    (case_duplicate_ids, "networks.model.nodes[4].id: duplicate id 'relu1'"),
    (case_unknown_type, "mystery1: unknown node type 'vendor.Mystery'"),
    (case_embedding_needs_integers, "embedding1: expects (N, T) int64"),
    (case_unknown_preset_variable, "variables: unknown variable 'depth'"),
]


@pytest.mark.parametrize("make, expected", CASES, ids=[c[0].__name__[5:] for c in CASES])
def test_broken_document_gets_its_message(make, expected):
    made = make()
    diags = []
    if isinstance(made, dict):
        made, diags = document_from_json(made)
    diags = diags + validate_document(made)
    messages = [str(d) for d in diags if d.severity == ERROR]
    assert any(expected in m for m in messages), messages


def test_valid_document_has_no_errors(small_doc):
    assert [d for d in validate_document(small_doc) if d.severity == ERROR] == []


def test_diagnostics_name_network_node_and_param():
    diag = next(d for d in validate_document(case_param_out_of_range()) if d.severity == ERROR)
    assert (diag.network, diag.node, diag.param) == ("model", "linear1", "out_features")
