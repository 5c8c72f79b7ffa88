"""Pieces of vision transformers and modern convnets: learned tokens and embeddings, layer
scale, multi-head attention, and picking one position of a sequence.

Sequences are batch first, (N, T, D), like the recurrent family. Sizes (D, T, channels) come
from the incoming tensor; learned tensors start as their papers initialize them.
"""
import torch
from torch import nn

from nodes.base import NodeType, Param, Port, ctor, register


class ClassToken(nn.Module):
    """Prepends one learned token to every sequence: (N, T, D) -> (N, T + 1, D) (ViT)."""

    def __init__(self, dim: int):
        super().__init__()
        self.token = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x):
        return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)


class PositionalEmbedding(nn.Module):
    """Adds a learned tensor of one sample's shape to every sample (ViT's position embedding)."""

    def __init__(self, shape: tuple):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(1, *shape).normal_(std=0.02))

    def forward(self, x):
        return x + self.weight


class LayerScale(nn.Module):
    """Multiplies by a learned per-channel scale started small (ConvNeXt, CaiT): channels
    first (N, C, *) or features last (N, *, D)."""

    def __init__(self, channels: int, rank: int, init: float = 1e-6, last: bool = False):
        super().__init__()
        shape = (channels,) if last else (channels, *([1] * (rank - 2)))
        self.weight = nn.Parameter(torch.full(shape, float(init)))

    def forward(self, x):
        return self.weight * x


class MultiheadAttention(nn.MultiheadAttention):
    """``nn.MultiheadAttention`` (batch first) giving only the attended values; key and value
    default to the query (self-attention). Same weights and names as torch's."""

    def forward(self, query, key=None, value=None):
        key = query if key is None else key
        value = key if value is None else value
        return super().forward(query, key, value, need_weights=False)[0]


class Select(nn.Module):
    """One position along ``dim``: ``x[:, 0]`` is ``Select(1, 0)`` (ViT's class token)."""

    def __init__(self, dim: int = 1, index: int = 0):
        super().__init__()
        self.dim, self.index = dim, index

    def forward(self, x):
        return x.select(self.dim, self.index)

    def extra_repr(self):
        return f"dim={self.dim}, index={self.index}"


def _layer_scale(c):
    last = c["axis"] == "last"
    return ctor(LayerScale, c.x.shape[-1] if last else c.in_channels, len(c.x.shape),
                float(c["init"]), last)


def _select(c):
    rank, dim = len(c.x.shape), c["dim"]
    if not -rank <= dim < rank or dim % rank == 0:  # never the batch dimension
        raise ValueError(f"dim: expected 1..{rank - 1} for input {c.x.label()}, received {dim}")
    size = c.x.shape[dim]
    if not -size <= c["index"] < size:
        raise ValueError(f"index: expected -{size}..{size - 1} for dim {dim} of size {size}, "
                         f"received {c['index']}")
    return ctor(Select, dim, c["index"])


def _attention(c):
    dim = c.in_features
    if dim % c["num_heads"]:
        raise ValueError(f"num_heads: must divide the features ({dim}), received {c['num_heads']}")
    return ctor(MultiheadAttention, dim, c["num_heads"], dropout=float(c["dropout"]),
                bias=c["bias"], batch_first=True)


register(
    NodeType(
        id="transformer.ClassToken", title="ClassToken", category="Transformer",
        doc="Prepends a learned class token to each sequence (ViT).",
        build=lambda c: ctor(ClassToken, c.in_features), shape_doc="(N, T, D) -> (N, T+1, D)",
        test_cases=(({}, [(2, 5, 8)]), ({}, [(3, 1, 4)])),
    ),
    NodeType(
        id="transformer.PositionalEmbedding", title="PositionalEmbedding",
        category="Transformer", doc="Adds a learned embedding of one sample's shape (ViT's "
        "position embedding).",
        build=lambda c: ctor(PositionalEmbedding, tuple(c.x.shape[1:])),
        shape_doc="(N, *) -> same", test_cases=(({}, [(2, 5, 8)]), ({}, [(2, 3, 4, 4)])),
    ),
    NodeType(
        id="transformer.LayerScale", title="LayerScale", category="Transformer",
        doc="Multiplies each channel by a learned scale started at `init` (ConvNeXt, CaiT).",
        params=(Param("init", "float", 1e-6, "starting value of every scale"),
                Param("axis", "choice", "channels", "'channels': dim 1 (N, C, H, W); 'last': "
                      "the last dim (N, T, D)", choices=("channels", "last"))),
        build=_layer_scale, summary=("init",), shape_doc="(N, *) -> same",
        test_cases=(({}, [(2, 4, 3, 3)]), ({"axis": "last", "init": 0.1}, [(2, 5, 6)])),
    ),
    NodeType(
        id="transformer.MultiheadAttention", title="MultiheadAttention", category="Transformer",
        doc="Multi-head scaled dot-product attention over batch-first sequences; key and value "
            "default to the query (self-attention).",
        inputs=(Port("query"), Port("key", optional=True), Port("value", optional=True)),
        params=(Param("num_heads", "int", 4, "parallel heads; must divide the features", min=1),
                Param("dropout", "float", 0.0, "dropout on the attention weights (training)",
                      min=0, max=1),
                Param("bias", "bool", True, "learn biases in the projections")),
        build=_attention, summary=("num_heads",),
        shape_doc="(N, T, D)[, (N, S, D), (N, S, D)] -> (N, T, D)",
        test_cases=(({"num_heads": 2}, [(2, 5, 8)]),
                    ({"num_heads": 1, "bias": False}, [(2, 3, 4), (2, 6, 4), (2, 6, 4)])),
    ),
    NodeType(
        id="transformer.Select", title="Select", category="Reshape",
        doc="Takes one position along a dimension, dropping it (x[:, 0]: the class token).",
        params=(Param("dim", "int", 1, "dimension to index (1 = the first after batch)",
                      min=-8, max=8),
                Param("index", "int", 0, "position to take; negative counts from the end")),
        build=_select, summary=("dim", "index"), shape_doc="(N, T, D) -> (N, D) with dim 1",
        test_cases=(({}, [(2, 5, 8)]), ({"dim": -1, "index": -1}, [(2, 3, 4)])),
    ),
)
