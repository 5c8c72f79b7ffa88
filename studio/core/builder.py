"""A small fluent API for writing networks in Python (tests, templates, scripts).

    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[1, 28, 28])
    h = b.add("conv.Conv2d", x, out_channels=6, kernel_size=5)
    b.add("io.Output", h)

Every call goes through the same ops the GUI uses, so a built document is an ordinary one.
"""
from __future__ import annotations

import nodes
from studio.core.document import Document, Edge, Node, stem_for
from studio.core.ops import AddNode, Connect
from studio.core.ports import node_ports


class GraphBuilder:
    def __init__(self, doc: Document, scope: str = "model"):
        self.doc, self.scope = doc, scope
        if scope not in doc.scopes() and not scope.startswith("block:"):
            from studio.core.document import Graph
            doc.networks[scope] = Graph()

    def add(self, type_id: str, *sources, id: str | None = None, label: str = "", **params) -> str:
        """Add a node fed by ``sources`` (node ids, or ``(node, port)`` pairs) in port order.
        Keyword arguments are params (``name=`` too, for Input/Output ports); ``label`` is the
        node's caption on the canvas."""
        if nodes.lookup(type_id) is None:
            raise KeyError(f"unknown node type {type_id!r}")
        graph = self.doc.graph(self.scope)
        node_id = id or graph.new_id(stem_for(type_id))
        AddNode(self.scope, Node(node_id, type_id, params, {}, label)).apply(self.doc)
        in_ports, _ = node_ports(self.doc, graph.nodes[node_id])
        for port, src in zip(in_ports, sources):
            if src is None:
                continue
            Connect(self.scope, Edge(self._end(src), (node_id, port.name))).apply(self.doc)
        return node_id

    def _end(self, src) -> tuple[str, str]:
        if isinstance(src, tuple):
            return src
        node = self.doc.graph(self.scope).nodes[src]
        _, outs = node_ports(self.doc, node)
        return (src, outs[0].name)
