"""Recipes that model their data: auto-encoders (reconstruction), VAEs, GANs (two networks, two
optimizers, alternating) and restricted Boltzmann machines (contrastive divergence). GANs and
RBMs step differently from the graph's loss nodes; their hooks say how the run is shaped
(noise inputs, DDP options, checkpoints ranked or not)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from studio.train import task_samples
from studio.train.data.binding import bind, bind_noise, check, to_arguments
from studio.train.metrics import Accumulator
from studio.train.recipes.base import Recipe


class Reconstruction(Recipe):
    """Auto-encoders: PSNR of the first output against the image it reconstructs."""

    kind = "reconstruction"
    aliases = ("autoencoder",)

    def reference(self, args, pred):
        same = [a for a in args if a.is_floating_point() and a.shape == pred.shape]
        n_in = len(self.net.compiled.inputs)
        targets = [a for a in args[n_in:] if a.shape == pred.shape]
        return targets[0] if targets else (same[0] if same else None)

    def reconstruction(self, out, args):
        """(output, reference): the first output shaped like a target or input (not the code)."""
        for output in out["outputs"].values():
            ref = self.reference(args, output)
            if ref is not None:
                return output, ref
        return None, None

    def measure(self, out, args, acc) -> None:
        output, ref = self.reconstruction(out, args)
        if output is not None:
            acc.add_psnr(output, ref)

    @torch.no_grad()
    def samples(self, probe) -> dict | None:
        if probe is None:
            return None
        args = to_arguments(probe, self.net.bindings, self.ctx.device)
        output, ref = self.reconstruction(self.net.module(*args), args)
        if ref is None or ref.dim() != 4:
            return None
        path = self.ctx.save_grid(torch.cat([ref, output.clamp(0, 1)]), "reconstruction",
                                rows=len(ref))
        return {"kind": "reconstruction", "image": path}


class VAE(Reconstruction):
    """Reconstruction + KL from the graph's loss nodes; reports ELBO = -(total loss)."""

    kind = "vae"

    def accumulator(self):
        acc = Accumulator()
        result = acc.result
        acc.result = lambda: {**(r := result()), "elbo": -r["loss"]}
        return acc

    def samples(self, probe) -> dict | None:
        """The reconstructions, plus a latent traversal decoded from mu of probe sample 0."""
        out = super().samples(probe)
        if probe is None:
            return out
        args = to_arguments(probe, self.net.bindings, self.ctx.device)
        walk = task_samples.latent_traversal(self.net.module, args,
                                             lambda o, a: self.reconstruction(o, a)[0])
        return {**(out or {"kind": "reconstruction"}), "traversal": walk} if walk else out


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
    settings = {"optimizers": ("generator", "discriminator")}  # one optimizer section each
    default_monitor = None  # GAN losses do not rank checkpoints; "best" is the last epoch
    ddp_find_unused_parameters = True  # the generator's step leaves the other net unused
    probes_with_data = False  # a generator's inputs are noise, not data

    @classmethod
    def network_names(cls, doc) -> list[str]:
        missing = [n for n in ("generator", "discriminator") if n not in doc.networks]
        if missing:
            raise ValueError(f"the gan recipe needs networks 'generator' and 'discriminator'; "
                             f"this document lacks {', '.join(missing)} "
                             f"(it has {', '.join(doc.networks)})")
        return ["generator", "discriminator"]

    @classmethod
    def bindings(cls, compiled: dict, data, doc, warnings: list) -> dict:
        """The generator's noise inputs are not data; only the discriminator's are checked."""
        out = {"generator": bind_noise(compiled["generator"]),
               "discriminator": bind(compiled["discriminator"], data.train[0], warnings)}
        check(out["discriminator"][:1], {"train": data.train}, doc, "discriminator",
              compiled["discriminator"])
        return out

    def setup(self) -> dict:
        g, d = self.ctx.nets["generator"], self.ctx.nets["discriminator"]
        per = self.ctx.config.get("optimizers") or {}
        self.fixed = self.noise(int(self.ctx.config["snapshot"].get("probe", 8)) * 2,
                                torch.Generator().manual_seed(int(self.ctx.config["seed"]) + 7))
        return {"generator": self.ctx.make_optimizer(g, per.get("generator")),
                "discriminator": self.ctx.make_optimizer(d, per.get("discriminator"))}

    def noise(self, n: int, generator=None) -> list:
        g = self.ctx.nets["generator"]
        return [torch.randn(n, *b.shape, generator=generator).to(self.ctx.device)
                for b in g.bindings]

    def generator_inputs(self, z: list, labels=None) -> list:
        """The generator's arguments for noise ``z`` (a conditional GAN adds its labels)."""
        return z

    def real_batch(self, batch):
        """(real images, their labels or None) of a batch, as the discriminator reads them."""
        d = self.ctx.nets["discriminator"]
        return to_arguments(batch, d.bindings[:1], self.ctx.device)[0], None

    def generate(self, z, labels=None, train: bool = True):
        g = self.ctx.nets["generator"]
        out = (g.forward if train else g.module)(*self.generator_inputs(z, labels))
        return next(iter(out["outputs"].values()))

    def discriminator_inputs(self, d, x, real: bool, labels=None) -> list:
        """The discriminator's arguments: the images, then each loss node's target (1 for real,
        0 for fake). A conditional GAN adds its labels here."""
        n = len(x)
        return [x, *(torch.full((n, *b.shape), 1.0 if real else 0.0, device=x.device)
                     for b in d.bindings[1:])]

    def discriminate(self, x, real: bool, train: bool = True, labels=None):
        d = self.ctx.nets["discriminator"]
        args = self.discriminator_inputs(d, x, real, labels)
        out = (d.forward if train else d.module)(*args)
        logit = next(iter(out["outputs"].values()))
        if d.compiled.losses:
            loss = sum(out["losses"].values())
        else:
            loss = F.binary_cross_entropy_with_logits(logit, torch.full_like(logit, float(real)))
        return loss, logit, args

    def train_step(self, batch) -> dict:
        t, d, g = self.ctx, self.ctx.nets["discriminator"], self.ctx.nets["generator"]
        real, labels = self.real_batch(batch)
        z = self.noise(len(real))
        with t.autocast():
            fake = self.generate(z, labels)
            loss_real, _, args = self.discriminate(real, True, labels=labels)
            loss_fake, _, _ = self.discriminate(fake.detach(), False, labels=labels)
            loss_d = loss_real + loss_fake
        t.check_loss(loss_d, d, args)
        _, norm_d = t.optimize(loss_d, d, self.optimizers["discriminator"], args)
        with t.autocast():
            loss_g, _, _ = self.discriminate(fake, True, labels=labels)
        g_args = self.generator_inputs(z, labels)
        t.check_loss(loss_g, g, g_args)
        _, norm_g = t.optimize(loss_g, g, self.optimizers["generator"], g_args)
        return {"loss": loss_d + loss_g, "loss_d": loss_d, "loss_g": loss_g,
                "grad_norm": norm_d, "grad_norm_g": norm_g}

    @torch.no_grad()
    def eval_batch(self, batch, acc: Accumulator) -> None:
        real, labels = self.real_batch(batch)
        fake = self.generate(self.noise(len(real)), labels, train=False)
        loss_real, logit_real, _ = self.discriminate(real, True, False, labels)
        loss_fake, logit_fake, _ = self.discriminate(fake, False, False, labels)
        loss_g, _, _ = self.discriminate(fake, True, False, labels)
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
        return {"kind": "generated",
                "image": self.ctx.save_grid(images.clamp(0, 1), "generated")}


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
    settings = {"gibbs_steps": (), "cd_steps": ()}
    aliases = ("rbm",)

    def linear(self) -> torch.nn.Linear:
        for module in self.net.module.children():
            if isinstance(module, torch.nn.Linear):
                return module
        raise ValueError(f"the contrastive-divergence recipe needs a Linear node (the RBM "
                         f"weights) in network {self.net.name!r}")

    def setup(self) -> dict:
        w = self.linear()
        self.visible = VisibleBias(w.in_features).to(self.ctx.device)
        self.ctx.modules["rbm_visible"] = self.visible
        params = [*w.parameters(), self.visible.bias]
        return {self.net.name: self.ctx.make_optimizer(self.net, params=params)}

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
        net, t = self.net, self.ctx
        args = to_arguments(batch, net.bindings, t.device)
        v = args[0].flatten(1)
        k = int(t.config.get("gibbs_steps") or t.config.get("cd_steps") or 1)
        v_model = self.gibbs(v, k).detach()
        loss = self.free_energy(v).mean() - self.free_energy(v_model).mean()
        t.check_loss(loss, net, args)
        _, norm = t.optimize(loss, net, self.optimizers[net.name], args)
        return {"loss": loss, "grad_norm": norm}

    @torch.no_grad()
    def eval_batch(self, batch, acc) -> None:
        """Reconstruction error of one mean-field Gibbs step (free energies are unnormalised)."""
        v = to_arguments(batch, self.net.bindings, self.ctx.device)[0].flatten(1)
        recon = self.gibbs(v, 1, sample_visible=False)
        error = float((recon - v).pow(2).mean())
        acc.add_loss(len(v), error, {})
        acc.add_regression(recon, v)
