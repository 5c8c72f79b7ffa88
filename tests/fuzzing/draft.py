"""The document being mutated, and where to find things in it even after earlier damage.

Mutations edit the parsed JSON; what plain JSON values cannot hold (a 4,301-digit integer, lists
100,000 deep, invalid UTF-8) is spliced into the text as raw bytes through a placeholder string,
because ``json.dumps`` itself refuses or recurses on them.
"""
from __future__ import annotations

import json


class Draft:
    """A document being mutated: parsed JSON plus raw byte splices and whole-file byte edits."""

    def __init__(self, raw):
        self.raw = raw
        self._splices: dict[str, bytes] = {}
        self._byte_edits: list = []

    def raw_value(self, data: bytes | str) -> str:
        """A placeholder to store in the tree; it becomes ``data`` verbatim in the file."""
        token = f"@@fuzz-raw-{len(self._splices)}@@"
        self._splices[token] = data.encode("utf-8") if isinstance(data, str) else data
        return token

    def edit_bytes(self, edit) -> None:
        """``edit(bytes) -> bytes`` applied to the finished file, in order."""
        self._byte_edits.append(edit)

    def to_bytes(self) -> bytes:
        # ensure_ascii=False keeps real UTF-8 in the file; a lone surrogate cannot be encoded,
        # so backslashreplace writes it as the JSON escape "\ud800", as another program would.
        text = json.dumps(self.raw, indent=1, ensure_ascii=False, allow_nan=True)
        data = text.encode("utf-8", errors="backslashreplace")
        for token, value in self._splices.items():
            data = data.replace(json.dumps(token).encode(), value)
        for edit in self._byte_edits:
            data = edit(data)
        return data


# -- finding places in a (possibly already damaged) document -----------------------------------

def locations(tree) -> list[tuple[object, object, str]]:
    """Every (container, key, place) in the tree, depth first; iterative, since a damaged tree
    may be deep."""
    out, stack = [], [(tree, "")]
    while stack:
        node, place = stack.pop()
        items = node.items() if isinstance(node, dict) else \
            enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            here = f"{place}[{key}]" if isinstance(node, list) else \
                f"{place}.{key}" if place else str(key)
            out.append((node, key, here))
            if isinstance(value, (dict, list)):
                stack.append((value, here))
    return out


def graphs(raw) -> list[tuple[str, dict]]:
    """(place, graph dict) for every network and block that is still a dict."""
    out = []
    for section in ("networks", "blocks"):
        found = raw.get(section) if isinstance(raw, dict) else None
        if isinstance(found, dict):
            out += [(f"{section}.{k}", g) for k, g in found.items() if isinstance(g, dict)]
    return out


def graph_nodes(raw) -> list[tuple[str, dict, dict]]:
    """(place, graph, node) for every node dict of every graph."""
    out = []
    for where, g in graphs(raw):
        listed = g.get("nodes")
        if isinstance(listed, list):
            out += [(f"{where}.nodes[{i}]", g, n) for i, n in enumerate(listed)
                    if isinstance(n, dict)]
    return out


def graph_edges(raw) -> list[tuple[str, dict, dict]]:
    out = []
    for where, g in graphs(raw):
        listed = g.get("edges")
        if isinstance(listed, list):
            out += [(f"{where}.edges[{i}]", g, e) for i, e in enumerate(listed)
                    if isinstance(e, dict)]
    return out


def describe(value, limit: int = 48) -> str:
    """A short readable form of a value for a mutation label."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 12]}…({len(text):,} chars)"
