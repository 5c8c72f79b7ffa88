"""Ops check their arguments when they are made: an OpError naming the op, the argument and what
was expected, never a TypeError from halfway through an edit."""
import pytest

from studio.core.document import BlockDef, Edge, Node
from studio.core.ops import (AddBlock, AddNode, Batch, Connect, Disconnect, MoveNodes, OpError,
                             RemoveBlock, RemoveNode, RenameNode, SetParams, SetTraining,
                             SetVariable)

BAD = [
    (lambda: SetVariable("base", {"k": 1}), r"SetVariable\.name: expected a variable name.*dict"),
    (lambda: SetVariable("model", "width", {"k": 1}), r"SetVariable\.value: expected None "
                                                      r"\(delete\) or a number.*got dict"),
    (lambda: SetVariable("model", "2x", 1), r"SetVariable\.name: .*got str '2x'"),
    (lambda: SetVariable("model", "w", 10 ** 5000),
     r"SetVariable\.value: .*integer of at most 100 char.*too large to print"),
    (lambda: SetParams("model", 3, {}), r"SetParams\.node_id: expected non-empty text, got int 3"),
    (lambda: SetParams("model", "n", {"a": object()}), r"SetParams\.values\['a'\]: expected a JSON"),
    (lambda: SetParams("model", "n", {"a": 1}, ("a",)), r"SetParams\.remove: \['a'\] also set"),
    (lambda: SetParams("model", "n", {1: 1}), r"SetParams\.values key: expected non-empty text"),
    (lambda: SetParams("model", "n", {}, "ab"), r"SetParams\.remove: expected a list of param"),
    (lambda: MoveNodes("model", {"n": ["a", 1]}), r"MoveNodes\.positions\['n'\]: expected None "
                                                  r"or \[x, y\]"),
    (lambda: MoveNodes("model", {"n": [float("nan"), 1]}), r"MoveNodes\.positions\['n'\]"),
    (lambda: MoveNodes("model", {"n": [True, 1]}), r"MoveNodes\.positions\['n'\]"),
    (lambda: MoveNodes("model", [1, 2]), r"MoveNodes\.positions: expected a dict"),
    (lambda: RenameNode("model", "n", 5), r"RenameNode\.name: expected text, got int 5"),
    (lambda: RenameNode("model", "n", "\ud800"), r"RenameNode\.name: expected valid Unicode"),
    (lambda: Connect("model", Edge(["a"], ("b", "x"))), r"Connect\.edge\.src: expected \(node"),
    (lambda: Disconnect("model", ("a", "b")), r"Disconnect\.edge: expected an Edge"),
    (lambda: AddNode("model", "n"), r"AddNode\.node: expected a Node, got str"),
    (lambda: AddNode("model", Node("n", "t", {"k": {1, 2}})), r"AddNode\.node\.params\['k'\]"),
    (lambda: AddNode("model", Node("n", "t"), -1), r"AddNode\.index: expected None or an index"),
    (lambda: AddNode("model", Node("", "t")), r"AddNode\.node\.id: expected non-empty text"),
    (lambda: SetTraining("model", {"epochs": 10 ** 5000}), r"SetTraining\.values\['epochs'\]"),
    (lambda: SetTraining("model", ["epochs"]), r"SetTraining\.values: expected a dict"),
    (lambda: AddBlock("model", "b", "not a block"), r"AddBlock\.block: expected a BlockDef"),
    (lambda: RemoveBlock("model", ["b"]), r"RemoveBlock\.name: expected non-empty text"),
    (lambda: Batch("model", [1, 2]), r"Batch\.ops: expected a list of ops"),
    (lambda: SetParams("model", "n", {"seed": -10 ** 100}), r"integer of at most 100 char.*"
                                                             r"got int -1000"),
    (lambda: RemoveNode(None, "n"), r"RemoveNode\.scope: expected non-empty text, got NoneType"),
    (lambda: SetParams("model", "n", {"deep": _nested(200)}), r"nested at most 56 levels"),
]


def _nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("make, message", BAD, ids=[str(i) for i in range(len(BAD))])
def test_a_malformed_op_is_an_op_error_when_it_is_made(make, message):
    with pytest.raises(OpError, match=message):
        make()


def test_well_formed_arguments_are_kept_or_normalised():
    move = MoveNodes("model", {"a": (1, 2), "b": [0.5, -3], "c": None})
    assert move.positions == {"a": [1, 2], "b": [0.5, -3], "c": None}
    assert Connect("model", Edge(["a", "y"], ["b", "x"])).edge == Edge(("a", "y"), ("b", "x"))
    assert SetParams("model", "n", {"k": [1, {"x": None}]}, ["j"]).remove == ("j",)
    assert SetTraining("model", {"optimizer": None}).values == {"optimizer": None}
    assert AddBlock("model", "b", BlockDef()).index is None
    assert SetVariable("model", "w", [1, "=2*x", [True, 0.5]]).value == [1, "=2*x", [True, 0.5]]


def test_an_unknown_scope_is_an_op_error_when_applied(small_doc):
    with pytest.raises(OpError, match="no network or block 'nowhere'"):
        RemoveNode("nowhere", "relu1").apply(small_doc)
    with pytest.raises(OpError, match="position 99"):
        AddNode("model", Node("n1", "activation.ReLU"), 99).apply(small_doc)


def test_tuples_are_held_as_the_lists_a_saved_document_would_hold(small_doc):
    from studio.core.serialize import document_from_json, dumps
    AddNode("model", Node("c1", "conv.Conv2d", {"kernel_size": (3, 3)}, {"pos": (1, 2)})
            ).apply(small_doc)
    SetParams("model", "c1", {"stride": (1, 1)}).apply(small_doc)
    SetVariable("model", "shape", (1, (2, 3))).apply(small_doc)
    assert small_doc.networks["model"].nodes["c1"].params == {"kernel_size": [3, 3],
                                                               "stride": [1, 1]}
    assert small_doc.variables["shape"] == [1, [2, 3]]
    reloaded = document_from_json(small_doc.to_json())[0]
    assert reloaded == small_doc and dumps(reloaded) == dumps(small_doc)
