"""Validation: every problem of a document as a diagnostic that names the network, node and param.

Structural checks (dangling edges, unknown ports, doubly-fed inputs, missing Input/Output, blocks
that use themselves) are here; cycles, unconnected inputs, param ranges, unknown variables and
shape mismatches come from shape inference, which finds them while it runs.
"""
from __future__ import annotations

import networkx as nx

import nodes
from nodes.base import BLOCK, INPUT, OUTPUT
from studio.core import params as P
from studio.core.diagnostics import ERROR, WARNING, Diagnostic
from studio.core.document import Document
from studio.core.ports import node_ports
from studio.core.shapes import NetworkShapes, ShapeInference
from studio.core.variables import resolve_values, scope_for


def check_edges(doc: Document, scope: str) -> list[Diagnostic]:
    graph, out, fed = doc.graph(scope), [], {}
    for i, e in enumerate(graph.edges):
        where = f"edges[{i}]"
        for end, kind in ((e.src, "output"), (e.dst, "input")):
            node = graph.nodes.get(end[0])
            if node is None:
                out.append(Diagnostic(ERROR, f"{where}: {kind} end names node {end[0]!r}, which "
                                      "does not exist", scope))
                continue
            if nodes.lookup(node.type) is None:
                continue  # a placeholder keeps whatever ports its edges use
            ins, outs = node_ports(doc, node)
            ports = [p.name for p in (outs if kind == "output" else ins)]
            if end[1] not in ports:
                out.append(Diagnostic(ERROR, f"{where}: {node.id} has no {kind} port {end[1]!r} "
                                      f"(it has: {', '.join(ports) or 'none'})", scope, node.id))
        fed.setdefault(e.dst, []).append(i)
    for (nid, port), idx in fed.items():
        if len(idx) > 1:
            out.append(Diagnostic(ERROR, f"input {port!r} has {len(idx)} incoming edges "
                                  f"(edges {idx}); an input takes one", scope, nid))
    return out


def check_io(doc: Document, network: str) -> list[Diagnostic]:
    roles = [t.role for n in doc.networks[network].nodes.values() if (t := nodes.lookup(n.type))]
    out = []
    if INPUT not in roles:
        out.append(Diagnostic(ERROR, "the network has no Input node", network))
    if OUTPUT not in roles:
        out.append(Diagnostic(ERROR, "the network has no Output node", network))
    return out


def block_cycles(doc: Document) -> list[Diagnostic]:
    """Blocks that (indirectly) contain themselves would expand forever."""
    g = nx.DiGraph()
    for name, block in doc.blocks.items():
        g.add_node(name)
        for n in block.graph.nodes.values():
            t = nodes.lookup(n.type)
            if t and t.role == BLOCK and isinstance(n.params.get("block"), str):
                g.add_edge(name, n.params["block"])
    return [Diagnostic(ERROR, "block uses itself: " + " -> ".join([*c, c[0]]),
                       f"block:{c[0]}") for c in nx.simple_cycles(g)]


def validate_network(doc: Document, network: str, variables: dict | None = None,
                     inference: ShapeInference | None = None
                     ) -> tuple[list[Diagnostic], NetworkShapes | None, dict]:
    """Diagnostics, shapes and the variable scope for one network."""
    inference = inference or ShapeInference()
    diags = []
    if network not in doc.networks:
        known = ", ".join(doc.networks) or "none"
        return [Diagnostic(ERROR, f"no network {network!r} (this document has: {known})")], None, {}
    try:
        # callers may pass doc.variables as stored ("=16*base"): resolve either way
        variables = scope_for(doc) if variables is None else resolve_values(variables)
    except P.ParamError as e:
        diags.append(Diagnostic(ERROR, str(e), path="variables"))
        variables = {}
    cycles = block_cycles(doc)
    diags += cycles + check_io(doc, network) + check_edges(doc, network)
    for name in doc.blocks:
        diags += check_edges(doc, f"block:{name}")
    if cycles:  # expanding a self-using block would never end
        return diags, None, variables
    shapes = inference.infer(doc, network, variables)
    return diags + shapes.diagnostics, shapes, variables


def validate_document(doc: Document, variables: dict | None = None) -> list[Diagnostic]:
    """Every network's diagnostics, plus unused blocks as warnings."""
    inference, diags = ShapeInference(), []
    for network in doc.networks:
        found, _, _ = validate_network(doc, network, variables, inference)
        diags += [d for d in found if d not in diags]
    used = {n.params.get("block") for s in doc.scopes() for n in doc.graph(s).nodes.values()
            if n.type == "block.Block"}
    diags += [Diagnostic(WARNING, f"block {b!r} is not used by any Block node", f"block:{b}")
              for b in doc.blocks if b not in used]
    return diags
