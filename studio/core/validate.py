"""Validation: every problem of a document as a diagnostic that names the network, node and param.

Structural checks (dangling edges, unknown ports, doubly-fed inputs, missing Input/Output, blocks
that use themselves) are here; cycles, unconnected inputs, param ranges, unknown variables and
shape mismatches come from shape inference, which finds them while it runs.
"""
from __future__ import annotations

import nodes
from nodes.base import BLOCK, INPUT, OUTPUT
from studio.core import params as P
from studio.core.diagnostics import ERROR, WARNING, Diagnostic
from studio.core.document import Document
from studio.core.meta import BYTES_PER_PARAM, PARAM_BUDGET_BYTES, human_bytes
from studio.core.ports import node_ports
from studio.core.search_section import check_search
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


def _safe_resolve(value, scope: dict):
    try:
        return P.resolve(value, scope)
    except P.ParamError:
        return None


def block_targets(doc: Document, scope: str, variables: dict) -> list[str]:
    """The block names the Block nodes of ``scope`` use, references resolved where they can be
    with ``variables`` and, inside a block, its parameters' defaults."""
    if scope.startswith("block:"):
        block = doc.blocks[scope[6:]]
        variables = {**variables, **{k: _safe_resolve(v, variables)
                                     for k, v in block.params.items()}}
    found = []
    for n in doc.graph(scope).nodes.values():
        t = nodes.lookup(n.type)
        if t and t.role == BLOCK:
            target = _safe_resolve(n.params.get("block"), variables)
            found += [target] if isinstance(target, str) else []
    return found


def _variables_or_none(doc: Document) -> dict:
    try:
        return scope_for(doc)
    except P.ParamError:
        return {}  # reported by validate_network


def block_cycles(doc: Document) -> list[Diagnostic]:
    """Blocks that (indirectly) contain themselves would expand forever, whether they name
    themselves directly or through a variable or block parameter."""
    if not doc.blocks:
        return []
    import networkx as nx  # see studio.core.shapes: only where a graph algorithm runs
    g, variables = nx.DiGraph(), _variables_or_none(doc)
    for name in doc.blocks:
        g.add_node(name)
        g.add_edges_from((name, target) for target in block_targets(doc, f"block:{name}", variables)
                         if target in doc.blocks)
    # one diagnostic per strongly connected component: listing every simple cycle can take
    # exponential time on a hostile document whose blocks all use each other
    out = []
    for component in nx.strongly_connected_components(g):
        first = next(b for b in doc.blocks if b in component)
        if len(component) == 1 and not g.has_edge(first, first):
            continue
        loop = [a for a, _ in nx.find_cycle(g.subgraph(component), source=first)]
        out.append(Diagnostic(ERROR, "block uses itself: " + " -> ".join([*loop, loop[0]]),
                              f"block:{loop[0]}"))
    return out


def check_param_budget(shapes: NetworkShapes, network: str) -> list[Diagnostic]:
    """The network's weights against :data:`PARAM_BUDGET_BYTES`, before anything is built (each
    node was checked alone during shape inference; together they may still be too many)."""
    total = shapes.total_params * BYTES_PER_PARAM
    if total <= PARAM_BUDGET_BYTES:
        return []
    biggest = sorted(shapes.param_counts.items(), key=lambda kv: -kv[1])[:3]
    named = ", ".join(f"{nid} {human_bytes(n * BYTES_PER_PARAM)}" for nid, n in biggest)
    return [Diagnostic(ERROR, f"{human_bytes(total)} of weights in all (budget "
                       f"{human_bytes(PARAM_BUDGET_BYTES)}; largest: {named})", network)]


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
    return diags + shapes.diagnostics + check_param_budget(shapes, network), shapes, variables


def validate_document(doc: Document, variables: dict | None = None) -> list[Diagnostic]:
    """Every network's diagnostics, plus unused blocks as warnings."""
    inference, diags = ShapeInference(), []
    for network in doc.networks:
        found, _, _ = validate_network(doc, network, variables, inference)
        diags += [d for d in found if d not in diags]
    variables = _variables_or_none(doc)
    used = {b for s in doc.scopes() for b in block_targets(doc, s, variables)}
    diags += [Diagnostic(WARNING, f"block {b!r} is not used by any Block node", f"block:{b}")
              for b in doc.blocks if b not in used]
    return diags + check_search(doc)
