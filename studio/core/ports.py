"""The ports of a node in a document: static for most types, taken from the block definition for
Block nodes (its BlockInput / BlockOutput nodes, in order)."""
from __future__ import annotations

import nodes
from nodes.base import BLOCK, Port
from studio.core.document import Document, Node


def io_port_name(node: Node) -> str:
    """The port a BlockInput/BlockOutput node stands for (its ``name`` param or the default).
    Always a string: a damaged ``name`` (``-1``, a list) is reported by the param check, and
    meanwhile must not break code that joins, sorts or hashes port names."""
    t = nodes.lookup(node.type)
    name = node.params.get("name", t.param("name").default if t else "x")
    return name if isinstance(name, str) else repr(name)


def block_ports(doc: Document, block_name) -> tuple[tuple[Port, ...], tuple[Port, ...]]:
    """The ports of the block called ``block_name``; none when there is no such block (or the
    name is not a string: a list there is reported by the param check)."""
    block = doc.blocks.get(block_name) if isinstance(block_name, str) else None
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
