"""The ports of a node in a document: static for most types, taken from the block definition for
Block nodes (its BlockInput / BlockOutput nodes, in order)."""
from __future__ import annotations

import nodes
from nodes.base import BLOCK, Port
from studio.core.document import Document, Node


def io_port_name(node: Node) -> str:
    """The port a BlockInput/BlockOutput node stands for (its ``name`` param or the default)."""
    t = nodes.lookup(node.type)
    return node.params.get("name", t.param("name").default if t else "x")


def block_ports(doc: Document, block_name: str) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
    block = doc.blocks.get(block_name)
    if block is None:
        return (), ()
    body = block.graph.nodes.values()
    ins = tuple(Port(io_port_name(n)) for n in body if n.type == "io.BlockInput")
    outs = tuple(Port(io_port_name(n)) for n in body if n.type == "io.BlockOutput")
    return ins, outs


def node_ports(doc: Document, node: Node) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
    """(inputs, outputs) of ``node``; an unknown type keeps the ports its edges use."""
    t = nodes.lookup(node.type)
    if t is None:
        return (), ()
    if t.role == BLOCK:
        return block_ports(doc, node.params.get("block", ""))
    return t.inputs, t.outputs
