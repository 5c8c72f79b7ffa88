"""Undo puts keys back where they were (saved text identical), and variables mean the same thing
whatever order the document lists them in. Regressions from issue 18's undo pass."""
import json

import pytest

from studio.core import grouping
from studio.core.diagnostics import ERROR
from studio.core.ops import (Batch, MoveNodes, OpError, RemoveNode, SetParams, SetTraining,
                             SetVariable)
from studio.core.params import ParamError
from studio.core.serialize import dumps, loads
from studio.core.templates import open_document
from studio.core.validate import validate_document
from studio.core.variables import resolve_values, scope_for


def _undo_is_exact(doc, op):
    """Apply ``op``, undo, redo, checking the saved text; the document is left edited."""
    before = dumps(doc)
    undo = op.apply(doc)
    after = dumps(doc)
    redo = undo.apply(doc)
    assert dumps(doc) == before
    redo.apply(doc)
    assert dumps(doc) == after
    return after


def test_deleting_a_variable_others_use_then_undo_restores_text_and_meaning():
    doc = open_document("dcgan")[0]
    assert list(doc.variables) == ["nz", "features", "channels", "base", "input_size"]
    _undo_is_exact(doc, SetVariable("model", "base", None))
    assert "base" not in doc.variables
    doc = open_document("dcgan")[0]
    undo = SetVariable("model", "base", None).apply(doc)
    undo.apply(doc)
    assert list(doc.variables)[3] == "base"  # back in place, before input_size = "=16*base"
    assert scope_for(doc)["input_size"] == 32


def test_variables_resolve_whatever_their_order():
    assert resolve_values({"input_size": "=16*base", "base": 2, "half": "=input_size // 2"}) \
        == {"input_size": 32, "base": 2, "half": 16}
    doc = open_document("dcgan")[0]
    doc.variables = dict(reversed(doc.variables.items()))  # input_size before base
    assert [d for d in validate_document(doc) if d.severity == ERROR] == []


def test_variables_in_a_loop_are_an_error_naming_the_loop():
    with pytest.raises(ParamError, match=r"refer to each other in a loop: (a -> b -> a|b -> a -> b)"):
        resolve_values({"a": "=b + 1", "b": "$a", "c": 3})


def test_an_edit_that_would_make_a_loop_is_refused_and_changes_nothing():
    doc = open_document("dcgan")[0]
    before = dumps(doc)
    with pytest.raises(OpError, match="loop: base -> input_size -> base"):
        SetVariable("model", "base", "=input_size / 16").apply(doc)
    assert dumps(doc) == before


@pytest.mark.parametrize("value, valid", [({"k": 1}, False), ([1, 2], True), ("=2*base", True),
                                          (True, True), ([{"k": 1}], False)])
def test_set_variable_accepts_what_documents_accept(value, valid):
    doc = open_document("dcgan")[0]
    if not valid:
        with pytest.raises(OpError, match=r"SetVariable\.value: expected .*, got (dict|list)"):
            SetVariable("model", "width", value)
        doc.variables["width"] = value  # the same value in a file is a diagnostic, not a crash
        found = [d for d in validate_document(doc) if d.severity == ERROR]
        assert any("variable 'width'" in d.message for d in found)
    else:
        _undo_is_exact(doc, SetVariable("model", "width", value))


def test_set_variable_none_deletes_and_undo_is_exact():
    doc = open_document("autoencoder")[0]
    _undo_is_exact(doc, SetVariable("model", "input_size", None))
    assert list(doc.variables) == ["code"]  # the redo left it deleted


def test_removed_params_come_back_in_place():
    doc = open_document("resnet18")[0]
    node = next(n for n in doc.networks["model"].nodes.values() if len(n.params) >= 3)
    middle = list(node.params)[1]
    _undo_is_exact(doc, SetParams("model", node.id, {"zzz": 1}, (middle,)))


def test_removed_training_keys_come_back_in_place():
    doc = open_document("lenet5")[0]
    _undo_is_exact(doc, SetTraining("model", {"optimizer": None, "extra": 1, "seed": None}))


def test_positions_keep_their_number_type():
    doc = open_document("mlp")[0]
    nid = next(iter(doc.networks["model"].nodes))
    MoveNodes("model", {nid: [120, 40]}).apply(doc)
    pos = doc.networks["model"].nodes[nid].ui["pos"]
    assert pos == [120, 40] and all(type(v) is int for v in pos)
    assert "120.0" not in dumps(doc)
    _undo_is_exact(doc, MoveNodes("model", {nid: (7, 2.5)}))
    _undo_is_exact(doc, MoveNodes("model", {nid: None}))


def test_removing_a_node_and_its_edges_then_undo_is_exact():
    doc = open_document("unet")[0]
    busiest = max(doc.networks["model"].nodes, key=lambda n: len(
        doc.networks["model"].edges_of(n)))
    _undo_is_exact(doc, RemoveNode("model", busiest))


def test_a_failing_batch_leaves_the_text_as_it_was():
    doc = open_document("lenet5")[0]
    before = dumps(doc)
    with pytest.raises(OpError, match="no node 'ghost'"):
        Batch("model", [SetTraining("model", {"epochs": None}), RemoveNode("model", "c3"),
                        RemoveNode("model", "ghost")]).apply(doc)
    assert dumps(doc) == before


def test_ungrouping_a_block_node_whose_block_is_a_list_is_an_op_error():
    doc = open_document("unet")[0]
    SetParams("model", "inc", {"block": ["double_conv"]}).apply(doc)
    with pytest.raises(OpError, match=r"inc\.params\.block: expected the name of a block .*"
                                      r"got list \['double_conv'\]"):
        grouping.ungroup(doc, "model", "inc")


def test_group_then_ungroup_then_undo_both_is_exact():
    doc = open_document("lenet5")[0]
    original = dumps(doc)
    undo_group = grouping.group(doc, "model", ["c3", "tanh2", "s4"], "stage").apply(doc)
    block = next(n.id for n in doc.networks["model"].nodes.values() if n.type == "block.Block")
    undo_ungroup = grouping.ungroup(doc, "model", block).apply(doc)
    undo_ungroup.apply(doc)
    undo_group.apply(doc)
    assert dumps(doc) == original


def test_nulls_a_loaded_file_holds_come_back_as_nulls_not_as_deletions():
    doc = open_document("mlp")[0]
    raw = doc.to_json()
    raw["training"]["seed"] = None
    raw["variables"]["spare"] = None
    first = raw["networks"]["model"]["nodes"][0]
    first["ui"] = {"pos": None, "colour": "red"}
    doc = loads(json.dumps(raw))[0]
    _undo_is_exact(doc, SetTraining("model", {"seed": 3}))
    _undo_is_exact(doc, SetVariable("model", "spare", 2))
    _undo_is_exact(doc, MoveNodes("model", {first["id"]: [1, 2]}))
