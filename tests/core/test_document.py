"""The document format: round trips, migrations, errors that name their place, atomic saves."""
import json
import os

import pytest

from studio.core import serialize
from studio.core.diagnostics import ERROR, DocumentError
from studio.core.document import SCHEMA_VERSION
from studio.core.templates import template_names, template_path


def test_round_trip_is_exact(small_doc, tmp_path):
    path = tmp_path / "a.nnet.json"
    serialize.save(small_doc, path)
    loaded, diags = serialize.load(path)
    assert diags == []
    assert loaded.to_json() == small_doc.to_json()
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION


@pytest.mark.parametrize("name", template_names())
def test_templates_load_without_diagnostics(name):
    doc, diags = serialize.load(template_path(name))
    assert [d for d in diags if d.severity == ERROR] == []
    assert doc.to_json()["format"] == "netstudio"


def test_version_1_edges_are_migrated(small_doc):
    raw = small_doc.to_json()
    raw["schema_version"] = 1
    del raw["presets"]
    for graph in raw["networks"].values():
        graph["edges"] = [{"from": f"{e['src'][0]}:{e['src'][1]}", "to": f"{e['dst'][0]}:{e['dst'][1]}"}
                          for e in graph["edges"]]
    doc, diags = serialize.document_from_json(raw)
    assert doc.to_json() == small_doc.to_json()
    assert any("edges_as_port_pairs" in d.message for d in diags)


def test_newer_file_is_refused_with_a_reason(small_doc):
    raw = small_doc.to_json()
    raw["schema_version"] = SCHEMA_VERSION + 3
    with pytest.raises(DocumentError, match="newer NetStudio"):
        serialize.document_from_json(raw)


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON at line 1"),
    ('{"format": "other"}', "not a NetStudio document"),
    ('[1, 2]', "document: expected an object"),
    ('{"format": "netstudio", "schema_version": 2, "networks": {"model": {"nodes": {}}}}',
     "networks.model.nodes: expected a list"),
    ('{"format": "netstudio", "schema_version": 2, "networks": {"model": {"nodes": [{"id": "a"}]}}}',
     r"networks.model.nodes\[0\].type: expected a string, got nothing"),
    ('{"format": "netstudio", "schema_version": 2, "networks": {"model": {"nodes": [],'
     ' "edges": [{"src": "a", "dst": ["b", "x"]}]}}}', r"networks.model.edges\[0\].src"),
])
def test_unreadable_files_name_the_place(tmp_path, text, message):
    path = tmp_path / "broken.nnet.json"
    path.write_text(text)
    with pytest.raises(DocumentError, match=message) as info:
        serialize.load(path)
    assert str(path) in str(info.value)


def test_bad_param_value_is_a_diagnostic_with_its_path(small_doc):
    raw = small_doc.to_json()
    raw["networks"]["model"]["nodes"][3]["params"]["out_features"] = "3x3"
    doc, diags = serialize.document_from_json(raw)
    assert [str(d) for d in diags] == [
        "error: networks.model.nodes[3].params.out_features: expected int >= 1, got '3x3'"]
    assert doc.networks["model"].nodes["linear1"].params["out_features"] == "3x3"  # kept


def test_unknown_node_type_is_kept_as_a_placeholder(small_doc):
    raw = small_doc.to_json()
    raw["networks"]["model"]["nodes"].append(
        {"id": "fancy1", "type": "future.FancyLayer", "params": {"alpha": 3}, "ui": {}})
    doc, diags = serialize.document_from_json(raw)
    assert doc.networks["model"].nodes["fancy1"].params == {"alpha": 3}
    assert "unknown node type 'future.FancyLayer'" in diags[0].message
    assert serialize.document_from_json(doc.to_json())[0].to_json() == doc.to_json()


def test_duplicate_ids_are_renamed_not_dropped(small_doc):
    raw = small_doc.to_json()
    nodes = raw["networks"]["model"]["nodes"]
    nodes.append(dict(nodes[2], ui={}))
    doc, diags = serialize.document_from_json(raw)
    assert len(doc.networks["model"].nodes) == len(nodes)
    assert "duplicate id 'flatten1' (first used by nodes[2])" in diags[0].message


def test_crash_during_save_keeps_the_previous_file(small_doc, tmp_path, monkeypatch):
    path = tmp_path / "a.nnet.json"
    serialize.save(small_doc, path)
    before = path.read_bytes()
    small_doc.meta["name"] = "changed"

    def crash(*args):
        raise OSError("disk vanished")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        serialize.save(small_doc, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.nnet.json"]  # no temp file left


def test_copy_is_equal_independent_and_unsubscribed():
    doc = next(d for d in (serialize.load(template_path(n))[0] for n in template_names())
               if d.blocks and d.presets)
    doc.subscribe(lambda event, info: None)
    before = doc.to_json()
    copy = doc.copy()
    assert copy.to_json() == before and copy._listeners == []
    block = next(iter(copy.blocks.values()))
    next(iter(block.graph.nodes.values())).params["marker"] = 1
    next(iter(copy.networks["model"].nodes.values())).ui["pos"] = [-1, -1]
    copy.presets.clear()
    copy.networks["model"].edges.clear()
    assert doc.to_json() == before and copy.to_json() != before
    assert doc.copy().to_json() == serialize.loads(serialize.dumps(doc))[0].to_json()
