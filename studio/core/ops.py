"""Invertible edits of a document.

Every op's ``apply(doc)`` changes the document, emits one event, and returns the op that undoes
it; applying the inverses in reverse order gives back the original document byte for byte (the
saved JSON text, key order included: an inverse puts a key, node, edge or block back where it
was), and applying the inverses of those gives back the edited document (redo). A hypothesis test
and ``bench/undo.py`` check both. Compound edits (group into a block, ungroup) are
:class:`Batch`es of primitive ops, so their inverses come for free. The GUI's undo commands wrap
these and nothing else.

An op checks its arguments when it is made (:mod:`studio.core.op_args`), so a malformed edit is
an :class:`OpError` naming the op and the argument, never a ``TypeError`` from inside ``apply``.
Inverses are built from what the document holds and skip those checks
(:func:`studio.core.op_base.inverse`).

This module holds the edits of structure (nodes, edges, blocks, batches); the edits of values
(params, positions, names, variables, training) live in :mod:`studio.core.ops_values` and are
importable from here too.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from studio.core import op_args as A
from studio.core.document import BlockDef, Edge, Graph, Node
from studio.core.op_args import OpError
from studio.core.op_base import Op, graph_of, insert_at, inverse
from studio.core.ops_values import MoveNodes, RenameNode, SetParams, SetTraining, SetVariable

__all__ = ["AddBlock", "AddNode", "Batch", "Connect", "Disconnect", "MoveNodes", "Op", "OpError",
           "RemoveBlock", "RemoveNode", "RenameNode", "SetParams", "SetTraining", "SetVariable"]


@dataclass
class AddNode(Op):
    node: Node
    index: int | None = None  # position in the node order (undo restores the original order)

    def check(self):
        n = self.node
        if not isinstance(n, Node):
            raise A.bad(self, "node", "a Node", n)
        A.check_text(self, "node.id", n.id)
        A.check_text(self, "node.type", n.type)
        A.check_text(self, "node.name", n.name, empty=True)
        self.node = Node(n.id, n.type, A.check_mapping(self, "node.params", n.params),
                         A.check_mapping(self, "node.ui", n.ui), n.name)
        A.check_index(self, "index", self.index)

    def apply(self, doc):
        graph = graph_of(doc, self.scope)
        if self.node.id in graph.nodes:
            raise OpError(f"{self.scope}: node id {self.node.id!r} already exists")
        at = len(graph.nodes) if self.index is None else self.index
        if at > len(graph.nodes):
            raise OpError(f"{self.scope}: cannot add {self.node.id!r} at position {at}: "
                          f"the graph has {len(graph.nodes)} nodes")
        insert_at(graph.nodes, at, self.node.id, copy.deepcopy(self.node))
        doc.emit("node_added", scope=self.scope, node=self.node.id)
        return inverse(RemoveNode, self.scope, self.node.id)


@dataclass
class RemoveNode(Op):
    """Removes a node and its edges; the inverse re-inserts the same record, id and edges."""

    node_id: str

    def check(self):
        A.check_text(self, "node_id", self.node_id)

    def apply(self, doc):
        graph = graph_of(doc, self.scope)
        if self.node_id not in graph.nodes:
            raise OpError(f"{self.scope}: no node {self.node_id!r}")
        edges = graph.edges_of(self.node_id)
        undo_edges = [inverse(Disconnect, self.scope, e).apply(doc) for e in reversed(edges)]
        index = list(graph.nodes).index(self.node_id)
        node = graph.nodes.pop(self.node_id)
        doc.emit("node_removed", scope=self.scope, node=self.node_id)
        # undo: node first, then its edges at their old positions (in ascending order)
        return inverse(Batch, self.scope, [inverse(AddNode, self.scope, node, index),
                                           *reversed(undo_edges)])


def _check_edge(op, edge) -> Edge:
    if not isinstance(edge, Edge):
        raise A.bad(op, "edge", "an Edge", edge)
    return Edge(A.check_edge_end(op, "edge.src", edge.src), A.check_edge_end(op, "edge.dst", edge.dst))


@dataclass
class Connect(Op):
    edge: Edge
    index: int | None = None

    def check(self):
        self.edge = _check_edge(self, self.edge)
        A.check_index(self, "index", self.index)

    def apply(self, doc):
        graph = graph_of(doc, self.scope)
        for end in (self.edge.src[0], self.edge.dst[0]):
            if end not in graph.nodes:
                raise OpError(f"{self.scope}: no node {end!r}")
        if graph.edge_into(*self.edge.dst):
            raise OpError(f"{self.scope}: input {self.edge.dst[0]}.{self.edge.dst[1]} is already "
                          "connected; disconnect it first")
        at = len(graph.edges) if self.index is None else self.index
        if at > len(graph.edges):
            raise OpError(f"{self.scope}: cannot insert an edge at position {at}: the graph has "
                          f"{len(graph.edges)} edges")
        graph.edges.insert(at, self.edge)
        doc.emit("edge_added", scope=self.scope, edge=self.edge)
        return inverse(Disconnect, self.scope, self.edge)


@dataclass
class Disconnect(Op):
    edge: Edge

    def check(self):
        self.edge = _check_edge(self, self.edge)

    def apply(self, doc):
        graph = graph_of(doc, self.scope)
        if self.edge not in graph.edges:
            raise OpError(f"{self.scope}: no edge {self.edge.src} -> {self.edge.dst}")
        index = graph.edges.index(self.edge)
        graph.edges.pop(index)
        doc.emit("edge_removed", scope=self.scope, edge=self.edge)
        return inverse(Connect, self.scope, self.edge, index)


@dataclass
class AddBlock(Op):
    name: str = ""
    block: BlockDef = field(default_factory=BlockDef)
    index: int | None = None  # position among the blocks (undo restores the original order)

    def check(self):
        A.check_text(self, "name", self.name)
        b = self.block
        if not isinstance(b, BlockDef) or not isinstance(b.graph, Graph) or not all(
                isinstance(n, Node) for n in b.graph.nodes.values()) or not all(
                isinstance(e, Edge) for e in b.graph.edges):
            raise A.bad(self, "block", "a BlockDef holding a Graph of Nodes and Edges", b)
        A.check_text(self, "block.doc", b.doc, empty=True)
        self.block = BlockDef(b.graph, A.check_mapping(self, "block.params", b.params), b.doc)
        A.check_index(self, "index", self.index)

    def apply(self, doc):
        if self.name in doc.blocks:
            raise OpError(f"block {self.name!r} already exists")
        at = len(doc.blocks) if self.index is None else self.index
        if at > len(doc.blocks):
            raise OpError(f"cannot add block {self.name!r} at position {at}: the document has "
                          f"{len(doc.blocks)} blocks")
        insert_at(doc.blocks, at, self.name, copy.deepcopy(self.block))
        doc.emit("block_added", scope=self.scope, name=self.name)
        return inverse(RemoveBlock, self.scope, self.name)


@dataclass
class RemoveBlock(Op):
    name: str = ""

    def check(self):
        A.check_text(self, "name", self.name)

    def apply(self, doc):
        if self.name not in doc.blocks:
            raise OpError(f"no block {self.name!r}")
        index = list(doc.blocks).index(self.name)
        block = doc.blocks.pop(self.name)
        doc.emit("block_removed", scope=self.scope, name=self.name)
        return inverse(AddBlock, self.scope, self.name, block, index)


@dataclass
class Batch(Op):
    """Several ops as one edit (one undo step); if one fails, those before it are undone."""

    ops: list = field(default_factory=list)
    title: str = ""

    def check(self):
        if not isinstance(self.ops, (list, tuple)) or not all(isinstance(o, Op) for o in self.ops):
            raise A.bad(self, "ops", "a list of ops", self.ops)
        self.ops = list(self.ops)
        A.check_text(self, "title", self.title, empty=True)

    def apply(self, doc):
        inverses = []
        try:
            for op in self.ops:
                inverses.append(op.apply(doc))
        except Exception:  # an OpError, or a bug: either way leave the document as it was
            for undo in reversed(inverses):
                undo.apply(doc)
            raise
        return inverse(Batch, self.scope, list(reversed(inverses)), self.title)
