"""Stochastic layers of generative and denoising models: GaussianNoise and Reparameterize.

Both are random only in training mode and deterministic in evaluation, so shape inference,
validation and exported inference are repeatable.
"""
import torch
from torch import nn

from nodes.base import NodeType, Param, Port, ctor, register


class GaussianNoise(nn.Module):
    """Adds N(0, std²) noise while training; identity in evaluation (denoising auto-encoder)."""

    def __init__(self, std: float = 0.1):
        super().__init__()
        self.std = std

    def forward(self, x):
        if not self.training or self.std == 0:
            return x
        return x + torch.randn_like(x) * self.std

    def extra_repr(self):
        return f"std={self.std}"


class Reparameterize(nn.Module):
    """VAE sampling z = mu + eps · exp(logvar / 2), eps ~ N(0, 1), while training; mu in eval.

    Writing the sample this way keeps it differentiable in mu and logvar."""

    def forward(self, mu, logvar):
        if not self.training:
            return mu
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)


register(
    NodeType(
        id="generative.GaussianNoise", title="GaussianNoise", category="Generative",
        doc="Adds Gaussian noise while training, nothing in evaluation (denoising AE).",
        params=(Param("std", "float", 0.1, "standard deviation of the noise", min=0),),
        build=lambda c: ctor(GaussianNoise, float(c["std"])), summary=("std",),
        shape_doc="(*) -> (*)", same_shape="elementwise",
        test_cases=(({}, [(2, 784)]), ({"std": 0.5}, [(2, 1, 28, 28)])),
    ),
    NodeType(
        id="generative.Reparameterize", title="Reparameterize", category="Generative",
        doc="Samples z = mu + eps·exp(logvar/2) while training, mu in evaluation (VAE).",
        inputs=(Port("mu", "mean of q(z|x)"), Port("logvar", "log-variance of q(z|x)")),
        outputs=(Port("z"),),
        build=lambda c: ctor(Reparameterize), shape_doc="(N, D), (N, D) -> (N, D)",
        test_cases=(({}, [(2, 20), (2, 20)]), ({}, [(3, 4, 2, 2), (3, 4, 2, 2)])),
    ),
)
