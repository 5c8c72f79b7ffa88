"""Group a selection into a block, and ungroup a Block node back into its parts.

Both are built as :class:`~studio.core.ops.Batch`es of primitive ops, so undo is exact. Grouping
keeps the nodes' ids inside the new block (ids are unique per graph); ungrouping allocates fresh
ids where the outer graph already uses one, and substitutes the Block node's argument values into
the inner params so the expanded nodes mean the same thing.
"""
from __future__ import annotations

import ast
import copy

from studio.core import op_args as A
from studio.core.document import BlockDef, Document, Edge, Graph, Node
from studio.core.ops import AddBlock, AddNode, Batch, Connect, OpError, RemoveBlock, RemoveNode
from studio.core.ports import io_port_name

BLOCK_TYPE = "block.Block"


def _point(node: Node) -> tuple | None:
    """A node's position, or None when it has none that can be used (a loaded file may hold
    anything under ``ui.pos``)."""
    pos = node.ui.get("pos")
    try:
        return A.position(None, "pos", pos)
    except OpError:
        return None


def _centre(nodes: list[Node]) -> list[float]:
    points = [p for n in nodes if (p := _point(n))]
    if not points:
        return [0.0, 0.0]
    return [sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)]


def _graph(doc: Document, scope) -> Graph:
    if not isinstance(scope, str) or scope not in doc.scopes():
        known = ", ".join(doc.scopes()) or "none"
        raise OpError(f"no network or block {scope!r} (this document has: {known})")
    return doc.graph(scope)


def group(doc: Document, scope: str, node_ids, block_name: str) -> Batch:
    """The edit that moves ``node_ids`` of ``scope`` into a new block used by one Block node."""
    graph = _graph(doc, scope)
    if not isinstance(block_name, str) or not block_name:
        raise OpError(f"group: block_name: expected non-empty text, got {A.describe(block_name)}")
    if isinstance(node_ids, str) or not all(isinstance(n, str) for n in node_ids):
        raise OpError(f"group: node_ids: expected a list of node ids, got {A.describe(node_ids)}")
    wanted = set(node_ids)
    selected = [nid for nid in graph.nodes if nid in wanted]
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
                port, _ = _boundary_port(body, sources, e.src, "x", "io.BlockInput")
                outer_edges.append(Edge(e.src, (block_id, port)))
            body.edges.append(Edge((_input_node(body, sources[e.src]), "y"), e.dst))
    results: dict[tuple, str] = {}  # inside source -> block output port
    for e in graph.edges:
        if e.src[0] in inside and e.dst[0] not in inside:
            if e.src not in results:
                _, nid = _boundary_port(body, results, e.src, "y", "io.BlockOutput")
                body.edges.append(Edge(e.src, (nid, "x")))
            outer_edges.append(Edge((block_id, results[e.src]), e.dst))
    block_node = Node(block_id, BLOCK_TYPE, {"block": block_name, "repeat": 1},
                      {"pos": _centre(list(body.nodes.values()))})
    ops.append(AddBlock(scope, block_name, BlockDef(body)))
    ops.extend(RemoveNode(scope, nid) for nid in selected)
    ops.append(AddNode(scope, block_node))
    ops.extend(Connect(scope, e) for e in outer_edges)
    return Batch(scope, ops, f"Group into {block_name}")


def _boundary_port(body: Graph, ports: dict, source: tuple, stem: str,
                   node_type: str) -> tuple[str, str]:
    """A new block port for ``source`` (``x``, ``x2``... / ``y``, ``y2``...) and the
    BlockInput/BlockOutput node inside ``body`` that carries it: (port name, node id)."""
    port = f"{stem}{len(ports) + 1}" if ports else stem
    ports[source] = port
    nid = body.new_id("input" if node_type == "io.BlockInput" else "output")
    body.nodes[nid] = Node(nid, node_type, {"name": port})
    return port, nid


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


def _block_of(doc: Document, scope: str, block_node_id) -> tuple[Node, str]:
    """The Block node ``block_node_id`` and the name of the block it uses, or an OpError."""
    graph = _graph(doc, scope)
    block_node = graph.nodes.get(block_node_id) if isinstance(block_node_id, str) else None
    if block_node is None or block_node.type != BLOCK_TYPE:
        raise OpError(f"{scope}: {block_node_id!r} is not a Block node")
    name = block_node.params.get("block")
    if not isinstance(name, str) or name not in doc.blocks:
        known = ", ".join(doc.blocks) or "none"
        raise OpError(f"{scope}.{block_node_id}.params.block: expected the name of a block of "
                      f"this document ({known}), got {A.describe(name)}")
    if block_node.params.get("repeat", 1) != 1:
        raise OpError(f"{scope}.{block_node_id}: set repeat to 1 before ungrouping")
    return block_node, name


def _expanded_params(node: Node, args: dict, where: str) -> dict:
    try:
        return {k: _substitute(v, args) for k, v in node.params.items()}
    except (SyntaxError, ValueError, RecursionError) as e:
        raise OpError(f"{where}: cannot substitute the block's arguments into the params of "
                      f"{node.id!r}: {e}") from None


def ungroup(doc: Document, scope: str, block_node_id: str) -> Batch:
    """The edit that replaces a Block node by a copy of its body."""
    graph = _graph(doc, scope)
    block_node, name = _block_of(doc, scope, block_node_id)
    block = doc.blocks[name]
    args = {**block.params, **{k: v for k, v in block_node.params.items()
                               if k not in ("block", "repeat")}}
    io_types = ("io.BlockInput", "io.BlockOutput")
    taken, new_ids = set(graph.nodes) - {block_node_id}, {}
    ops = [RemoveNode(scope, block_node_id)]
    origin = _point(block_node) or [0.0, 0.0]
    centre = _centre(list(block.graph.nodes.values()))
    for node in block.graph.nodes.values():
        if node.type in io_types:
            continue
        nid = node.id if node.id not in taken else Graph(dict.fromkeys(taken)).new_id(
            node.id.rstrip("0123456789") or "node")
        taken.add(nid)
        new_ids[node.id] = nid
        ui = copy.deepcopy(node.ui)
        if pos := _point(node):
            ui["pos"] = [pos[0] - centre[0] + origin[0], pos[1] - centre[1] + origin[1]]
        params = _expanded_params(node, args, f"block:{name}")
        ops.append(AddNode(scope, Node(nid, node.type, params, ui, node.name)))
    port_of = {n.id: io_port_name(n) for n in block.graph.nodes.values() if n.type in io_types}
    for nid, port in port_of.items():
        if not isinstance(port, str):
            raise OpError(f"block:{name}.{nid}.params.name: expected a port name, got "
                          f"{A.describe(port)}")
    feeds = {e.dst[1]: e.src for e in graph.edges if e.dst[0] == block_node_id}
    uses = [e for e in graph.edges if e.src[0] == block_node_id]
    for i, e in enumerate(block.graph.edges):
        missing = [end for end in (e.src[0], e.dst[0]) if end not in port_of and end not in new_ids]
        if missing:
            raise OpError(f"block:{name}.edges[{i}]: names node {missing[0]!r}, which does not "
                          "exist; fix the block before ungrouping")
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
