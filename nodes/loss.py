"""Loss terms. Each outputs one scalar, already multiplied by its ``weight`` param, so the value
shown on the graph is exactly the term the trainer sums into the total loss.

Supervised losses take (input, target); KLStandardNormal and L1ActivityPenalty are
regularizers on activations and take no target.
"""
import torch
from torch import nn

from nodes.base import LOSS, NodeType, Param, Port, ctor, register


class WeightedLoss(nn.Module):
    """``loss_weight · torch.nn.functional.<function>(input, target, **options)``, mean-reduced.

    One class for every torch loss keeps exported code short:
    ``WeightedLoss("cross_entropy", loss_weight=1.0, label_smoothing=0.1)``."""

    def __init__(self, function: str, loss_weight: float = 1.0, **options):
        super().__init__()
        self.function, self.loss_weight, self.options = function, loss_weight, options

    def forward(self, input, target):
        term = getattr(torch.nn.functional, self.function)(input, target, **self.options)
        # weight 1 (the usual case): no multiply, which would cost a scalar-to-tensor copy and
        # a mul forward and backward on every step
        return term if self.loss_weight == 1 else self.loss_weight * term

    def extra_repr(self):
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{self.function!r}, loss_weight={self.loss_weight}{options}"


class KLStandardNormal(nn.Module):
    """KL(N(mu, exp(logvar)) || N(0, 1)) summed over features, averaged over the batch (VAE)."""

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, mu, logvar):
        kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
        return self.loss_weight * kl.flatten(1).sum(1).mean()

    def extra_repr(self):
        return f"loss_weight={self.loss_weight}"


class L1ActivityPenalty(nn.Module):
    """Mean absolute activation times ``loss_weight``: pushes codes towards sparsity."""

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, x):
        return self.loss_weight * x.abs().mean()

    def extra_repr(self):
        return f"loss_weight={self.loss_weight}"


# Not called "weight" inside the modules: init code often treats any `.weight` as a parameter.
_weight = Param("weight", "float", 1.0, "factor on this term in the total loss", min=0)
_supervised_inputs = (Port("input", "the prediction"), Port("target"))
_loss_output = (Port("loss", "scalar, already weighted"),)


def _loss(name, function, doc, shape_doc, cases, params=(), options=lambda c: {}) -> NodeType:
    return NodeType(
        id=f"loss.{name}", title=name, category="Loss", doc=doc, role=LOSS,
        inputs=_supervised_inputs, outputs=_loss_output, params=(_weight, *params),
        build=lambda c: ctor(WeightedLoss, function, loss_weight=float(c["weight"]),
                             **options(c)),
        summary=("weight",), shape_doc=shape_doc, test_cases=cases,
    )


_class_cases = (({}, [(4, 5), ((4,), "int64")]),
                ({"weight": 0.5}, [(2, 3, 4, 4), ((2, 4, 4), "int64")]))
_same_shape_cases = (({}, [(4, 3), (4, 3)]), ({"weight": 2.0}, [(2, 1, 4, 4), (2, 1, 4, 4)]))

register(
    _loss("CrossEntropy", "cross_entropy",
          "Cross-entropy of class logits against class indices (softmax included).",
          "input (N, C) or (N, C, H, W), target (N) or (N, H, W) int64 -> ()",
          (*_class_cases, ({"label_smoothing": 0.1}, [(3, 2), ((3,), "int64")])),
          params=(Param("label_smoothing", "float", 0.0, "mix targets with the uniform "
                        "distribution by this amount", min=0, max=1),),
          options=lambda c: {"label_smoothing": float(c["label_smoothing"])}),
    _loss("NLL", "nll_loss", "Negative log-likelihood of log-probabilities (after LogSoftmax).",
          "input (N, C) or (N, C, H, W), target (N) or (N, H, W) int64 -> ()", _class_cases),
    _loss("MSE", "mse_loss", "Mean squared error (regression, auto-encoder reconstruction).",
          "input (*), target (*) -> ()", _same_shape_cases),
    _loss("L1", "l1_loss", "Mean absolute error.", "input (*), target (*) -> ()",
          _same_shape_cases),
    _loss("BCE", "binary_cross_entropy",
          "Binary cross-entropy; input and target are probabilities in [0, 1] (after Sigmoid).",
          "input (*), target (*) in [0, 1] -> ()", _same_shape_cases),
    _loss("BCEWithLogits", "binary_cross_entropy_with_logits",
          "Binary cross-entropy on logits (sigmoid included, numerically stable); "
          "target in [0, 1].", "input (*), target (*) -> ()", _same_shape_cases),
    NodeType(
        id="loss.KLStandardNormal", title="KLStandardNormal", category="Loss", role=LOSS,
        doc="KL divergence of N(mu, exp(logvar)) from N(0, 1): the VAE's latent term.",
        inputs=(Port("mu"), Port("logvar")), outputs=_loss_output, params=(_weight,),
        build=lambda c: ctor(KLStandardNormal, float(c["weight"])), summary=("weight",),
        shape_doc="mu (N, D), logvar (N, D) -> ()",
        test_cases=(({}, [(4, 8), (4, 8)]), ({"weight": 0.1}, [(2, 3, 4), (2, 3, 4)])),
    ),
    NodeType(
        id="loss.L1ActivityPenalty", title="L1ActivityPenalty", category="Loss", role=LOSS,
        doc="Mean absolute activation times weight: a sparsity penalty (sparse auto-encoder).",
        inputs=(Port("x", "the activations to keep sparse"),), outputs=_loss_output,
        params=(Param("weight", "float", 1e-3, "factor on this term in the total loss", min=0),),
        build=lambda c: ctor(L1ActivityPenalty, float(c["weight"])), summary=("weight",),
        shape_doc="(*) -> ()",
        test_cases=(({}, [(4, 32)]), ({"weight": 0.5}, [(2, 3, 4, 4)])),
    ),
)
