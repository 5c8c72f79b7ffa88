"""Joining and splitting tensors: Concat, Add (residual connections), Multiply, Split.

``dim`` counts like torch (batch is dim 0) and may be negative; dim 0 is refused because
mixing samples of a batch is never what a graph edge means.
"""
import torch
from torch import nn

from nodes.base import NodeType, Param, Port, ctor, register


class Concat(nn.Module):
    """Concatenates its inputs along ``dim``; open optional inputs (None) are skipped."""

    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat([x for x in xs if x is not None], dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Add(nn.Module):
    """Element-wise sum of its inputs (broadcasting); open optional inputs are skipped."""

    def forward(self, *xs):
        total = xs[0]
        for x in xs[1:]:
            if x is not None:
                total = total + x
        return total


class Multiply(nn.Module):
    """Element-wise product (broadcasting): gates, attention masks."""

    def forward(self, a, b):
        return a * b


class Split(nn.Module):
    """Splits ``x`` along ``dim`` into two parts of ``sizes[0]`` and ``sizes[1]`` elements."""

    def __init__(self, dim: int = 1, sizes: tuple = (1, 1)):
        super().__init__()
        self.dim, self.sizes = dim, tuple(sizes)

    def forward(self, x):
        first, second = torch.split(x, list(self.sizes), dim=self.dim)
        return first, second

    def extra_repr(self):
        return f"dim={self.dim}, sizes={self.sizes}"


_dim = Param("dim", "int", 1, "dimension to join or split along (1 = channels/features; "
             "negative counts from the end)", min=-8, max=8)


def _checked_dim(c, spec) -> int:
    """``dim`` normalized against ``spec``; a diagnostic when it is out of range or the batch."""
    rank, dim = len(spec.shape), c["dim"]
    if not -rank <= dim < rank or dim % rank == 0:
        raise ValueError(f"dim: expected 1..{rank - 1} or -{rank - 1}..-1 for input "
                         f"{spec.label()}, received {dim}")
    return dim % rank


def _concat(c):
    _checked_dim(c, c.x)
    return ctor(Concat, c["dim"])


def _split(c):
    dim = _checked_dim(c, c.x)
    total, first = c.x.shape[dim], c["first_size"] or (c.x.shape[dim] + 1) // 2
    if not 0 < first < total:
        raise ValueError(f"first_size: expected 1..{total - 1} for dim {dim} of size {total}, "
                         f"received {c['first_size']}")
    return ctor(Split, c["dim"], (first, total - first))


_optional = (Port("c", optional=True), Port("d", optional=True))

register(
    NodeType(
        id="merge.Concat", title="Concat", category="Merge",
        doc="Concatenates 2–4 tensors along a dimension (U-Net skips, Inception branches).",
        inputs=(Port("a"), Port("b"), *_optional), params=(_dim,),
        build=_concat, summary=("dim",),
        shape_doc="(N, a, *), (N, b, *) … -> (N, a+b+…, *) along dim",
        test_cases=(({}, [(2, 3, 4, 4), (2, 5, 4, 4)]),
                    ({"dim": -1}, [(2, 3, 4), (2, 3, 2), (2, 3, 1), (2, 3, 6)]),
                    ({"dim": 2}, [(2, 3, 4), (2, 3, 1), (2, 3, 2)])),
    ),
    NodeType(
        id="merge.Add", title="Add", category="Merge",
        doc="Element-wise sum of 2–4 tensors: the residual connection y = x + F(x).",
        inputs=(Port("a"), Port("b"), *_optional),
        build=lambda c: ctor(Add), shape_doc="(*), (*) … -> (*) (broadcasting)",
        test_cases=(({}, [(2, 3, 4, 4), (2, 3, 4, 4)]),
                    ({}, [(2, 8), (2, 8), (2, 8), (2, 8)]),
                    ({}, [(2, 3, 5), (2, 1, 5)])),
    ),
    NodeType(
        id="merge.Multiply", title="Multiply", category="Merge",
        doc="Element-wise product of two tensors (gating).",
        inputs=(Port("a"), Port("b")),
        build=lambda c: ctor(Multiply), shape_doc="(*), (*) -> (*) (broadcasting)",
        test_cases=(({}, [(2, 6), (2, 6)]), ({}, [(2, 3, 4, 4), (2, 3, 1, 1)])),
    ),
    NodeType(
        id="merge.Split", title="Split", category="Merge",
        doc="Splits a tensor in two along a dimension: the first `first_size` entries and the "
            "rest.",
        outputs=(Port("first"), Port("second")),
        params=(_dim,
                Param("first_size", "int", 0, "size of the first part; 0 = two halves "
                      "(the first one larger when the size is odd, like chunk(2))", min=0)),
        build=_split, summary=("dim", "first_size"),
        shape_doc="(N, S, *) -> first (N, first_size, *), second (N, S - first_size, *)",
        test_cases=(({}, [(2, 8, 3)]), ({"dim": -1, "first_size": 3}, [(2, 4, 10)]),
                    ({"dim": 2}, [(2, 3, 5)])),
    ),
)
