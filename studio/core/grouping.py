"""Group a selection into a block, and ungroup a Block node back into its parts.

Both are built as :class:`~studio.core.ops.Batch`es of primitive ops, so undo is exact. Grouping
keeps the nodes' ids inside the new block (ids are unique per graph); ungrouping allocates fresh
ids where the outer graph already uses one, and substitutes the Block node's argument values into
the inner params so the expanded nodes mean the same thing.
"""
from __future__ import annotations

import ast
import copy

from studio.core.document import BlockDef, Document, Edge, Graph, Node
from studio.core.ports import io_port_name
from studio.core.ops import AddBlock, AddNode, Batch, Connect, OpError, RemoveBlock, RemoveNode

BLOCK_TYPE = "block.Block"


def _centre(nodes: list[Node]) -> list[float]:
    points = [n.ui["pos"] for n in nodes if "pos" in n.ui]
    if not points:
        return [0.0, 0.0]
    return [sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)]


def group(doc: Document, scope: str, node_ids, block_name: str) -> Batch:
    """The edit that moves ``node_ids`` of ``scope`` into a new block used by one Block node."""
    graph = doc.graph(scope)
    selected = [nid for nid in graph.nodes if nid in set(node_ids)]
    if not selected:
        raise OpError("select at least one node to group")
    if block_name in doc.blocks:
        raise OpError(f"a block named {block_name!r} already exists")
    inside = set(selected)
    body = Graph({nid: copy.deepcopy(graph.nodes[nid]) for nid in selected},
                 [e for e in graph.edges if e.src[0] in inside and e.dst[0] in inside])
    block_id = graph.new_id("block")
    ops, outer_edges = [], []
    sources: dict[tuple, str] = {}  # outside source -> block input port
    for e in graph.edges:
        if e.dst[0] in inside and e.src[0] not in inside:
            if e.src not in sources:
                port = f"x{len(sources) + 1}" if sources else "x"
                sources[e.src] = port
                nid = body.new_id("input")
                body.nodes[nid] = Node(nid, "io.BlockInput", {"name": port})
                outer_edges.append(Edge(e.src, (block_id, port)))
            body.edges.append(Edge((_input_node(body, sources[e.src]), "y"), e.dst))
    results: dict[tuple, str] = {}  # inside source -> block output port
    for e in graph.edges:
        if e.src[0] in inside and e.dst[0] not in inside:
            if e.src not in results:
                port = f"y{len(results) + 1}" if results else "y"
                results[e.src] = port
                nid = body.new_id("output")
                body.nodes[nid] = Node(nid, "io.BlockOutput", {"name": port})
                body.edges.append(Edge(e.src, (nid, "x")))
            outer_edges.append(Edge((block_id, results[e.src]), e.dst))
    block_node = Node(block_id, BLOCK_TYPE, {"block": block_name, "repeat": 1},
                      {"pos": _centre(list(body.nodes.values()))})
    ops.append(AddBlock(scope, block_name, BlockDef(body)))
    ops.extend(RemoveNode(scope, nid) for nid in selected)
    ops.append(AddNode(scope, block_node))
    ops.extend(Connect(scope, e) for e in outer_edges)
    return Batch(scope, ops, f"Group into {block_name}")


def _input_node(body: Graph, port: str) -> str:
    return next(n.id for n in body.nodes.values()
                if n.type == "io.BlockInput" and io_port_name(n) == port)


def _substitute(value, args: dict):
    """Replace references to block arguments by the argument values (ungrouping)."""
    if isinstance(value, list):
        return [_substitute(v, args) for v in value]
    if isinstance(value, str) and value.startswith("$") and value[1:] in args:
        return copy.deepcopy(args[value[1:]])
    if isinstance(value, str) and value.startswith("="):
        def as_expr(v):
            if isinstance(v, str) and v.startswith("$"):
                return ast.Name(v[1:], ast.Load())
            if isinstance(v, str) and v.startswith("="):
                return ast.parse(v[1:], mode="eval").body
            return ast.Constant(v)

        class Swap(ast.NodeTransformer):
            def visit_Name(self, node):
                return as_expr(args[node.id]) if node.id in args else node

        tree = Swap().visit(ast.parse(value[1:], mode="eval"))
        return "=" + ast.unparse(tree)
    return value


def ungroup(doc: Document, scope: str, block_node_id: str) -> Batch:
    """The edit that replaces a Block node by a copy of its body."""
    graph = doc.graph(scope)
    block_node = graph.nodes.get(block_node_id)
    if block_node is None or block_node.type != BLOCK_TYPE:
        raise OpError(f"{scope}: {block_node_id!r} is not a Block node")
    name = block_node.params.get("block")
    if name not in doc.blocks:
        raise OpError(f"{scope}.{block_node_id}: unknown block {name!r}")
    if block_node.params.get("repeat", 1) != 1:
        raise OpError(f"{scope}.{block_node_id}: set repeat to 1 before ungrouping")
    block = doc.blocks[name]
    args = {**block.params, **{k: v for k, v in block_node.params.items()
                               if k not in ("block", "repeat")}}
    io_types = ("io.BlockInput", "io.BlockOutput")
    taken, new_ids = set(graph.nodes) - {block_node_id}, {}
    ops = [RemoveNode(scope, block_node_id)]
    origin = block_node.ui.get("pos", [0.0, 0.0])
    centre = _centre(list(block.graph.nodes.values()))
    for node in block.graph.nodes.values():
        if node.type in io_types:
            continue
        nid = node.id if node.id not in taken else Graph(dict.fromkeys(taken)).new_id(
            node.id.rstrip("0123456789") or "node")
        taken.add(nid)
        new_ids[node.id] = nid
        ui = copy.deepcopy(node.ui)
        if "pos" in ui:
            ui["pos"] = [ui["pos"][0] - centre[0] + origin[0], ui["pos"][1] - centre[1] + origin[1]]
        params = {k: _substitute(v, args) for k, v in node.params.items()}
        ops.append(AddNode(scope, Node(nid, node.type, params, ui, node.name)))
    port_of = {n.id: io_port_name(n) for n in block.graph.nodes.values() if n.type in io_types}
    feeds = {e.dst[1]: e.src for e in graph.edges if e.dst[0] == block_node_id}
    uses = [e for e in graph.edges if e.src[0] == block_node_id]
    for e in block.graph.edges:
        src_io, dst_io = e.src[0] in port_of, e.dst[0] in port_of
        srcs = [feeds[port_of[e.src[0]]]] if src_io and port_of[e.src[0]] in feeds else (
            [] if src_io else [(new_ids[e.src[0]], e.src[1])])
        if dst_io:
            dsts = [u.dst for u in uses if u.src[1] == port_of[e.dst[0]]]
        else:
            dsts = [(new_ids[e.dst[0]], e.dst[1])]
        ops.extend(Connect(scope, Edge(s, d)) for s in srcs for d in dsts)
    still_used = any(n.type == BLOCK_TYPE and n.params.get("block") == name and n is not block_node
                     for s in doc.scopes() for n in doc.graph(s).nodes.values())
    if not still_used:
        ops.append(RemoveBlock(scope, name))
    return Batch(scope, ops, f"Ungroup {name}")
