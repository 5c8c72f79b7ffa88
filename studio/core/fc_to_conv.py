"""Fully connected layers as convolutions: the edit behind the course's fully convolutional nets.

A classifier's head ``Flatten -> Linear -> act -> ... -> Linear`` over a (C, H, W) feature map is
the same function as ``Conv2d(kernel H x W) -> act -> ... -> Conv2d(1 x 1)`` evaluated at the one
position where the kernel fits; on a larger input the convolutions slide and the head gives a
score per position: a class map (Long, Shelhamer & Darrell 2015; Sermanet et al.'s OverFeat).

:func:`fc_to_conv_op` returns one :class:`~studio.core.ops.Batch` (one undo step) that

- replaces each Linear of the head by a Conv2d with the *same node id* (so the compiled module
  keeps its name and a checkpoint its key: :func:`conv_weight` only reshapes the weight), the
  first with the feature map's kernel, the later ones 1 x 1;
- removes the Flatten (the activations and dropouts between the layers act per element, so they
  work unchanged on the (N, C, 1, 1) maps);
- puts a GlobalAvgPool after the last convolution, feeding what the last Linear fed: at the
  original size it averages one position, so the logits (and the loss and metrics reading them)
  are exactly the old ones; on a larger input it averages the class map ("feature map pooling");
- adds an Output ``class_map`` on the last convolution.

The head is found from any of its nodes; what cannot be converted is a :class:`FcToConvError`
naming the node and what was expected.
"""
from __future__ import annotations

from dataclasses import dataclass

import nodes
from studio.core.diagnostics import ERROR
from studio.core.document import Document, Edge, Graph, Node, stem_for
from studio.core.ops import AddNode, Batch, Connect, Disconnect, RemoveNode
from studio.core.shapes import ShapeInference

FLATTEN, LINEAR, CONV = "reshape.Flatten", "linear.Linear", "conv.Conv2d"
POOL, OUTPUT = "pooling.GlobalAvgPool", "io.Output"
TITLE = "Fully connected layers as convolutions"


class FcToConvError(ValueError):
    """The head cannot be converted; the message names the node and the reason."""


@dataclass
class Head:
    """A convertible head: its Flatten, the Linear ids in order and the flattened map's size."""

    flatten: str
    linears: list
    map_shape: tuple  # (C, H, W) of the feature map the Flatten receives
    in_features: list  # per Linear, the features it reads (C*H*W for the first)

    @property
    def last(self) -> str:
        return self.linears[-1]


def _type(graph: Graph, node_id: str) -> str:
    """The canonical type id (aliases followed) of a node."""
    t = nodes.lookup(graph.nodes[node_id].type)
    return t.id if t else graph.nodes[node_id].type


def _passes_through(graph: Graph, node_id: str) -> bool:
    """A one-in, one-out node that keeps its input's shape (activation, dropout): it is left in
    place, and the converted graph's shape check says whether it takes a (N, C, 1, 1) map."""
    t = nodes.lookup(graph.nodes[node_id].type)
    return bool(t and t.same_shape and len(t.inputs) == 1 and len(t.outputs) == 1)


def _out_edges(graph: Graph, node_id: str) -> list[Edge]:
    return [e for e in graph.edges if e.src[0] == node_id]


def _single_next(graph: Graph, node_id: str) -> str | None:
    out = _out_edges(graph, node_id)
    return out[0].dst[0] if len(out) == 1 else None


def _find_flatten(graph: Graph, node_id: str) -> str:
    """Walk back from ``node_id`` over Linear and pass-through nodes to the head's Flatten."""
    current, seen = node_id, set()
    while current not in seen:
        seen.add(current)
        if _type(graph, current) == FLATTEN:
            return current
        if _type(graph, current) != LINEAR and not _passes_through(graph, current):
            break
        edge = next((e for e in graph.edges if e.dst[0] == current), None)
        if edge is None:
            break
        current = edge.src[0]
    raise FcToConvError(f"{node_id}: no Flatten -> Linear head here (choose the Flatten or a "
                        "Linear of a classifier head that starts with a Flatten)")


def _head_linears(graph: Graph, flatten: str) -> list[str]:
    """The Linears after ``flatten``, each reached through one-consumer pass-through nodes."""
    linears, current, seen = [], flatten, {flatten}
    while True:
        nxt = _single_next(graph, current)
        while nxt is not None and nxt not in seen and _passes_through(graph, nxt):
            seen.add(nxt)  # a loop (an invalid document) ends the walk instead of hanging it
            nxt = _single_next(graph, nxt)
        if nxt is None or nxt in seen or _type(graph, nxt) != LINEAR:
            return linears
        seen.add(nxt)
        linears.append(nxt)
        current = nxt


def find_head(doc: Document, scope: str, node_id: str, shapes=None) -> Head:
    """The convertible head holding ``node_id`` (its Flatten or one of its Linears)."""
    graph = doc.graph(scope)
    if node_id not in graph.nodes:
        raise FcToConvError(f"{scope}: no node {node_id!r}")
    flatten = _find_flatten(graph, node_id)
    linears = _head_linears(graph, flatten)
    if not linears:
        raise FcToConvError(f"{flatten}: expected a Linear after the Flatten (through "
                            "activations or dropout only, each feeding one node)")
    shapes = shapes or ShapeInference().infer(doc, scope)
    params = shapes.params.get(flatten, {})
    received = (shapes.inputs.get(flatten) or [None])[0]
    if received is None or len(received.shape) != 4:
        got = received.label() if received is not None else "no known shape"
        raise FcToConvError(f"{flatten}: expected a (N, C, H, W) feature map to flatten, "
                            f"received {got}")
    if params.get("start_dim") != 1 or params.get("end_dim") not in (-1, 3):
        raise FcToConvError(f"{flatten}: expected start_dim 1 and end_dim -1 (the whole map), "
                            f"got start_dim {params.get('start_dim')}, end_dim "
                            f"{params.get('end_dim')}")
    features = []
    for lin in linears:
        spec = (shapes.inputs.get(lin) or [None])[0]
        if spec is None or len(spec.shape) != 2:
            raise FcToConvError(f"{lin}: expected a (N, features) input, received "
                                f"{spec.label() if spec else 'no known shape'}")
        features.append(spec.shape[1])
    return Head(flatten, linears, tuple(received.shape[1:]), features)


def _conv_node(node: Node, kernel) -> Node:
    """The Conv2d standing in for Linear ``node``: same id, name and ui; out_features and bias
    carried over as written (a ``$variable`` stays a reference)."""
    params = {"out_channels": node.params.get("out_features", 10), "kernel_size": kernel}
    if "bias" in node.params:
        params["bias"] = node.params["bias"]
    return Node(node.id, CONV, params, dict(node.ui), node.name)


def _replace(graph: Graph, scope: str, node_id: str, new: Node) -> list:
    """Ops swapping ``node_id`` for ``new`` (same id), each edge back at its position."""
    edges = sorted(graph.edges_of(node_id), key=graph.edges.index)
    return [RemoveNode(scope, node_id), AddNode(scope, new, list(graph.nodes).index(node_id)),
            *[Connect(scope, e, graph.edges.index(e)) for e in edges]]


def _beside(node: Node, dx: float, dy: float) -> dict:
    pos = node.ui.get("pos")
    return {"pos": [float(pos[0]) + dx, float(pos[1]) + dy]} if pos else {}


def _output_name(graph: Graph, stem: str = "class_map") -> str:
    taken = {n.params.get("name") for n in graph.nodes.values() if _type_is(n, OUTPUT)}
    name, k = stem, 2
    while name in taken:
        name, k = f"{stem}_{k}", k + 1
    return name


def _type_is(node: Node, type_id: str) -> bool:
    t = nodes.lookup(node.type)
    return bool(t and t.id == type_id)


def build_ops(doc: Document, scope: str, head: Head) -> Batch:
    """The batch converting ``head`` (see the module docstring)."""
    graph = doc.graph(scope)
    ops = []
    _, h, w = head.map_shape
    for i, lin in enumerate(head.linears):
        kernel = [h, w] if i == 0 else 1
        ops += _replace(graph, scope, lin, _conv_node(graph.nodes[lin], kernel))
    into = graph.edge_into(head.flatten, nodes.lookup(FLATTEN).inputs[0].name)
    out = _out_edges(graph, head.flatten)[0]
    ops += [RemoveNode(scope, head.flatten), Connect(scope, Edge(into.src, out.dst))]
    last = graph.nodes[head.last]
    pool = Node(graph.new_id(stem_for(POOL)), POOL, {}, _beside(last, 0, 0))
    taken = {pool.id}
    cmap = Node(graph.new_id(stem_for(OUTPUT), taken), OUTPUT, {"name": _output_name(graph)},
                _beside(last, 0, 120))
    ops += [AddNode(scope, pool), AddNode(scope, cmap)]
    for e in _out_edges(graph, head.last):
        ops += [Disconnect(scope, e), Connect(scope, Edge((pool.id, "y"), e.dst))]
    ops += [Connect(scope, Edge((head.last, "y"), (pool.id, "x"))),
            Connect(scope, Edge((head.last, "y"), (cmap.id, "x")))]
    return Batch(scope, ops, TITLE)


def fc_to_conv_op(doc: Document, scope: str, node_id: str,
                  inference: ShapeInference | None = None) -> tuple[Batch, Head]:
    """The undoable edit converting the head holding ``node_id``, checked on a copy: a node
    of the head that cannot take the convolution's map is an error naming it."""
    inference = inference or ShapeInference()
    head = find_head(doc, scope, node_id, inference.infer(doc, scope))
    batch = build_ops(doc, scope, head)
    trial = doc.copy()
    batch.apply(trial)
    for d in inference.infer(trial, scope).diagnostics:
        if d.severity == ERROR:
            raise FcToConvError(f"{d.node}: after the conversion: {d.message}")
    return batch, head


def conv_weight(weight, head: Head, linear_id: str):
    """A Linear's (out, in) weight as the matching Conv2d's: (out, C, H, W) for the first
    Linear (Flatten's order is channel, row, column), (out, in, 1, 1) for the others."""
    i = head.linears.index(linear_id)
    shape = head.map_shape if i == 0 else (head.in_features[i], 1, 1)
    if weight.dim() != 2 or weight.shape[1] != head.in_features[i]:
        raise FcToConvError(f"{linear_id}: expected a Linear weight of shape (out, "
                            f"{head.in_features[i]}), got {tuple(weight.shape)}")
    return weight.reshape(weight.shape[0], *shape)
