"""Mutations of the document's shape: swapped JSON types, deletions, broken structure.

Every mutation is ``mutate(draft, pick) -> label``: it edits ``draft`` in place using only
``pick.choice`` / ``pick.integer`` and returns what it did, readable enough to be a reproducer
("networks.model.nodes[3].params.stride = None"); ``pick.large`` says whether it may build
documents that are valid but slow (thousands of nodes). Mutations run on documents earlier mutations
already damaged, so each finds its target defensively and falls back to a generic edit.
The value families (expressions, numbers, encodings) are in :mod:`.values`.
"""
from __future__ import annotations

import copy

from .draft import Draft, describe, graph_edges, graph_nodes, graphs, locations
from .values import VALUE_MUTATIONS, put_anywhere

# One value of each JSON type, plus the near misses a hand-edited file has.
OTHER_TYPES = [None, True, False, 0, -1, 7, 2.5, "", "x", "$width", "=2*3", [], [1, 2], ["a"],
               [[1]], {}, {"a": 1}, {"nodes": []}]
SECTIONS = ["format", "schema_version", "meta", "variables", "presets", "training", "networks",
            "blocks"]


# -- types -------------------------------------------------------------------------------------

def swap_any_type(d: Draft, pick) -> str:
    """Any value anywhere becomes a value of another JSON type."""
    return put_anywhere(d, pick, pick.choice(OTHER_TYPES))


def swap_section_type(d: Draft, pick) -> str:
    if not isinstance(d.raw, dict):
        d.raw = {"format": "netstudio", "networks": d.raw}
        return "document wrapped in an object"
    key, value = pick.choice(SECTIONS), pick.choice(OTHER_TYPES)
    d.raw[key] = copy.deepcopy(value)
    return f"{key} = {describe(value)}"


def swap_node_field_type(d: Draft, pick) -> str:
    found = graph_nodes(d.raw)
    if not found:
        return swap_any_type(d, pick)
    where, _, node = pick.choice(found)
    key, value = pick.choice(["id", "type", "params", "ui", "name"]), pick.choice(OTHER_TYPES)
    node[key] = copy.deepcopy(value)
    return f"{where}.{key} = {describe(value)}"


def swap_param_type(d: Draft, pick) -> str:
    """A param (a block name, a size, a shape) given a value of the wrong type."""
    found = [(w, n) for w, _, n in graph_nodes(d.raw) if isinstance(n.get("params"), dict)]
    if not found:
        return swap_any_type(d, pick)
    where, node = pick.choice(found)
    params = node["params"]
    key = pick.choice(list(params) + ["block", "shape", "name", "repeat"])
    value = pick.choice(OTHER_TYPES + [["basic"], {"block": "basic"}, [[[]]], [None, None]])
    params[key] = copy.deepcopy(value)
    return f"{where}.params.{key} = {describe(value)}"


def swap_edge_type(d: Draft, pick) -> str:
    found = graph_edges(d.raw)
    if not found:
        return swap_any_type(d, pick)
    where, _, edge = pick.choice(found)
    key = pick.choice(["src", "dst"])
    value = pick.choice([None, "conv1:y", ["a"], ["a", "b", "c"], [1, 2], [None, "y"],
                         {"node": "a"}, [["a"], "y"], ["", ""]])
    edge[key] = copy.deepcopy(value)
    return f"{where}.{key} = {describe(value)}"


# -- deletions ---------------------------------------------------------------------------------

def drop_key(d: Draft, pick) -> str:
    found = [(c, k, p) for c, k, p in locations(d.raw) if isinstance(c, dict)]
    if not found:
        return swap_section_type(d, pick)
    container, key, place = pick.choice(found)
    del container[key]
    return f"deleted {place}"


def drop_section(d: Draft, pick) -> str:
    key = pick.choice(SECTIONS)
    if isinstance(d.raw, dict):
        d.raw.pop(key, None)
    return f"deleted section {key}"


def drop_node(d: Draft, pick) -> str:
    """A node removed; its edges stay and now dangle."""
    found = graph_nodes(d.raw)
    if not found:
        return drop_key(d, pick)
    where, graph, node = pick.choice(found)
    graph["nodes"].remove(node)
    return f"deleted {where} ({describe(node.get('id'))})"


def drop_edge(d: Draft, pick) -> str:
    found = graph_edges(d.raw)
    if not found:
        return drop_node(d, pick)
    where, graph, edge = pick.choice(found)
    graph["edges"].remove(edge)
    return f"deleted {where}"


def drop_list_item(d: Draft, pick) -> str:
    found = [(c, k, p) for c, k, p in locations(d.raw) if isinstance(c, list)]
    if not found:
        return drop_key(d, pick)
    container, key, place = pick.choice(found)
    del container[key]
    return f"deleted {place}"


# -- structure ---------------------------------------------------------------------------------

def duplicate_id(d: Draft, pick) -> str:
    found = graph_nodes(d.raw)
    if len(found) < 2:
        return drop_edge(d, pick)
    (where, _, node), (_, _, other) = pick.choice(found), pick.choice(found)
    node["id"] = copy.deepcopy(other.get("id"))
    return f"{where}.id = {describe(node['id'])} (a duplicate)"


def dangling_edge(d: Draft, pick) -> str:
    """An edge end that names a missing node or port, or loops back to its own node."""
    found = graph_edges(d.raw)
    if not found:
        return drop_node(d, pick)
    where, _, edge = pick.choice(found)
    key = pick.choice(["src", "dst"])
    end = edge.get(key) if isinstance(edge.get(key), list) else ["", ""]
    other = edge.get("dst" if key == "src" else "src")
    value = pick.choice([["ghost", "y"], [end[0] if end else "", "nope"], ["", ""],
                         list(other) if isinstance(other, list) else ["x", "x"]])
    edge[key] = value
    return f"{where}.{key} = {describe(value)}"


def extra_edge(d: Draft, pick) -> str:
    """A copy of an edge (an input fed twice) or an edge from a later node back (a cycle)."""
    found = graph_edges(d.raw)
    if not found:
        return drop_node(d, pick)
    (where, graph, edge), (_, _, later) = pick.choice(found), pick.choice(found)
    added = copy.deepcopy(edge) if pick.integer(0, 1) else \
        {"src": copy.deepcopy(later.get("src")), "dst": copy.deepcopy(edge.get("dst"))}
    graph["edges"].append(added)
    return f"{where} + edge {describe(added, 80)}"


def wrong_nesting(d: Draft, pick) -> str:
    found = graphs(d.raw)
    if not found:
        return swap_section_type(d, pick)
    where, graph = pick.choice(found)
    how = pick.choice(["nodes as object", "node in a list", "graph in a list", "graph in params",
                       "edges in nodes", "params in a list"])
    nodes = graph.get("nodes") if isinstance(graph.get("nodes"), list) else []
    if how == "nodes as object":
        graph["nodes"] = {str(n.get("id")) if isinstance(n, dict) else str(i): n
                          for i, n in enumerate(nodes)}
    elif how == "node in a list" and nodes:
        i = pick.integer(0, len(nodes) - 1)
        nodes[i] = [nodes[i]]
    elif how == "graph in a list":
        section, name = where.split(".", 1)
        d.raw[section][name] = [copy.deepcopy(graph)]
    elif how == "graph in params" and nodes and isinstance(nodes[0], dict):
        nodes[0]["params"] = copy.deepcopy(graph)
    elif how == "edges in nodes":
        graph["nodes"] = nodes + copy.deepcopy(graph.get("edges") or [])
    elif how == "params in a list" and nodes and isinstance(nodes[-1], dict):
        nodes[-1]["params"] = [nodes[-1].get("params")]
    return f"{where}: {how}"


def _block_target(d: Draft, pick):
    """(block name, block graph) to damage: an existing block, or one made from a network."""
    if not isinstance(d.raw, dict):
        return None, None
    if not isinstance(d.raw.get("blocks"), dict):
        d.raw["blocks"] = {}
    blocks = d.raw["blocks"]
    named = [(k, g) for k, g in blocks.items() if isinstance(g, dict)]
    if named:
        return pick.choice(named)
    blocks["loop"] = {"params": {}, "nodes": [
        {"id": "in_x", "type": "io.BlockInput", "params": {"name": "x"}},
        {"id": "mid", "type": "activation.ReLU", "params": {}},
        {"id": "out_y", "type": "io.BlockOutput", "params": {"name": "y"}}],
        "edges": [{"src": ["in_x", "y"], "dst": ["mid", "x"]},
                  {"src": ["mid", "y"], "dst": ["out_y", "x"]}]}
    return "loop", blocks["loop"]


def self_block(d: Draft, pick) -> str:
    """A block that instantiates itself: directly, through a variable, or via a second block."""
    name, block = _block_target(d, pick)
    inner = [n for n in block.get("nodes", []) if isinstance(n, dict) and
             n.get("type") not in ("io.BlockInput", "io.BlockOutput")] if block else []
    if not inner:
        return wrong_nesting(d, pick)
    node = pick.choice(inner)
    how = pick.choice(["directly", "through a variable", "through an expression variable"])
    ref = name
    if how != "directly":
        variables = d.raw.setdefault("variables", {})
        if isinstance(variables, dict):
            variables["blk"] = name if how == "through a variable" else f"={name}"
            ref = "$blk"
    node["type"], node["params"] = "block.Block", {"block": ref, "repeat": 1}
    return f"block {name!r}: node {describe(node.get('id'))} instantiates it {how}"


def odd_block_ports(d: Draft, pick) -> str:
    """BlockInput/Output names that are not names (-1, a list, a duplicate) or a Block node
    that references something that is not a block."""
    ports = [(w, n) for w, _, n in graph_nodes(d.raw)
             if n.get("type") in ("io.BlockInput", "io.BlockOutput", "block.Block")]
    if not ports:
        return self_block(d, pick)
    where, node = pick.choice(ports)
    key = "block" if node.get("type") == "block.Block" else "name"
    value = pick.choice([-1, 0, 1.5, ["x"], {"x": 1}, None, "", "y", "x", "$nope", "nope",
                         "=1", True])
    if not isinstance(node.get("params"), dict):
        node["params"] = {}
    node["params"][key] = value
    return f"{where}.params.{key} = {describe(value)}"


def old_schema(d: Draft, pick) -> str:
    """Written back as schema 1 (``{"from": "a:y", "to": "b:x"}`` edges), sometimes damaged."""
    if not isinstance(d.raw, dict):
        return swap_section_type(d, pick)
    d.raw["schema_version"] = 1
    d.raw.pop("presets", None)
    for _, graph in graphs(d.raw):
        edges = graph.get("edges")
        if isinstance(edges, list):
            graph["edges"] = [{"from": ":".join(map(str, e["src"])),
                               "to": ":".join(map(str, e["dst"]))}
                              if isinstance(e, dict) and isinstance(e.get("src"), list) and
                              isinstance(e.get("dst"), list) else e for e in edges]
    damage = pick.choice(["none", "null edge", "edge as a string", "from is a number",
                          "node as a string", "edges as an object", "no colon"])
    found = graphs(d.raw)
    if found and damage != "none":
        _, graph = pick.choice(found)
        edges = graph.get("edges") if isinstance(graph.get("edges"), list) else []
        extra = {"null edge": None, "edge as a string": "a:y->b:x",
                 "from is a number": {"from": 3, "to": "b:x"},
                 "no colon": {"from": "a", "to": "b"}}.get(damage)
        if damage == "node as a string" and isinstance(graph.get("nodes"), list):
            graph["nodes"].append("conv1")
        elif damage == "edges as an object":
            graph["edges"] = {"0": edges[0] if edges else None}
        else:
            edges.append(extra)
    return f"schema 1 with {damage}"


def odd_schema_version(d: Draft, pick) -> str:
    value = pick.choice([0, -1, 3, 99, "2", 2.0, True, None, [2], 10 ** 30])
    if isinstance(d.raw, dict):
        d.raw["schema_version"] = value
    return f"schema_version = {describe(value)}"


MUTATIONS = {
    "types": [swap_any_type, swap_section_type, swap_node_field_type, swap_param_type,
              swap_edge_type],
    "deletions": [drop_key, drop_section, drop_node, drop_edge, drop_list_item],
    "structure": [duplicate_id, dangling_edge, extra_edge, wrong_nesting, self_block,
                  odd_block_ports, old_schema, odd_schema_version],
    **VALUE_MUTATIONS,
}
FAMILIES = tuple(MUTATIONS)
