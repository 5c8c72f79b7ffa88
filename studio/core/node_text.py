"""The text on a canvas node, without Qt (so the layout can size nodes from it too): the title
(``node_title``: "mu · Linear") and, for a Block node, its inside in one line
(``block_outline``: ``conv1×1 → conv3×3 → conv1×1 + skip``).

ResNet-50 used to be a row of identical yellow boxes; the outline names what each block does
without opening it. It follows the longest path from the block's input to its output (the main
branch), names the layers that shape the tensor (convolutions with their kernel, linear and
recurrent layers, pooling, nested blocks) and says what a merge adds from the other branch
("+ skip" for an identity shortcut, "+ conv1×1 skip" for a projection, "cat skip" for U-Net's
concatenation). Norms and activations are named only when nothing else would be. No Qt here.
"""
from __future__ import annotations

import re

import networkx as nx

import nodes

SHAPING = {"Convolution", "Linear", "Recurrent", "Pooling", "Blocks", "Generative"}
MERGE_WORDS = {"Add": "+", "Concat": "cat", "Multiply": "×"}


def node_title(name: str, type_title: str) -> str:
    """``"mu · Linear"``: the id (or name) always, plus the type unless the id already says it
    (``relu1`` is a ReLU; ``conv1`` could be any Conv, ``bn1`` a BatchNorm of any rank)."""
    stem = re.sub(r"\d+$", "", name).lower()
    return name if stem == type_title.lower() else f"{name} · {type_title}"


def _kernel(value) -> str:
    if isinstance(value, list):
        return "×".join(map(str, value))
    return f"{value}×{value}" if isinstance(value, int) else ""


def layer_word(node) -> str:
    """``conv3×3/2``, ``deconv4×4``, ``linear``, ``maxpool``, a nested block's name."""
    t = nodes.lookup(node.type)
    if t is None:
        return node.type
    if t.role == nodes.BLOCK:
        return str(node.params.get("block", "block"))
    word = t.title.lower().removesuffix("1d").removesuffix("2d").removesuffix("3d")
    word = word.replace("convtranspose", "deconv").replace("batchnorm", "bn")
    if t.category == "Convolution":
        word += _kernel(node.params.get("kernel_size", t.defaults().get("kernel_size")))
        stride = node.params.get("stride", 1)
        if isinstance(stride, int) and stride > 1:
            word += f"/{stride}"
    return word


def block_outline(doc, block_name: str) -> str:
    """The one-line outline of block ``block_name`` of ``doc`` ("" when it cannot be read)."""
    block = doc.blocks.get(block_name) if isinstance(block_name, str) else None
    if block is None:
        return ""
    graph = block.graph
    g = _dag(graph)
    if g is None:
        return ""
    path = nx.dag_longest_path(g)
    steps = _steps(graph, path)
    words = [_word(graph, g, nid, t, path) for nid, t in steps
             if t.category in SHAPING or t.category == "Merge"]
    if sum(1 for nid, t in steps if t.category in SHAPING) < 2:
        # too little shaping to tell the block apart: name every step of the main path
        words = [_word(graph, g, nid, t, path) for nid, t in steps]
    return _join(words)


def block_miniature(doc, block_name: str) -> list[str]:
    """The categories of the layers along the block's main path, in order (drawn as a row of
    coloured chips on the Block node: a miniature of its inside); [] when unreadable."""
    block = doc.blocks.get(block_name) if isinstance(block_name, str) else None
    if block is None:
        return []
    g = _dag(block.graph)
    if g is None:
        return []
    return [t.category for _, t in _steps(block.graph, nx.dag_longest_path(g))]


def _dag(graph):
    """The block's wiring as a networkx DAG; None for a loop (validation names it). Edges to
    nodes the file lacks are left out: a broken block still gets an outline of what is there."""
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.src[0], e.dst[0]) for e in graph.edges
                     if e.src[0] in graph.nodes and e.dst[0] in graph.nodes)
    return g if nx.is_directed_acyclic_graph(g) else None


def _steps(graph, path) -> list:
    """(node id, type) along ``path``, without the block's own input and output ports."""
    steps = [(nid, nodes.lookup(graph.nodes[nid].type)) for nid in path]
    return [(nid, t) for nid, t in steps
            if t is not None and t.role not in (nodes.BLOCK_INPUT, nodes.BLOCK_OUTPUT)]


def _word(graph, g, nid, t, path) -> str:
    if t.category == "Merge":
        return _merge_word(graph, g, nid, path, t.title)
    return layer_word(graph.nodes[nid])


def _merge_word(graph, g, nid, path, title) -> str:
    """What the other branch brings: "+ skip", "+ conv1×1 skip", "cat skip"."""
    symbol = MERGE_WORDS.get(title, title.lower())
    branch = []
    for pred in g.predecessors(nid):
        if pred in path:
            continue
        # walk the side branch back to where it leaves the main path
        while pred not in path:
            t = nodes.lookup(graph.nodes[pred].type)
            if t is not None and t.category in SHAPING:
                branch.insert(0, layer_word(graph.nodes[pred]))
            ins = list(g.predecessors(pred))
            if not ins:
                break
            pred = ins[0]
    return f"{symbol} {' '.join(branch)} skip".replace("  ", " ")


def _join(words: list[str]) -> str:
    """Layers joined by arrows; a merge attaches to the layer before it ("conv1×1 + skip")."""
    out = ""
    for w in words:
        if w.startswith(("+", "×")) and out:
            out += f" {w}"
        else:
            out += f" → {w}" if out else w
    return out
