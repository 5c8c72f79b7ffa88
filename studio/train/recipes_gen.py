"""Generative recipes that step differently: GANs (two networks, two optimizers, alternating)
and restricted Boltzmann machines (contrastive divergence)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from studio.train.data.binding import to_arguments
from studio.train.metrics import Accumulator
from studio.train.recipes import Recipe


class GAN(Recipe):
    """Goodfellow et al. 2014 with the non-saturating generator loss.

    The ``generator`` network's inputs that the dataset lacks are fed N(0, 1) noise; the
    ``discriminator``'s first input gets real or generated images. When the discriminator graph
    has loss nodes (e.g. BCEWithLogits against a Target), its targets are filled with 1 for real
    and 0 for fake and the recipe sums those nodes; otherwise it uses BCE-with-logits on the
    discriminator's first output. Generator step: label the fakes "real" (non-saturating).
    A fixed noise batch, drawn once from the run's seed, gives comparable sample grids.
    """

    kind = "gan"
    default_monitor = None  # GAN losses do not rank checkpoints; "best" is the last epoch

    @classmethod
    def network_names(cls, doc) -> list[str]:
        missing = [n for n in ("generator", "discriminator") if n not in doc.networks]
        if missing:
            raise ValueError(f"the gan recipe needs networks 'generator' and 'discriminator'; "
                             f"this document lacks {', '.join(missing)} "
                             f"(it has {', '.join(doc.networks)})")
        return ["generator", "discriminator"]

    def setup(self) -> dict:
        g, d = self.t.nets["generator"], self.t.nets["discriminator"]
        per = self.t.config.get("optimizers") or {}
        self.fixed = self.noise(int(self.t.config["snapshot"].get("probe", 8)) * 2,
                                torch.Generator().manual_seed(int(self.t.config["seed"]) + 7))
        return {"generator": self.t.make_optimizer(g, per.get("generator")),
                "discriminator": self.t.make_optimizer(d, per.get("discriminator"))}

    def noise(self, n: int, generator=None) -> list:
        g = self.t.nets["generator"]
        return [torch.randn(n, *b.shape, generator=generator).to(self.t.device)
                for b in g.bindings]

    def generate(self, z, train: bool = True):
        g = self.t.nets["generator"]
        out = (g.forward if train else g.module)(*z)
        return next(iter(out["outputs"].values()))

    def discriminate(self, x, real: bool, train: bool = True):
        d = self.t.nets["discriminator"]
        n = len(x)
        args = [x]
        for b in d.bindings[1:]:
            args.append(torch.full((n, *b.shape), 1.0 if real else 0.0, device=x.device))
        out = (d.forward if train else d.module)(*args)
        logit = next(iter(out["outputs"].values()))
        if d.compiled.losses:
            loss = sum(out["losses"].values())
        else:
            loss = F.binary_cross_entropy_with_logits(logit, torch.full_like(logit, float(real)))
        return loss, logit, args

    def train_step(self, batch) -> dict:
        t, d, g = self.t, self.t.nets["discriminator"], self.t.nets["generator"]
        real = to_arguments(batch, d.bindings[:1], t.device)[0]
        z = self.noise(len(real))
        with t.autocast():
            fake = self.generate(z)
            loss_real, _, args = self.discriminate(real, True)
            loss_fake, _, _ = self.discriminate(fake.detach(), False)
            loss_d = loss_real + loss_fake
        t.check_loss(loss_d, d, args)
        _, norm_d = t.optimize(loss_d, d, t.optimizers["discriminator"], args)
        with t.autocast():
            loss_g, _, _ = self.discriminate(fake, True)
        t.check_loss(loss_g, g, z)
        _, norm_g = t.optimize(loss_g, g, t.optimizers["generator"], z)
        return {"loss": loss_d + loss_g, "loss_d": loss_d, "loss_g": loss_g,
                "grad_norm": norm_d, "grad_norm_g": norm_g}

    @torch.no_grad()
    def eval_batch(self, batch, acc: Accumulator) -> None:
        d = self.t.nets["discriminator"]
        real = to_arguments(batch, d.bindings[:1], self.t.device)[0]
        fake = self.generate(self.noise(len(real)), train=False)
        loss_real, logit_real, _ = self.discriminate(real, True, train=False)
        loss_fake, logit_fake, _ = self.discriminate(fake, False, train=False)
        loss_g, _, _ = self.discriminate(fake, True, train=False)
        acc.add_loss(len(real), float(loss_real + loss_fake + loss_g),
                     {"d": float(loss_real + loss_fake), "g": float(loss_g),
                      "d_real": float(torch.sigmoid(logit_real).mean()),
                      "d_fake": float(torch.sigmoid(logit_fake).mean())})

    @torch.no_grad()
    def samples(self, probe=None) -> dict | None:
        images = self.generate(self.fixed, train=False).float()
        if images.dim() != 4:
            return None
        if images.min() < -0.01:  # tanh output in [-1, 1]
            images = (images + 1) / 2
        return {"kind": "generated", "image": self.t.save_grid(images.clamp(0, 1), "generated")}


class VisibleBias(torch.nn.Module):
    """The RBM's visible bias b: not part of the graph (which computes p(h|v)), saved with it."""

    def __init__(self, size: int):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.zeros(size))


class ContrastiveDivergence(Recipe):
    """RBM training by CD-k (Hinton 2002). The graph is p(h=1|v) = sigmoid(W v + c): its first
    Linear node holds W and c; the recipe adds the visible bias b. Each step samples h from the
    data, runs k Gibbs steps (v ~ sigmoid(W^T h + b), h ~ sigmoid(W v + c)) and minimises
    F(v_data) - F(v_model) with the free energy F(v) = -b.v - sum softplus(W v + c), whose
    gradient is the CD update. ``gibbs_steps`` (default 1) sets k."""

    kind = "contrastive-divergence"

    def linear(self) -> torch.nn.Linear:
        for module in self.net.module.children():
            if isinstance(module, torch.nn.Linear):
                return module
        raise ValueError(f"the contrastive-divergence recipe needs a Linear node (the RBM "
                         f"weights) in network {self.net.name!r}")

    def setup(self) -> dict:
        w = self.linear()
        self.visible = VisibleBias(w.in_features).to(self.t.device)
        self.t.extra_modules["rbm_visible"] = self.visible
        params = [*w.parameters(), self.visible.bias]
        return {self.net.name: self.t.make_optimizer(self.net, params=params)}

    def free_energy(self, v):
        w = self.linear()
        return -(v @ self.visible.bias) - F.softplus(F.linear(v, w.weight, w.bias)).sum(1)

    def gibbs(self, v, k: int, sample_visible: bool = True):
        w = self.linear()
        for _ in range(k):
            h = torch.bernoulli(torch.sigmoid(F.linear(v, w.weight, w.bias)))
            p_v = torch.sigmoid(F.linear(h, w.weight.t(), self.visible.bias))
            v = torch.bernoulli(p_v) if sample_visible else p_v
        return v

    def train_step(self, batch) -> dict:
        net, t = self.net, self.t
        args = to_arguments(batch, net.bindings, t.device)
        v = args[0].flatten(1)
        k = int(t.config.get("gibbs_steps") or t.config.get("cd_steps") or 1)
        v_model = self.gibbs(v, k).detach()
        loss = self.free_energy(v).mean() - self.free_energy(v_model).mean()
        t.check_loss(loss, net, args)
        _, norm = t.optimize(loss, net, t.optimizers[net.name], args)
        return {"loss": loss, "grad_norm": norm}

    @torch.no_grad()
    def eval_batch(self, batch, acc) -> None:
        """Reconstruction error of one mean-field Gibbs step (free energies are unnormalised)."""
        v = to_arguments(batch, self.net.bindings, self.t.device)[0].flatten(1)
        recon = self.gibbs(v, 1, sample_visible=False)
        error = float((recon - v).pow(2).mean())
        acc.add_loss(len(v), error, {})
        acc.add_regression(recon, v)
