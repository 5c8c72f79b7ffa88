"""Which network to export and random inputs that are valid for it.

Float inputs are standard normal. Integer inputs are token ids, so they are drawn below the
smallest vocabulary (``num_embeddings``) of the Embedding nodes they feed: an id past the table
would make both PyTorch and onnxruntime fail, which says nothing about the export.
"""
from __future__ import annotations

import networkx as nx
import torch

from studio.compile.fx import Compiled
from studio.export.errors import ExportError

EMBEDDING = "recurrent.Embedding"
DEFAULT_INT_HIGH = 2  # ids 0 and 1: valid for any lookup table that exists at all


def pick_network(doc, requested: str | None = None) -> str:
    """``requested`` if given, else ``model``, else a GAN's ``generator``, else the first one."""
    if requested:
        if requested not in doc.networks:
            known = ", ".join(doc.networks) or "none"
            raise ExportError(f"no network {requested!r} in this document (it has: {known})")
        return requested
    for name in ("model", "generator"):
        if name in doc.networks:
            return name
    if not doc.networks:
        raise ExportError("the document has no network to export")
    return next(iter(doc.networks))


def _input_node(compiled: Compiled, name: str) -> str:
    return compiled.node_map[name]


def input_spec(compiled: Compiled, name: str):
    """The TensorSpec an Input node produces (its shape carries the inference batch first)."""
    nid = _input_node(compiled, name)
    spec = (compiled.shapes.outputs.get(nid) or {}).get("y")
    if spec is None:
        raise ExportError(f"{nid}: the shape of input {name!r} is unknown")
    return spec


def _vocabulary(doc_graph, shapes, input_node: str) -> int:
    """The smallest ``num_embeddings`` among Embedding nodes downstream of ``input_node``."""
    g = nx.DiGraph()
    g.add_nodes_from(doc_graph.nodes)
    g.add_edges_from((e.src[0], e.dst[0]) for e in doc_graph.edges)
    sizes = [int(shapes.params[n]["num_embeddings"]) for n in nx.descendants(g, input_node)
             if doc_graph.nodes[n].type == EMBEDDING and n in shapes.params]
    return min(sizes, default=DEFAULT_INT_HIGH)


def example_inputs(compiled: Compiled, doc, network: str, batch: int,
                   seed: int = 0) -> tuple[torch.Tensor, ...]:
    """One random tensor per model input, in call order, with ``batch`` samples."""
    generator = torch.Generator().manual_seed(seed)
    graph = doc.networks[network]
    out = []
    for name in compiled.inputs:
        spec = input_spec(compiled, name)
        shape = (batch, *spec.shape[1:])
        if spec.dtype == "int64":
            high = _vocabulary(graph, compiled.shapes, _input_node(compiled, name))
            out.append(torch.randint(0, high, shape, generator=generator, dtype=torch.int64))
        else:
            out.append(torch.randn(shape, generator=generator, dtype=torch.float32))
    return tuple(out)
