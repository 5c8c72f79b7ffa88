"""The ops behind the canvas gestures: add, delete, connect (with its checks), insert on an edge,
copy and paste. Pure functions of the document (no Qt), so each gesture is easy to test."""
from __future__ import annotations

import copy
import json

import networkx as nx

import nodes
from studio.core.diagnostics import ERROR
from studio.core.document import Document, Edge, Graph, Node, stem_for
from studio.core.ops import AddBlock, AddNode, Batch, Connect, Disconnect, RemoveNode
from studio.core.ports import node_ports
from studio.core.ties import retie

CLIP_FORMAT = "netstudio-selection"


def new_node(graph: Graph, type_id: str, pos, taken=()) -> Node:
    params = {}
    if nodes.role_of(type_id) == nodes.BLOCK:
        params = {"block": "", "repeat": 1}
    return Node(graph.new_id(stem_for(type_id), set(taken)), type_id, params,
                {"pos": [float(pos[0]), float(pos[1])]})


def add_node_op(doc: Document, scope: str, type_id: str, pos, on_edge: Edge | None = None):
    """Add a node at ``pos``; dropped on ``on_edge`` it is spliced into that edge."""
    node = new_node(doc.graph(scope), type_id, pos)
    t = nodes.lookup(type_id)
    ops = [AddNode(scope, node)]
    if on_edge is not None and t and t.inputs and t.outputs:
        ops += [Disconnect(scope, on_edge),
                Connect(scope, Edge(on_edge.src, (node.id, t.inputs[0].name))),
                Connect(scope, Edge((node.id, t.outputs[0].name), on_edge.dst))]
    return Batch(scope, ops, f"Add {t.title if t else type_id}"), node.id


def delete_op(doc: Document, scope: str, node_ids) -> Batch:
    graph = doc.graph(scope)
    return Batch(scope, [RemoveNode(scope, n) for n in graph.nodes if n in set(node_ids)],
                 "Delete")


def port_kind(doc: Document, scope: str, end) -> str | None:
    """"in", "out" or None for a (node, port) end."""
    node = doc.graph(scope).nodes.get(end[0])
    if node is None:
        return None
    ins, outs = node_ports(doc, node)
    if end[1] in [p.name for p in ins]:
        return "in"
    if end[1] in [p.name for p in outs]:
        return "out"
    return None


def orient(doc: Document, scope: str, a, b):
    """(src, dst) from two port ends in either drag direction, or a reason they cannot join."""
    ka, kb = port_kind(doc, scope, a), port_kind(doc, scope, b)
    if a[0] == b[0]:
        return None, "a node cannot feed itself"
    if ka == kb:
        return None, f"both ends are {'inputs' if ka == 'in' else 'outputs'}: connect an " \
                     "output (right side) to an input (left side)"
    return ((a, b) if ka == "out" else (b, a)), None


def connect_op(doc: Document, scope: str, src, dst):
    """The op wiring ``src`` -> ``dst`` (replacing what fed ``dst``) or a reason it cannot."""
    graph = doc.graph(scope)
    g = nx.DiGraph((e.src[0], e.dst[0]) for e in graph.edges)
    if dst[0] in g and src[0] in g and nx.has_path(g, dst[0], src[0]):
        return None, f"{src[0]} already depends on {dst[0]}: this edge would make a loop"
    new = Edge(tuple(src), tuple(dst))
    if new in graph.edges:
        return None, "these ports are already connected"
    ops = []
    old = graph.edge_into(*dst)
    if old is not None:
        ops.append(Disconnect(scope, old))
    ops.append(Connect(scope, new))
    return Batch(scope, ops, f"Connect {src[0]} → {dst[0]}"), None


def shape_problem(doc: Document, scope: str, op, infer) -> str | None:
    """What goes wrong on the destination node if ``op`` were applied (tried on a copy)."""
    trial = doc.copy()
    op.apply(trial)
    dst = next(o.edge.dst[0] for o in op.ops if isinstance(o, Connect))
    for d in infer(trial).diagnostics:
        if d.node == dst and d.severity == ERROR:
            return d.message
    return None


# ---- clipboard ------------------------------------------------------------------------------
def copy_selection(doc: Document, scope: str, node_ids) -> str:
    """The selection as document JSON (its inner edges, and the blocks it uses)."""
    graph = doc.graph(scope)
    chosen = [n for n in graph.nodes if n in set(node_ids)]
    sub = Document(networks={"model": Graph({n: graph.nodes[n] for n in chosen},
                                            [e for e in graph.edges
                                             if e.src[0] in chosen and e.dst[0] in chosen])})
    used = {graph.nodes[n].params.get("block") for n in chosen}
    sub.blocks = {b: doc.blocks[b] for b in doc.blocks if b in used}
    raw = sub.to_json()
    raw["meta"] = {"clipboard": CLIP_FORMAT}
    return json.dumps(raw)


def paste_op(doc: Document, scope: str, text: str, offset=(40.0, 40.0)):
    """Ops adding the nodes of clipboard JSON with fresh ids, or None when it is not ours."""
    from studio.core.diagnostics import DocumentError
    from studio.core.serialize import document_from_json
    try:
        clip, _ = document_from_json(json.loads(text))
    except (ValueError, DocumentError):
        return None, []
    graph, ops, ids, taken = doc.graph(scope), [], {}, set()
    for name, block in clip.blocks.items():
        if name not in doc.blocks:
            ops.append(AddBlock(scope, name, block))
    source = next(iter(clip.networks.values()), Graph())
    for node in source.nodes.values():
        fresh = copy.deepcopy(node)
        fresh.id = graph.new_id(node.id.rstrip("0123456789") or "node", taken)
        taken.add(fresh.id)
        ids[node.id] = fresh.id
        if "pos" in fresh.ui:
            fresh.ui["pos"] = [fresh.ui["pos"][0] + offset[0], fresh.ui["pos"][1] + offset[1]]
        ops.append(AddNode(scope, fresh))
    retie([op.node for op in ops if isinstance(op, AddNode)], ids)  # a pasted pair stays tied
    ops += [Connect(scope, Edge((ids[e.src[0]], e.src[1]), (ids[e.dst[0]], e.dst[1])))
            for e in source.edges if e.src[0] in ids and e.dst[0] in ids]
    return Batch(scope, ops, "Paste"), list(ids.values())


def fresh_block_name(doc: Document, stem: str = "block") -> str:
    i = 1
    while f"{stem}{i}" in doc.blocks:
        i += 1
    return f"{stem}{i}"
