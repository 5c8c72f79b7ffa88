"""Fully connected layers: Linear and Identity."""
from torch import nn

from nodes.base import NodeType, Param, ctor, register

register(
    NodeType(
        id="linear.Linear", title="Linear", category="Linear",
        doc="Affine map y = xAᵀ + b over the last dimension; in_features comes from the input.",
        params=(
            Param("out_features", "int", 10, "size of each output sample", min=1),
            Param("bias", "bool", True, "learn an additive bias"),
        ),
        build=lambda c: ctor(nn.Linear, c.in_features, c["out_features"], bias=c["bias"]),
        summary=("out_features",), shape_doc="(N, *, in_features) -> (N, *, out_features)",
        test_cases=(({"out_features": 7}, [(2, 12)]),
                    ({"out_features": 3, "bias": False}, [(2, 5, 4)])),
    ),
    NodeType(
        id="linear.Identity", title="Identity", category="Linear",
        doc="Passes its input through unchanged.",
        build=lambda c: ctor(nn.Identity), shape_doc="(*) -> (*)", same_shape="elementwise",
        test_cases=(({}, [(2, 3)]), ({}, [(2, 3, 4, 4)])),
    ),
)
