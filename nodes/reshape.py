"""Reshaping that never touches the batch dimension: Flatten, Reshape, Permute.

Shapes and dims the user types are about one sample; the batch dimension stays first.
"""
from torch import nn

from nodes.base import NodeType, Param, ctor, register


class Reshape(nn.Module):
    """Reshapes each sample to ``shape`` (batch kept); one entry may be -1 (inferred)."""

    def __init__(self, shape: tuple = (-1,)):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self):
        return f"shape={self.shape}"


class Permute(nn.Module):
    """Reorders the non-batch dimensions; ``dims`` are 1-based, as torch counts after batch.

    ``dims=(2, 1)`` turns (N, C, L) into (N, L, C): conv features into RNN steps."""

    def __init__(self, dims: tuple = (2, 1)):
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x):
        return x.permute(0, *self.dims)

    def extra_repr(self):
        return f"dims={self.dims}"


def _as_tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _permute(c):
    # Checked here rather than in forward so the diagnostic names the param, and forward
    # stays a plain permute that torch.fx can trace.
    dims, rank = _as_tuple(c["dims"]), len(c.x.shape)
    if sorted(dims) != list(range(1, rank)):
        raise ValueError(f"dims: expected a permutation of 1..{rank - 1} for input "
                         f"{c.x.label()}, received {list(dims)}")
    return ctor(Permute, dims)


register(
    NodeType(
        id="reshape.Flatten", title="Flatten", category="Reshape",
        doc="Flattens dimensions start_dim..end_dim into one (feature maps -> a vector).",
        params=(Param("start_dim", "int", 1, "first dimension flattened (1 = after batch)",
                      min=1),
                Param("end_dim", "int", -1, "last dimension flattened (-1 = the last)")),
        build=lambda c: ctor(nn.Flatten, c["start_dim"], c["end_dim"]),
        summary=("start_dim",), shape_doc="(N, C, H, W) -> (N, C·H·W) with the defaults",
        test_cases=(({}, [(2, 16, 5, 5)]), ({"start_dim": 2}, [(2, 3, 4, 5)]),
                    ({"start_dim": 1, "end_dim": 2}, [(2, 3, 4, 5)])),
    ),
    NodeType(
        id="reshape.Reshape", title="Reshape", category="Reshape",
        doc="Reshapes each sample to the given shape (without batch); one -1 is inferred.",
        params=(Param("shape", "shape", [-1], "shape of one sample, without the batch "
                      "dimension; one entry may be -1"),),
        build=lambda c: ctor(Reshape, _as_tuple(c["shape"])),
        summary=("shape",), shape_doc="(N, *) -> (N, *shape)",
        test_cases=(({"shape": [1, 28, 28]}, [(2, 784)]), ({"shape": [4, -1]}, [(2, 2, 3, 4)]),
                    ({}, [(2, 3, 5)])),
    ),
    NodeType(
        id="reshape.Permute", title="Permute", category="Reshape",
        doc="Reorders the dimensions after batch; dims are 1-based (batch stays first).",
        params=(Param("dims", "ints", [2, 1], "new order of dimensions 1..k, e.g. [2, 3, 1] "
                      "for (N, C, H, W) -> (N, H, W, C)", min=1),),
        build=_permute,
        summary=("dims",), shape_doc="(N, d1, …, dk) -> (N, d[dims[0]], …)",
        test_cases=(({}, [(2, 3, 5)]), ({"dims": [2, 3, 1]}, [(2, 3, 4, 5)])),
    ),
)
