"""Tied weights: a Linear layer that reuses another Linear node's weight, transposed.

The tied auto-encoder of the course decodes with the encoder's matrix: the encoder computes
``x Wᵀ + c`` with ``W`` (code × pixels), the decoder ``h W + b`` (``F.linear(h, Wᵀ, b)``).
The node holds only its bias; its ``tied_to`` param names the Linear node whose weight it
borrows. The compiler (``studio.compile.fx``) passes that weight as the module's second
argument, so there is one Parameter: the count drops by the decoder's matrix and every gradient
reaches the one tensor.
``studio.core.ties`` checks the tie (the node exists, is a Linear, the shapes are transposes).
"""
import torch
from torch import nn

from nodes.base import NodeType, Param, ctor, register

TIE_PARAM = "tied_to"  # a node type with this param borrows the named node's weight
TIE_TARGETS = ("linear.Linear",)  # the node types whose weight may be borrowed


class TiedLinear(nn.Module):
    """``y = x @ weight + bias`` with ``weight`` the tied Linear's (out, in) matrix, so the map is
    its transpose. Only the bias is a parameter of this module."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None

    def forward(self, x, weight=None):
        if weight is None:
            # Only shape inference runs the layer unbound (it sees one node at a time); the
            # compiled network always passes the tied weight.
            weight = x.new_zeros(self.in_features, self.out_features)
        return torch.nn.functional.linear(x, weight.t(), self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


register(
    NodeType(
        id="linear.TiedLinear", title="Tied Linear", category="Linear",
        doc="Linear map with the transposed weight of another Linear node (tied auto-encoder).",
        params=(
            Param("out_features", "int", 10, "size of each output sample: the tied Linear's "
                  "input size", min=1),
            Param(TIE_PARAM, "str", "", "id of the Linear node whose weight this layer uses "
                  "transposed"),
            Param("bias", "bool", True, "learn an additive bias (its own, not tied)"),
        ),
        build=lambda c: ctor(TiedLinear, c.in_features, c["out_features"], bias=c["bias"]),
        summary=("out_features", TIE_PARAM),
        shape_doc="(N, *, in_features) -> (N, *, out_features)",
        test_cases=(({"out_features": 7, TIE_PARAM: "enc"}, [(2, 12)]),
                    ({"out_features": 3, "bias": False}, [(2, 5, 4)])),
    ),
)
