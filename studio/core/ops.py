"""Invertible edits of a document.

Every op's ``apply(doc)`` changes the document, emits one event, and returns the op that undoes
it; applying the inverses in reverse order gives back the original document exactly (a hypothesis
test checks this). Compound edits (group into a block, ungroup) are :class:`Batch`es of primitive
ops, so their inverses come for free. The GUI's undo commands wrap these and nothing else.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from studio.core.document import BlockDef, Document, Edge, Node

_MISSING = object()


class OpError(ValueError):
    """An edit that does not apply to this document (unknown node, occupied port...)."""


@dataclass
class Op:
    scope: str

    def apply(self, doc: Document) -> "Op":
        raise NotImplementedError  # each subclass implements its own change


@dataclass
class AddNode(Op):
    node: Node
    index: int | None = None  # position in the node order (undo restores the original order)

    def apply(self, doc):
        graph = doc.graph(self.scope)
        if self.node.id in graph.nodes:
            raise OpError(f"{self.scope}: node id {self.node.id!r} already exists")
        items = list(graph.nodes.items())
        at = len(items) if self.index is None else self.index
        items.insert(at, (self.node.id, copy.deepcopy(self.node)))
        graph.nodes = dict(items)
        doc.emit("node_added", scope=self.scope, node=self.node.id)
        return RemoveNode(self.scope, self.node.id)


@dataclass
class RemoveNode(Op):
    """Removes a node and its edges; the inverse re-inserts the same record, id and edges."""

    node_id: str

    def apply(self, doc):
        graph = doc.graph(self.scope)
        if self.node_id not in graph.nodes:
            raise OpError(f"{self.scope}: no node {self.node_id!r}")
        edges = graph.edges_of(self.node_id)
        undo_edges = [Disconnect(self.scope, e).apply(doc) for e in reversed(edges)]
        index = list(graph.nodes).index(self.node_id)
        node = graph.nodes.pop(self.node_id)
        doc.emit("node_removed", scope=self.scope, node=self.node_id)
        # undo: node first, then its edges at their old positions (in ascending order)
        return Batch(self.scope, [AddNode(self.scope, node, index), *reversed(undo_edges)])


@dataclass
class Connect(Op):
    edge: Edge
    index: int | None = None

    def apply(self, doc):
        graph = doc.graph(self.scope)
        for end in (self.edge.src[0], self.edge.dst[0]):
            if end not in graph.nodes:
                raise OpError(f"{self.scope}: no node {end!r}")
        if graph.edge_into(*self.edge.dst):
            raise OpError(f"{self.scope}: input {self.edge.dst[0]}.{self.edge.dst[1]} is already "
                          "connected; disconnect it first")
        graph.edges.insert(len(graph.edges) if self.index is None else self.index, self.edge)
        doc.emit("edge_added", scope=self.scope, edge=self.edge)
        return Disconnect(self.scope, self.edge)


@dataclass
class Disconnect(Op):
    edge: Edge

    def apply(self, doc):
        graph = doc.graph(self.scope)
        if self.edge not in graph.edges:
            raise OpError(f"{self.scope}: no edge {self.edge.src} -> {self.edge.dst}")
        index = graph.edges.index(self.edge)
        graph.edges.pop(index)
        doc.emit("edge_removed", scope=self.scope, edge=self.edge)
        return Connect(self.scope, self.edge, index)


@dataclass
class SetParams(Op):
    """Set (or, with ``None`` in ``remove``, delete) params of one node."""

    node_id: str
    values: dict
    remove: tuple = ()

    def apply(self, doc):
        node = _node(doc, self.scope, self.node_id)
        old = {k: node.params.get(k, _MISSING) for k in (*self.values, *self.remove)}
        for k in self.remove:
            node.params.pop(k, None)
        node.params.update(copy.deepcopy(self.values))
        doc.emit("params_changed", scope=self.scope, node=self.node_id,
                 params=sorted(old))
        restore = {k: v for k, v in old.items() if v is not _MISSING}
        return SetParams(self.scope, self.node_id, restore,
                         tuple(k for k, v in old.items() if v is _MISSING))


@dataclass
class MoveNodes(Op):
    positions: dict  # node id -> [x, y]

    def apply(self, doc):
        old = {}
        for nid, pos in self.positions.items():
            node = _node(doc, self.scope, nid)
            old[nid] = node.ui.get("pos")
            if pos is None:
                node.ui.pop("pos", None)
            else:
                node.ui["pos"] = [float(pos[0]), float(pos[1])]
        doc.emit("nodes_moved", scope=self.scope, nodes=list(self.positions))
        return MoveNodes(self.scope, old)


@dataclass
class RenameNode(Op):
    node_id: str
    name: str

    def apply(self, doc):
        node = _node(doc, self.scope, self.node_id)
        old, node.name = node.name, self.name
        doc.emit("node_renamed", scope=self.scope, node=self.node_id)
        return RenameNode(self.scope, self.node_id, old)


@dataclass
class SetVariable(Op):
    """Set (value) or delete (``value`` is None) a document variable."""

    name: str = ""
    value: object = None

    def apply(self, doc):
        old = doc.variables.get(self.name)
        if self.value is None:
            doc.variables.pop(self.name, None)
        else:
            doc.variables[self.name] = copy.deepcopy(self.value)
        doc.emit("variable_changed", scope=self.scope, name=self.name)
        return SetVariable(self.scope, self.name, old)


@dataclass
class SetTraining(Op):
    """Set top-level keys of the document's ``training`` section (``None`` deletes a key).

    A nested value (``optimizer``, ``dataset``) is replaced whole, so the inverse is simply the
    old values of the same keys."""

    values: dict = field(default_factory=dict)

    def apply(self, doc):
        old = {k: copy.deepcopy(doc.training.get(k)) for k in self.values}
        for key, value in self.values.items():
            if value is None:
                doc.training.pop(key, None)
            else:
                doc.training[key] = copy.deepcopy(value)
        doc.emit("training_changed", scope=self.scope, keys=sorted(self.values))
        return SetTraining(self.scope, old)


@dataclass
class AddBlock(Op):
    name: str = ""
    block: BlockDef = field(default_factory=BlockDef)

    def apply(self, doc):
        if self.name in doc.blocks:
            raise OpError(f"block {self.name!r} already exists")
        doc.blocks[self.name] = copy.deepcopy(self.block)
        doc.emit("block_added", scope=self.scope, name=self.name)
        return RemoveBlock(self.scope, self.name)


@dataclass
class RemoveBlock(Op):
    name: str = ""

    def apply(self, doc):
        if self.name not in doc.blocks:
            raise OpError(f"no block {self.name!r}")
        index = list(doc.blocks).index(self.name)
        block = doc.blocks.pop(self.name)
        doc.emit("block_removed", scope=self.scope, name=self.name)
        return _ReinsertBlock(self.scope, self.name, block, index)


@dataclass
class _ReinsertBlock(AddBlock):
    index: int = 0

    def apply(self, doc):
        inverse = super().apply(doc)
        items = list(doc.blocks.items())
        items.insert(self.index, items.pop())
        doc.blocks = dict(items)
        return inverse


@dataclass
class Batch(Op):
    """Several ops as one edit (one undo step)."""

    ops: list = field(default_factory=list)
    title: str = ""

    def apply(self, doc):
        inverses = []
        try:
            for op in self.ops:
                inverses.append(op.apply(doc))
        except OpError:
            for inverse in reversed(inverses):  # leave the document as it was
                inverse.apply(doc)
            raise
        return Batch(self.scope, list(reversed(inverses)), self.title)


def _node(doc: Document, scope: str, node_id: str) -> Node:
    try:
        return doc.graph(scope).nodes[node_id]
    except KeyError:
        raise OpError(f"{scope}: no node {node_id!r}") from None
