"""Weight ties between nodes: a node whose type has a ``tied_to`` param (``nodes/tied.py``) uses
the named node's weight transposed. The tie lives in the params, so save/load and undo carry it
like any value; this module says which ties a graph holds and what is wrong with them.

Checked after shape inference, since a tie is right only when the shapes are transposes: the
tied Linear maps ``in -> out``, so the tying node must map ``out -> in``.
"""
from __future__ import annotations

import functools

import nodes
from nodes.tied import TIE_PARAM, TIE_TARGETS
from studio.core.diagnostics import ERROR, Diagnostic


@functools.lru_cache(maxsize=None)
def _ties(type_id: str) -> bool:
    """Whether nodes of this type can tie (asked per node on every inference: cached)."""
    t = nodes.lookup(type_id)
    return t is not None and TIE_PARAM in t.defaults()


def ties(graph, params: dict | None = None) -> dict[str, str]:
    """``{tying node id: tied node id}`` for the nodes of ``graph`` that name a tie (resolved
    ``params`` from shape inference where given, else the stored values)."""
    out = {}
    for node in graph.nodes.values():
        if not _ties(node.type):
            continue
        value = (params or {}).get(node.id, node.params).get(TIE_PARAM, node.params.get(TIE_PARAM))
        out[node.id] = value if isinstance(value, str) else ""
    return out


def _features(shapes, node_id: str) -> tuple[int, int] | None:
    """(in_features, out_features) of an inferred Linear-like node; None when unknown."""
    specs = shapes.inputs.get(node_id) or []
    out = shapes.params.get(node_id, {}).get("out_features")
    if not specs or specs[0] is None or not specs[0].shape or not isinstance(out, int):
        return None
    return specs[0].shape[-1], out


def tie_diagnostics(scope: str, graph, shapes) -> list[Diagnostic]:
    """One error per broken tie, naming the tying node and its ``tied_to`` param."""
    out = []
    for nid, target in ties(graph, shapes.params).items():
        def bad(message, _nid=nid):
            out.append(Diagnostic(ERROR, message, scope, _nid, TIE_PARAM))
        if not target:
            bad("name the Linear node whose weight this layer uses transposed")
            continue
        node = graph.nodes.get(target)
        if node is None:
            known = [n.id for n in graph.nodes.values() if n.type in TIE_TARGETS]
            bad(f"no node {target!r} in this network (Linear nodes here: "
                f"{', '.join(known) or 'none'})")
        elif node.type not in TIE_TARGETS:
            bad(f"node {target!r} is a {node.type}; a tie needs one of {', '.join(TIE_TARGETS)}")
        else:
            mine, theirs = _features(shapes, nid), _features(shapes, target)
            if mine and theirs and mine != theirs[::-1]:
                bad(f"shapes are not transposes: {target} maps {theirs[0]} -> {theirs[1]} "
                    f"features, so this layer must map {theirs[1]} -> {theirs[0]}, "
                    f"got {mine[0]} -> {mine[1]}")
    return out


def retie(pasted: list, ids: dict) -> None:
    """Pasted nodes get fresh ids (``ids``: old -> new): a tie to a node pasted with them
    follows it, so a copied encoder/decoder pair is tied to itself, not to the original."""
    for node in pasted:
        t = nodes.lookup(node.type)
        target = node.params.get(TIE_PARAM)
        if t is not None and TIE_PARAM in t.defaults() and target in ids:
            node.params[TIE_PARAM] = ids[target]
