"""Normalization (BatchNorm, LayerNorm, GroupNorm, LocalResponseNorm) and Dropout.

Feature counts (num_features, num_channels, normalized_shape) come from the incoming tensor.
Dropout lives here too: like BatchNorm it behaves differently in training and evaluation.
"""
import torch
from torch import nn

from nodes.base import NodeType, Param, ctor, register


class StochasticDepth(nn.Module):
    """Drops a whole residual branch per sample ("row") or per batch ("batch") with
    probability ``p`` while training, rescaling what is kept; identity in evaluation
    (EfficientNet, ConvNeXt, Swin). Same maths as ``torchvision.ops.StochasticDepth``, written
    with torch alone so exported code needs nothing else."""

    def __init__(self, p: float = 0.0, mode: str = "row"):
        super().__init__()
        self.p, self.mode = p, mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        shape = [x.shape[0]] + [1] * (x.dim() - 1) if self.mode == "row" else [1] * x.dim()
        noise = torch.empty(shape, dtype=x.dtype, device=x.device).bernoulli_(keep)
        return x * noise.div_(keep) if keep > 0 else x * noise

    def extra_repr(self):
        return f"p={self.p}, mode={self.mode!r}"

_eps = Param("eps", "float", 1e-5, "added to the variance for numerical stability", min=0)
_affine = Param("affine", "bool", True, "learn a per-channel scale and shift")
_p = Param("p", "float", 0.5, "probability of zeroing an element (training only)", min=0, max=1)


def _batch_norm(cls, doc, shape_doc, cases) -> NodeType:
    return NodeType(
        id=f"norm.{cls.__name__}", title=cls.__name__, category="Normalization", doc=doc,
        params=(_eps,
                Param("momentum", "float", 0.1, "weight of the new batch in the running "
                      "mean/variance", min=0, max=1),
                _affine),
        build=lambda c: ctor(cls, c.in_channels, eps=float(c["eps"]),
                             momentum=float(c["momentum"]), affine=c["affine"]),
        summary=("momentum",), shape_doc=shape_doc, test_cases=cases, same_shape="channelwise",
    )


def _layer_norm(c):
    dims = c["dims"]
    if dims > len(c.x.shape) - 1:  # the batch dimension is never normalized over
        raise ValueError(f"dims: expected at most {len(c.x.shape) - 1} for input "
                         f"{c.x.label()}, received {dims}")
    return ctor(nn.LayerNorm, list(c.x.shape[-dims:]), eps=float(c["eps"]),
                elementwise_affine=c["elementwise_affine"])


def _dropout(cls, doc, shape_doc, cases) -> NodeType:
    return NodeType(
        id=f"norm.{cls.__name__}", title=cls.__name__, category="Regularization", doc=doc,
        params=(_p,), build=lambda c: ctor(cls, p=float(c["p"])), summary=("p",),
        shape_doc=shape_doc, test_cases=cases, same_shape="channelwise",
    )


register(
    _batch_norm(nn.BatchNorm1d, "Batch normalization of features (N, C) or channels (N, C, L).",
                "(N, C) or (N, C, L) -> same",
                (({}, [(4, 10)]), ({"affine": False, "momentum": 0.01}, [(4, 3, 7)]))),
    _batch_norm(nn.BatchNorm2d, "Batch normalization of each channel of an image batch.",
                "(N, C, H, W) -> same",
                (({}, [(4, 6, 5, 5)]), ({"eps": 1e-3, "affine": False}, [(2, 3, 4, 7)]))),
    NodeType(
        id="norm.LayerNorm", title="LayerNorm", category="Normalization",
        doc="Normalizes each sample over its last `dims` dimensions (transformers, RNNs).",
        params=(Param("dims", "int", 1, "how many trailing dimensions to normalize over",
                      min=1, max=8),
                _eps,
                Param("elementwise_affine", "bool", True, "learn a scale and shift per element")),
        build=_layer_norm, summary=("dims",), shape_doc="(N, *) -> same",
        test_cases=(({}, [(2, 5, 16)]), ({"dims": 3, "elementwise_affine": False},
                                          [(2, 3, 4, 4)])),
    ),
    NodeType(
        id="norm.GroupNorm", title="GroupNorm", category="Normalization",
        doc="Normalizes over groups of channels per sample; batch-size independent.",
        params=(Param("num_groups", "int", 2, "groups the channels are split into; must divide "
                      "the channel count", min=1),
                _eps, _affine),
        build=lambda c: ctor(nn.GroupNorm, c["num_groups"], c.in_channels, eps=float(c["eps"]),
                             affine=c["affine"]),
        summary=("num_groups",), shape_doc="(N, C, *) -> same", same_shape="channelwise",
        test_cases=(({}, [(2, 4, 5, 5)]), ({"num_groups": 3, "affine": False}, [(2, 6, 7)])),
    ),
    NodeType(
        id="norm.LocalResponseNorm", title="LocalResponseNorm", category="Normalization",
        doc="Local response (contrast) normalization across neighbouring channels (AlexNet).",
        params=(Param("size", "int", 5, "number of neighbouring channels used", min=1),
                Param("alpha", "float", 1e-4, "multiplicative factor", min=0),
                Param("beta", "float", 0.75, "exponent"),
                Param("k", "float", 1.0, "additive constant")),
        build=lambda c: ctor(nn.LocalResponseNorm, c["size"], alpha=float(c["alpha"]),
                             beta=float(c["beta"]), k=float(c["k"])),
        summary=("size",), shape_doc="(N, C, *) -> same", same_shape="channelwise",
        test_cases=(({}, [(2, 8, 6, 6)]), ({"size": 3, "k": 2.0}, [(2, 4, 9)])),
    ),
    _dropout(nn.Dropout, "Zeros random elements while training and rescales the rest by "
             "1/(1-p); identity in evaluation.", "(*) -> (*)",
             (({}, [(2, 10)]), ({"p": 0.2}, [(2, 3, 4, 4)]))),
    NodeType(
        id="norm.StochasticDepth", title="StochasticDepth", category="Regularization",
        doc="Drops a residual branch per sample while training (drop path); identity in "
            "evaluation.",
        params=(_p, Param("mode", "choice", "row", "'row': per sample, 'batch': the whole "
                          "batch at once", choices=("row", "batch"))),
        build=lambda c: ctor(StochasticDepth, float(c["p"]), c["mode"]), summary=("p",),
        shape_doc="(N, *) -> same", same_shape="channelwise",
        test_cases=(({"p": 0.2}, [(4, 8, 3, 3)]), ({"p": 0.1, "mode": "batch"}, [(2, 5)])),
    ),
    _dropout(nn.Dropout2d, "Zeros whole random channels while training; identity in evaluation.",
             "(N, C, H, W) -> same",
             (({}, [(2, 4, 5, 5)]), ({"p": 0.1}, [(2, 8, 3, 7)]))),
)
