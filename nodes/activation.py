"""Element-wise non-linearities, the perceptron's Step included, and (Log)Softmax."""
from torch import nn

from nodes.base import NodeType, Param, ctor, register


class Step(nn.Module):
    """Heaviside step: 1 where x >= threshold, else 0 (the perceptron's activation).

    Its gradient is zero almost everywhere; the perceptron recipe updates weights by the
    perceptron rule, and a straight-through estimator lets gradient training still move."""

    def __init__(self, threshold: float = 0.0):
        super().__init__()
        self.threshold = threshold

    def forward(self, x):
        hard = (x >= self.threshold).to(x.dtype)
        return hard + (x - x.detach())  # straight-through: forward is the step, backward identity

    def extra_repr(self):
        return f"threshold={self.threshold}"


def _simple(name, cls, doc, params=(), args=lambda c: {}):
    return NodeType(
        id=f"activation.{name}", title=name, category="Activation", doc=doc, params=params,
        build=lambda c: ctor(cls, **args(c)), shape_doc="(*) -> (*)", same_shape="elementwise",
        summary=tuple(p.name for p in params),
        test_cases=(({}, [(2, 5)]), ({}, [(2, 3, 4, 4)])),
    )


_dim = Param("dim", "int", 1, "dimension to normalize over (1 = features/channels)", min=-8, max=8)

register(
    _simple("Step", Step, "Heaviside step (perceptron); straight-through gradient.",
            (Param("threshold", "float", 0.0, "outputs 1 at or above this value"),),
            lambda c: {"threshold": c["threshold"]}),
    _simple("Sigmoid", nn.Sigmoid, "Logistic sigmoid 1 / (1 + e^-x)."),
    _simple("Tanh", nn.Tanh, "Hyperbolic tangent."),
    _simple("ReLU", nn.ReLU, "Rectified linear unit max(0, x)."),
    _simple("LeakyReLU", nn.LeakyReLU, "max(0, x) + slope · min(0, x).",
            (Param("negative_slope", "float", 0.01, "slope for x < 0", min=0),),
            lambda c: {"negative_slope": c["negative_slope"]}),
    _simple("ELU", nn.ELU, "Exponential linear unit.",
            (Param("alpha", "float", 1.0, "saturation value for x < 0", min=0),),
            lambda c: {"alpha": c["alpha"]}),
    _simple("GELU", nn.GELU, "Gaussian error linear unit.",
            (Param("approximate", "choice", "none", "'tanh': the tanh approximation",
                   choices=("none", "tanh")),),
            lambda c: {"approximate": c["approximate"]}),
    # Mobile and modern networks (MobileNetV3, EfficientNet, YOLO-style heads)
    _simple("ReLU6", nn.ReLU6, "min(max(0, x), 6): ReLU capped at 6 (MobileNetV2)."),
    _simple("SiLU", nn.SiLU, "x · sigmoid(x), also called swish (EfficientNet)."),
    _simple("Hardswish", nn.Hardswish, "x · ReLU6(x + 3) / 6: cheap swish (MobileNetV3)."),
    _simple("Hardsigmoid", nn.Hardsigmoid, "ReLU6(x + 3) / 6: cheap sigmoid (MobileNetV3 "
            "squeeze-excitation)."),
    _simple("Mish", nn.Mish, "x · tanh(softplus(x))."),
    _simple("Softmax", nn.Softmax, "Normalizes to probabilities along a dimension.",
            (_dim,), lambda c: {"dim": c["dim"]}),
    _simple("LogSoftmax", nn.LogSoftmax, "log(softmax(x)) along a dimension (pairs with NLL).",
            (_dim,), lambda c: {"dim": c["dim"]}),
)
