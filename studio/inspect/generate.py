"""Asking a conditional generator for a chosen class (no Qt).

A conditional generator's inputs are noise (float) and a class label (int64, Mirza & Osindero
2014). :func:`conditional_samples` fills the label inputs with the chosen class and the others
with seeded N(0, 1) noise, so the same seed gives the same pictures, and a seed with another
class keeps each sample's noise while the class changes.
"""
from __future__ import annotations

import networkx as nx
import numpy as np
import torch

from studio.inspect.errors import InspectError

LABEL = "int64"
EMBEDDING = "recurrent.Embedding"


def _spec(compiled, name: str):
    nid = compiled.node_map[name]
    spec = next(iter((compiled.shapes.outputs.get(nid) or {}).values()), None)
    if spec is None:
        raise InspectError(f"{nid}: the shape of input {name!r} is unknown")
    return spec


def label_inputs(compiled) -> list[str]:
    """The generator's class-label inputs (int64), in call order."""
    return [n for n in compiled.inputs if _spec(compiled, n).dtype == LABEL]


def class_count(doc, network: str, compiled) -> int:
    """How many classes the label inputs accept: the smallest Embedding table they feed."""
    graph = doc.networks[network]
    g = nx.DiGraph()
    g.add_nodes_from(graph.nodes)
    g.add_edges_from((e.src[0], e.dst[0]) for e in graph.edges)
    sizes = [int(compiled.shapes.params[n]["num_embeddings"])
             for name in label_inputs(compiled)
             for n in nx.descendants(g, compiled.node_map[name])
             if graph.nodes[n].type == EMBEDDING and n in compiled.shapes.params]
    if not sizes:
        raise InspectError(f"network {network!r} has no class-label input (an int64 Input "
                           f"feeding an Embedding): it is not a conditional generator")
    return min(sizes)


@torch.no_grad()
def conditional_samples(compiled, classes, count: int, seed: int = 0) -> torch.Tensor:
    """``count`` pictures of each class in ``classes``, class by class; sample i of every class
    gets the same noise (drawn from ``seed``), so only the class differs between rows. Images
    in [-1, 1] (a tanh output) are mapped to [0, 1]."""
    if not label_inputs(compiled):
        raise InspectError("this network has no class-label input (int64): it cannot be asked "
                           "for a class")
    noise = torch.Generator().manual_seed(int(seed))
    labels = torch.as_tensor(list(classes), dtype=torch.int64).repeat_interleave(count)
    n, args = len(labels), []
    for name in compiled.inputs:
        spec = _spec(compiled, name)
        if spec.dtype == LABEL:
            args.append(labels.reshape(n, *spec.shape[1:]))
        else:
            z = torch.randn((count, *spec.shape[1:]), generator=noise)
            args.append(z.repeat(len(labels) // count, *([1] * (z.dim() - 1))))
    out = compiled.module.eval()(*args)
    images = (out[0] if isinstance(out, tuple) else out).float()
    if images.min() < -0.01:  # a tanh generator: [-1, 1] -> [0, 1]
        images = (images + 1) / 2
    return images.clamp(0, 1)


def picture_grid(images: torch.Tensor, columns: int, tile: int = 32, gap: int = 2) -> np.ndarray:
    """(N, C, H, W) images in [0, 1] as one RGB uint8 picture, ``columns`` per row on grey,
    each enlarged by an integer factor (nearest pixels) to at least ``tile`` pixels high: an
    8x8 digit is too small to read at the screen's resolution."""
    from studio.inspect.images import to_rgb
    factor = max(1, -(-tile // images.shape[-2]))
    tiles = [to_rgb(x).repeat(factor, axis=0).repeat(factor, axis=1) for x in images]
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, 3), 96, np.uint8)
    for i, picture in enumerate(tiles):
        r, c = divmod(i, columns)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = picture
    return out
