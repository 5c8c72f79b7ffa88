"""A Block node expanded in place: a card under the node listing the layers inside, in order,
without leaving the parent graph (double-click still opens the block for editing).

Clicking the ▣ mark in a block's title toggles the card. The card is a child of the node, so it
follows the node when moved; the node is lifted above its neighbours while it is open.
"""
from __future__ import annotations

import networkx as nx
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsItem

import nodes
from studio.core.node_text import layer_word
from studio.gui.theme import category_colour, colours

ROW, PAD, CHIP = 18.0, 6.0, 10.0
FONT = QFont("Sans Serif")
FONT.setPixelSize(12)
MARK = QRectF(6, 0, 22, 22)  # where the ▣ mark sits in a block's title (node coordinates)


def inside_rows(doc, block_name) -> list[tuple[str, str]]:
    """(category, "conv1 · conv1×1") for each layer of the block, in the order data flows."""
    block = doc.blocks.get(block_name) if isinstance(block_name, str) else None
    if block is None:
        return []
    graph = block.graph
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.src[0], e.dst[0]) for e in graph.edges
                     if e.src[0] in graph.nodes and e.dst[0] in graph.nodes)
    index = {nid: i for i, nid in enumerate(graph.nodes)}
    # the file's order among the ready nodes: a shortcut branch after the main one
    order = (list(nx.lexicographical_topological_sort(g, key=index.get))
             if nx.is_directed_acyclic_graph(g) else list(graph.nodes))
    rows = []
    for nid in order:
        t = nodes.lookup(graph.nodes[nid].type)
        if t is not None and t.role not in (nodes.BLOCK_INPUT, nodes.BLOCK_OUTPUT):
            rows.append((t.category, f"{nid} · {layer_word(graph.nodes[nid])}"))
    return rows


class BlockPeek(QGraphicsItem):
    def __init__(self, node_item, rows):
        super().__init__(node_item)
        self.rows = rows
        self.width = max(node_item.width, max((QFontMetricsF(FONT).horizontalAdvance(text)
                                                for _, text in rows), default=0) + 3 * PAD + CHIP)
        self.setPos(0, node_item.height + 4)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.width, len(self.rows) * ROW + 2 * PAD)

    def paint(self, painter, option, widget=None):
        c = colours()
        painter.setPen(QPen(QColor(c["node_border"]), 1))
        painter.setBrush(QColor(c["node"]))
        painter.drawRoundedRect(self.boundingRect(), 5, 5)
        painter.setFont(FONT)
        for i, (category, text) in enumerate(self.rows):
            y = PAD + i * ROW
            painter.setPen(Qt.NoPen)
            painter.setBrush(category_colour(category))
            painter.drawRoundedRect(QRectF(PAD, y + (ROW - CHIP) / 2, CHIP, CHIP), 2, 2)
            painter.setPen(QColor(c["text"]))
            painter.drawText(QRectF(2 * PAD + CHIP, y, self.width - 3 * PAD - CHIP, ROW),
                             Qt.AlignVCenter, text)


def toggle_peek(node_item) -> bool:
    """Open or close the card of a Block node item; True when it is now open."""
    peek = getattr(node_item, "peek", None)
    if peek is not None:
        node_item.peek = None
        peek.setParentItem(None)
        if peek.scene() is not None:
            peek.scene().removeItem(peek)
        node_item.setZValue(1)
        return False
    scene = node_item.scene()
    session = getattr(scene, "session", None)
    node = session.graph.nodes.get(node_item.node_id) if session is not None else None
    rows = inside_rows(session.doc, node.params.get("block")) if node is not None else []
    if not rows:
        return False
    node_item.peek = BlockPeek(node_item, rows)
    node_item.setZValue(2)  # its card above the neighbours below it
    return True
