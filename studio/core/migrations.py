"""Upgrades of older document JSON, one schema version at a time.

Each migration is registered with ``@migration(old, new)`` and says in its docstring why the format
changed; :func:`upgrade` runs the chain up to :data:`SCHEMA_VERSION`. Migrations take and return
plain JSON dicts so they never depend on today's classes.
"""
from __future__ import annotations

from typing import Callable

from studio.core.diagnostics import DocumentError
from studio.core.document import SCHEMA_VERSION

_MIGRATIONS: dict[int, tuple[int, Callable[[dict], dict]]] = {}


def migration(old: int, new: int):
    def register(fn):
        _MIGRATIONS[old] = (new, fn)
        return fn
    return register


@migration(1, 2)
def edges_as_port_pairs(doc: dict) -> dict:
    """Version 1 wrote edges as ``{"from": "conv1:y", "to": "relu1:x"}`` strings, which broke
    on port or node names containing a colon; version 2 writes ``{"src": [node, port],
    "dst": [node, port]}``. Version 1 also had no ``presets`` section."""
    def split(text) -> list:
        if not isinstance(text, str):
            return text  # not a v1 edge end: the loader reports it with its place
        node, _, port = text.rpartition(":")
        return [node, port]

    def fix(graph) -> None:
        # A damaged file may hold anything anywhere: only well-formed v1 edges are rewritten,
        # the rest is left as it is for the loader to report with its JSON path.
        if not isinstance(graph, dict) or not isinstance(graph.get("edges", []), list):
            return
        graph["edges"] = [
            {"src": split(e.get("from")), "dst": split(e.get("to"))}
            if isinstance(e, dict) and "from" in e else e
            for e in graph.get("edges", [])
        ]

    for section in ("networks", "blocks"):
        graphs = doc.get(section, {})
        for graph in graphs.values() if isinstance(graphs, dict) else ():
            fix(graph)
    doc.setdefault("presets", {})
    return doc


def upgrade(doc: dict) -> tuple[dict, list[str]]:
    """Bring ``doc`` to the current schema; returns it and the migrations applied."""
    version = doc.get("schema_version", 1)
    if not isinstance(version, int) or version < 1:
        raise DocumentError(f"schema_version: expected a positive int, got {version!r}")
    if version > SCHEMA_VERSION:
        raise DocumentError(
            f"schema_version: this file was written by a newer NetStudio (schema {version}; "
            f"this version reads up to {SCHEMA_VERSION}); open it with a newer release")
    applied = []
    while version < SCHEMA_VERSION:
        new, fn = _MIGRATIONS[version]
        doc = fn(doc)
        applied.append(f"{version}->{new}: {fn.__name__}")
        version = new
    doc["schema_version"] = version
    return doc, applied
