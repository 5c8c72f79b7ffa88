"""The project document: the one source of truth that the canvas, the compiler and the trainer read.

A document holds named networks (graphs of nodes and edges), reusable blocks (sub-graphs), document
variables and their presets, the training recipe and metadata. It is plain data that maps 1:1 to
the JSON file; changes go through :mod:`studio.core.ops`, which emit events to subscribers.
Node ids are stable strings allocated here, never ``id(obj)``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

FORMAT = "netstudio"
SCHEMA_VERSION = 2


def json_copy(value):
    """A deep copy of JSON data (dicts, lists, tuples, scalars): what ``copy.deepcopy`` does for
    it, ~10x faster, which an autosave snapshot of a 10,000-node document on the GUI thread needs."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(json_copy(v) for v in value)
    return value


@dataclass
class Node:
    id: str
    type: str
    params: dict = field(default_factory=dict)
    ui: dict = field(default_factory=dict)
    name: str = ""  # user-visible label; empty means "use the id"

    @property
    def label(self) -> str:
        return self.name or self.id

    def to_json(self) -> dict:
        out = {"id": self.id, "type": self.type, "params": json_copy(self.params)}
        if self.name:
            out["name"] = self.name
        out["ui"] = json_copy(self.ui)
        return out


@dataclass(frozen=True)
class Edge:
    """A wire from an output port to an input port: ``src=(node, port)``, ``dst=(node, port)``."""

    src: tuple[str, str]
    dst: tuple[str, str]

    def to_json(self) -> dict:
        return {"src": list(self.src), "dst": list(self.dst)}


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)  # insertion-ordered
    edges: list[Edge] = field(default_factory=list)

    def incoming(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.dst[0] == node_id]

    def edges_of(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if node_id in (e.src[0], e.dst[0])]

    def edge_into(self, node_id: str, port: str) -> Edge | None:
        for e in self.edges:
            if e.dst == (node_id, port):
                return e
        return None

    @staticmethod
    def id_stem(stem: str) -> str:
        """The part of a fresh id before its number: ``Conv-2d`` -> ``conv2d``."""
        return re.sub(r"[^a-z0-9_]", "", stem.lower()) or "node"

    def new_id(self, stem: str, taken: set[str] = frozenset()) -> str:
        """A fresh id like ``conv3``: the stem plus one more than the highest number in use.

        Derived from the ids present (no hidden counter). Ids are unique within a graph, so a
        block's ``conv1`` and the network's ``conv1`` coexist (``model.conv1`` and
        ``model.layer1[0].conv1``, as in torchvision)."""
        stem = self.id_stem(stem)
        numbers = [int(m.group(1)) for i in (*self.nodes, *taken)
                   if (m := re.fullmatch(rf"{stem}(\d+)", i))]
        return f"{stem}{max(numbers, default=0) + 1}"

    def to_json(self) -> dict:
        return {"nodes": [n.to_json() for n in self.nodes.values()],
                "edges": [e.to_json() for e in self.edges]}

    def copy(self) -> "Graph":
        """Nodes copied, edges shared: an :class:`Edge` is frozen."""
        return Graph({i: Node(n.id, n.type, json_copy(n.params), json_copy(n.ui), n.name)
                      for i, n in self.nodes.items()}, list(self.edges))


@dataclass
class BlockDef:
    """A reusable sub-graph. ``params`` are its arguments (with defaults) that inner node params
    reference as ``$name``; a Block node supplies values for them."""

    graph: Graph = field(default_factory=Graph)
    params: dict = field(default_factory=dict)
    doc: str = ""

    def to_json(self) -> dict:
        out = {"params": json_copy(self.params), **self.graph.to_json()}
        if self.doc:
            out["doc"] = self.doc
        return out


Listener = Callable[[str, dict], None]

# Every event a document emits, in one place: the ops emit them, views (through the GUI session)
# match on them, and ``Document.emit`` refuses any other name so a misspelt event fails at once
# instead of leaving a view silently out of date.
EVENTS = ("node_added", "node_removed", "node_renamed", "nodes_moved", "params_changed",
          "edge_added", "edge_removed", "block_added", "block_removed", "variable_changed",
          "training_changed", "search_changed")
# Not emitted by a document: what the GUI session sends its views after it opens another one,
# so a view reacts to "a different document" through the same channel as to an edit.
DOCUMENT_REPLACED = "document_replaced"


@dataclass
class Document:
    networks: dict[str, Graph] = field(default_factory=lambda: {"model": Graph()})
    blocks: dict[str, BlockDef] = field(default_factory=dict)
    variables: dict = field(default_factory=dict)
    presets: dict = field(default_factory=dict)
    training: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    search: dict = field(default_factory=dict)  # what `netstudio search` varies
    _listeners: list = field(default_factory=list, repr=False, compare=False)

    # ---- events -------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(event, info)`` after every change; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, event: str, **info) -> None:
        if event not in EVENTS:
            raise ValueError(f"unknown document event {event!r}: expected one of {EVENTS}")
        for listener in list(self._listeners):
            listener(event, info)

    # ---- lookup -------------------------------------------------------------------------
    def graph(self, scope: str) -> Graph:
        """The graph for ``scope``: a network name, or ``block:NAME`` for a block's body."""
        if scope.startswith("block:"):
            return self.blocks[scope[6:]].graph
        return self.networks[scope]

    def scopes(self) -> list[str]:
        return [*self.networks, *(f"block:{b}" for b in self.blocks)]

    # ---- JSON ---------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "meta": json_copy(self.meta),
            "variables": json_copy(self.variables),
            "presets": json_copy(self.presets),
            "networks": {name: g.to_json() for name, g in self.networks.items()},
            "blocks": {name: b.to_json() for name, b in self.blocks.items()},
            "training": json_copy(self.training),
            # written only when there is one, so documents without a search keep their text
            **({"search": json_copy(self.search)} if self.search else {}),
        }

    def copy(self) -> "Document":
        """An independent copy of the data, without the listeners. Copied directly rather than
        through the JSON loader: the loader imports this module, and a live document needs none
        of its checks (ids are unique, params already loaded)."""
        return Document(
            networks={name: g.copy() for name, g in self.networks.items()},
            blocks={name: BlockDef(b.graph.copy(), json_copy(b.params), b.doc)
                    for name, b in self.blocks.items()},
            variables=json_copy(self.variables), presets=json_copy(self.presets),
            training=json_copy(self.training), meta=json_copy(self.meta),
            search=json_copy(self.search))


def stem_for(type_id: str) -> str:
    """The id stem for a node type: ``conv.Conv2d`` -> ``conv``, ``activation.ReLU`` -> ``relu``."""
    name = type_id.rsplit(".", 1)[-1].lower()
    for prefix in ("convtranspose", "conv", "maxpool", "avgpool", "batchnorm"):
        if name.startswith(prefix):
            return {"convtranspose": "deconv"}.get(prefix, prefix)
    return name
