"""Reading and writing documents as JSON.

Loading never crashes on a bad file and never silently drops anything: structural problems that
make a file unreadable raise :class:`DocumentError` with the place named; everything else becomes a
diagnostic while the data is kept (an unknown node type stays as a placeholder with its params, a
duplicate id gets a fresh one and a warning). Saving is atomic: temp file, flush + fsync, rename.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import nodes
from studio.core import params as P
from studio.core.atomic import atomic_write  # noqa: F401 (saving; callers import it from here)
from studio.core.diagnostics import ERROR, WARNING, Diagnostic, DocumentError
from studio.core.document import FORMAT, BlockDef, Document, Edge, Graph, Node
from studio.core.jsonsafe import read_json, unencodable
from studio.core.migrations import upgrade

SECTIONS = ("meta", "variables", "presets", "training", "search")
MAX_DOCUMENT_BYTES = 64 * 2**20  # the largest template is ~100 kB; a document holds no weights


def _expect(value, kind, path):
    if not isinstance(value, kind):
        name = {dict: "an object", list: "a list", str: "a string"}.get(kind, str(kind))
        got = "nothing (the key is missing or null)" if value is None else \
            f"{type(value).__name__} {value!r:.60}"
        raise DocumentError(f"{path}: expected {name}, got {got}")
    return value


def _fresh_ids(graph: Graph):
    """``Graph.new_id`` for a loader that may rename thousands of duplicates: new_id scans every
    id (quadratic over a file of 3,000 nodes all named ``a``), so each stem's count is kept."""
    counters: dict[str, int] = {}

    def fresh(stem: str) -> str:
        stem = Graph.id_stem(stem)
        if stem not in counters:
            counters[stem] = int(graph.new_id(stem)[len(stem):]) - 1
        n = counters[stem] + 1
        while f"{stem}{n}" in graph.nodes:
            n += 1
        counters[stem] = n
        return f"{stem}{n}"
    return fresh


def _read_graph(raw: dict, path: str, scope: str, diags: list) -> Graph:
    graph = Graph()
    first_seen: dict[str, int] = {}
    fresh = _fresh_ids(graph)
    for i, raw_node in enumerate(_expect(raw.get("nodes", []), list, f"{path}.nodes")):
        where = f"{path}.nodes[{i}]"
        _expect(raw_node, dict, where)
        type_id = _expect(raw_node.get("type"), str, f"{where}.type")
        node_id = raw_node.get("id")
        if not isinstance(node_id, str) or not node_id:
            node_id = fresh("node")
            diags.append(Diagnostic(WARNING, f"missing id; assigned {node_id!r}", scope, node_id,
                                    path=f"{where}.id"))
        elif node_id in graph.nodes:
            renamed = fresh(node_id.rstrip("0123456789") or "node")
            diags.append(Diagnostic(
                ERROR, f"duplicate id {node_id!r} (first used by nodes[{first_seen[node_id]}]); "
                f"this node was renamed {renamed!r}", scope, renamed, path=f"{where}.id"))
            node_id = renamed
        first_seen[node_id] = i
        node = Node(node_id, type_id, dict(_expect(raw_node.get("params", {}), dict, f"{where}.params")),
                    dict(_expect(raw_node.get("ui", {}), dict, f"{where}.ui")),
                    str(raw_node.get("name", "")))
        graph.nodes[node_id] = node
        diags.extend(_check_node(node, where, scope))
    for i, raw_edge in enumerate(_expect(raw.get("edges", []), list, f"{path}.edges")):
        where = f"{path}.edges[{i}]"
        _expect(raw_edge, dict, where)
        ends = []
        for key in ("src", "dst"):
            end = raw_edge.get(key)
            if not (isinstance(end, list) and len(end) == 2 and all(isinstance(x, str) for x in end)):
                raise DocumentError(f"{where}.{key}: expected [node, port], got {end!r:.60}")
            ends.append(tuple(end))
        graph.edges.append(Edge(ends[0], ends[1]))
    return graph


def _check_node(node: Node, where: str, scope: str) -> list[Diagnostic]:
    """Literal param values checked against the schema at load (references wait for validate)."""
    t = nodes.lookup(node.type)
    if t is None:
        return [Diagnostic(ERROR, f"unknown node type {node.type!r}; kept as a placeholder with "
                           "its params", scope, node.id, path=f"{where}.type")]
    out = []
    for name, value in node.params.items():
        try:
            p = t.param(name)
        except KeyError:
            if t.role == nodes.BLOCK:  # a block argument ($width...): shape inference checks it
                continue
            out.append(Diagnostic(WARNING, f"{t.title} has no param {name!r}; kept but unused",
                                  scope, node.id, name, path=f"{where}.params.{name}"))
            continue
        problem = None if P.is_symbolic(value) else P.check(p, value)
        if problem:
            out.append(Diagnostic(ERROR, problem, scope, node.id, name,
                                  path=f"{where}.params.{name}"))
    return out


def document_from_json(raw) -> tuple[Document, list[Diagnostic]]:
    """A :class:`Document` and load diagnostics from parsed JSON (any version we can upgrade)."""
    _expect(raw, dict, "document")
    if raw.get("format") != FORMAT:
        raise DocumentError(f"format: expected {FORMAT!r}, got {raw.get('format')!r} "
                            "(not a NetStudio document)")
    raw, applied = upgrade(json.loads(json.dumps(raw)))
    diags = [Diagnostic("info", f"upgraded: {step}", path="schema_version") for step in applied]
    doc = Document(networks={})
    for key in SECTIONS:
        setattr(doc, key, dict(_expect(raw.get(key, {}), dict, key)))
    for name, raw_block in _expect(raw.get("blocks", {}), dict, "blocks").items():
        _expect(raw_block, dict, f"blocks.{name}")
        doc.blocks[name] = BlockDef(Graph(), dict(_expect(raw_block.get("params", {}), dict,
                                                        f"blocks.{name}.params")),
                                    str(raw_block.get("doc", "")))
        doc.blocks[name].graph = _read_graph(raw_block, f"blocks.{name}", f"block:{name}", diags)
    for name, raw_graph in _expect(raw.get("networks", {}), dict, "networks").items():
        _expect(raw_graph, dict, f"networks.{name}")
        doc.networks[name] = _read_graph(raw_graph, f"networks.{name}", name, diags)
    return doc, diags


def load(path: str | os.PathLike) -> tuple[Document, list[Diagnostic]]:
    """Open a document file; :class:`DocumentError` names the file and the place on failure."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise DocumentError(f"{path}: {size:,} bytes is too large for a document (at most "
                                f"{MAX_DOCUMENT_BYTES:,}; weights belong in .safetensors files)")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise DocumentError(f"{path}: cannot read: {e}") from None
    try:
        return loads(text)
    except DocumentError as e:
        raise DocumentError(f"{path}: {e}") from None


def loads(text: str) -> tuple[Document, list[Diagnostic]]:
    """A document from JSON text, read within the bounds of :mod:`studio.core.jsonsafe`."""
    return document_from_json(read_json(text))


def dumps(doc: Document) -> str:
    """The document as JSON text; a string that is not valid Unicode (a lone surrogate, which
    :func:`load` refuses) is a :class:`DocumentError` naming its place, not a crash mid-save."""
    raw = doc.to_json()
    text = json.dumps(raw, indent=1, ensure_ascii=False) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise DocumentError(f"{unencodable(raw)}: contains a lone surrogate, which is not a "
                            "Unicode character; rename it before saving") from None
    return text


def save(doc: Document, path: str | os.PathLike) -> None:
    atomic_write(path, dumps(doc))
