"""Edits are invertible: random op sequences undone in reverse give the original document back,
as the same saved text (``tests/core/test_undo_property.py`` does the same on every template)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.core import grouping
from studio.core.document import Edge, Node
from studio.core.ops import (AddNode, Connect, Disconnect, MoveNodes, OpError, RemoveNode,
                             RenameNode, SetParams, SetVariable)
from studio.core.ports import node_ports
from studio.core.serialize import dumps
from studio.core.shapes import ShapeInference
from studio.core.templates import open_document

TYPES = ["activation.ReLU", "linear.Linear", "activation.Tanh", "merge.Add"]


def _free_inputs(doc, scope):
    graph = doc.graph(scope)
    return [(n.id, p.name) for n in graph.nodes.values() for p in node_ports(doc, n)[0]
            if graph.edge_into(n.id, p.name) is None]


def _outputs(doc, scope):
    graph = doc.graph(scope)
    return [(n.id, p.name) for n in graph.nodes.values() for p in node_ports(doc, n)[1]]


def _random_op(data, doc, scope):
    graph = doc.graph(scope)
    ids = list(graph.nodes)
    kind = data.draw(st.sampled_from(
        ["add", "remove", "connect", "disconnect", "params", "move", "rename", "variable",
         "group", "ungroup"]))
    if kind == "add":
        t = data.draw(st.sampled_from(TYPES))
        return AddNode(scope, Node(graph.new_id("n"), t, {}, {"pos": [1.0, 2.0]}),
                       data.draw(st.integers(0, len(ids))))
    if kind == "remove" and ids:
        return RemoveNode(scope, data.draw(st.sampled_from(ids)))
    if kind == "connect" and _free_inputs(doc, scope) and _outputs(doc, scope):
        return Connect(scope, Edge(data.draw(st.sampled_from(_outputs(doc, scope))),
                                   data.draw(st.sampled_from(_free_inputs(doc, scope)))))
    if kind == "disconnect" and graph.edges:
        return Disconnect(scope, data.draw(st.sampled_from(graph.edges)))
    if kind == "params" and ids:
        nid = data.draw(st.sampled_from(ids))
        values = {data.draw(st.sampled_from(["out_features", "alpha", "zzz"])): data.draw(
            st.one_of(st.integers(1, 64), st.text(max_size=3), st.lists(st.integers(), max_size=2)))}
        remove = tuple(data.draw(st.lists(st.sampled_from(list(graph.nodes[nid].params) or ["x"]),
                                          max_size=1)))
        return SetParams(scope, nid, values, tuple(k for k in remove if k not in values))
    if kind == "move" and ids:
        chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        return MoveNodes(scope, {n: [data.draw(st.floats(-1e3, 1e3)), 5.0] for n in chosen})
    if kind == "rename" and ids:
        return RenameNode(scope, data.draw(st.sampled_from(ids)), data.draw(st.text(max_size=5)))
    if kind == "variable":
        return SetVariable(scope, data.draw(st.sampled_from(["classes", "hidden", "new"])),
                           data.draw(st.one_of(st.none(), st.integers(1, 9))))
    if kind == "group" and ids:
        chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True))
        return grouping.group(doc, scope, chosen, f"blk{len(doc.blocks) + 1}")
    if kind == "ungroup":
        blocks = [n.id for n in graph.nodes.values() if n.type == "block.Block"]
        if blocks:
            return grouping.ungroup(doc, scope, data.draw(st.sampled_from(blocks)))
    return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_edits_undo_exactly(small_doc, data):
    doc = small_doc.copy()
    original = dumps(doc)
    inverses = []
    for _ in range(data.draw(st.integers(1, 25))):
        before = dumps(doc)
        try:
            op = _random_op(data, doc, "model")
        except OpError:  # refused while being prepared (e.g. a block name in use)
            assert dumps(doc) == before
            continue
        if op is None:
            continue
        try:
            inverses.append(op.apply(doc))
        except OpError:
            assert dumps(doc) == before  # a refused edit changes nothing
    for inverse in reversed(inverses):
        inverse.apply(doc)
    assert dumps(doc) == original


def test_events_are_emitted(small_doc):
    seen = []
    small_doc.subscribe(lambda event, info: seen.append((event, info.get("node"))))
    undo = RemoveNode("model", "relu1").apply(small_doc)
    undo.apply(small_doc)
    assert seen[:3] == [("edge_removed", None), ("edge_removed", None), ("node_removed", "relu1")]
    assert ("node_added", "relu1") in seen


def test_connect_refuses_an_occupied_input(small_doc):
    with pytest.raises(OpError, match="already connected"):
        Connect("model", Edge(("input1", "y"), ("relu1", "x"))).apply(small_doc)


def test_group_then_ungroup_keeps_the_network_meaning():
    doc, _, _ = open_document("lenet5")
    before = ShapeInference().infer(doc, "model")
    chosen = ["c3", "tanh2", "s4"]
    grouped = grouping.group(doc, "model", chosen, "stage")
    undo_group = grouped.apply(doc)
    assert set(doc.blocks["stage"].graph.nodes) >= set(chosen)
    block_id = next(n.id for n in doc.networks["model"].nodes.values() if n.type == "block.Block")
    mid = ShapeInference().infer(doc, "model")
    assert mid.diagnostics == []
    assert mid.total_params == before.total_params == 61_706
    undo_ungroup = grouping.ungroup(doc, "model", block_id).apply(doc)
    after = ShapeInference().infer(doc, "model")
    assert "stage" not in doc.blocks
    assert after.total_params == 61_706 and after.diagnostics == []
    undo_ungroup.apply(doc)
    undo_group.apply(doc)
    assert dumps(doc) == dumps(open_document("lenet5")[0])


def test_ungroup_substitutes_block_arguments():
    from studio.core.builder import GraphBuilder
    from studio.core.document import BlockDef, Document, Graph
    doc = Document(variables={"w": 4})
    doc.blocks["dense"] = BlockDef(Graph(), params={"units": 8})
    inner = GraphBuilder(doc, "block:dense")
    bx = inner.add("io.BlockInput", name="x")
    h = inner.add("linear.Linear", bx, out_features="=units * 2")
    inner.add("io.BlockOutput", h, name="y")
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[3])
    blk = b.add("block.Block", x, block="dense", units="$w")
    b.add("io.Output", blk)
    assert ShapeInference().infer(doc, "model").total_params == 3 * 8 + 8
    grouping.ungroup(doc, "model", blk).apply(doc)
    linear = doc.networks["model"].nodes["linear1"]
    assert linear.params["out_features"] == "=w * 2"
    assert ShapeInference().infer(doc, "model").total_params == 3 * 8 + 8
