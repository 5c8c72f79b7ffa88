"""Recipes: how one training step uses the compiled networks and their optimizers.

The graph already holds the loss terms (each loss node's output is weighted), so a supervised,
reconstruction, VAE or skip-gram step is the same: sum the loss nodes, backward, step. Recipes
differ in their metrics, their samples and, for GANs and RBMs, in how they step
(:mod:`studio.train.recipes_gen`).
"""
from __future__ import annotations

import functools

import torch

from studio.train import task_samples
from studio.train.data.binding import to_arguments
from studio.train.metrics import Accumulator


class Recipe:
    """Supervised training of the ``model`` network on its own loss nodes."""

    kind = "supervised"
    default_monitor = ("val.loss", "min")

    def __init__(self, trainer):
        self.t = trainer

    @classmethod
    def network_names(cls, doc) -> list[str]:
        return ["model"] if "model" in doc.networks else list(doc.networks)[:1]

    @functools.cached_property
    def net(self):  # (the trainer places its networks before it makes the recipe)
        return next(iter(self.t.nets.values()))

    def setup(self) -> dict:
        if not self.net.compiled.losses:
            raise ValueError(f"network {self.net.name!r} has no loss node: add one (e.g. "
                             f"CrossEntropy) so the {self.kind} recipe has something to minimize")
        return {self.net.name: self.t.make_optimizer(self.net)}

    def train_step(self, batch) -> dict:
        net, t = self.net, self.t
        args = to_arguments(batch, net.bindings, t.device)
        with t.autocast():
            out = t.forward(net, args)
            loss = t.total_loss(out, net)
        value, norm = t.optimize(loss, net, self.t.optimizers[net.name], args, check_loss=True)
        return {"loss": value, "grad_norm": norm}

    def accumulator(self) -> Accumulator:
        return Accumulator()

    @torch.no_grad()
    def eval_batch(self, batch, acc: Accumulator) -> None:
        net, t = self.net, self.t
        args = to_arguments(batch, net.bindings, t.device)
        with t.autocast():
            out = net.module(*args)
        parts = {k: float(v) for k, v in out["losses"].items()}
        acc.add_loss(len(args[0]), sum(parts.values()), parts if len(parts) > 1 else {})
        self.measure(out, args, acc)

    def measure(self, out, args, acc) -> None:
        pred, target = self.prediction(out, args)
        if pred is None or target is None:
            return
        if target.is_floating_point():
            acc.add_regression(pred, target)
        else:
            acc.add_classes(pred, target)

    def prediction(self, out, args):
        """(first output, first target) of a batch; either may be None."""
        outputs = list(out["outputs"].values())
        n_in = len(self.net.compiled.inputs)
        targets = args[n_in:]
        return (outputs[0].float() if outputs else None), (targets[0] if targets else None)

    def samples(self, probe) -> dict | None:
        return None


class Classification(Recipe):
    kind = "classification"
    default_monitor = ("val.accuracy", "max")

    def accumulator(self):
        classes = len(self.t.data.info.get("classes") or []) or None
        return Accumulator(num_classes=classes if classes and classes <= 100 else None)

    def measure(self, out, args, acc) -> None:
        pred, target = self.prediction(out, args)
        if pred is None or target is None:
            return
        if target.is_floating_point() and pred.shape == target.shape:
            # one probability / step output per sample (logistic regression, perceptron)
            acc.add_classes(torch.stack([0.5 - pred, pred - 0.5], 1).flatten(1),
                            (target > 0.5).long().flatten())
        else:
            acc.add_classes(pred, target)

    @torch.no_grad()
    def samples(self, probe) -> dict | None:
        if probe is None:  # snapshot.probe = 0: no probe batch, no prediction samples
            return None
        net = self.net
        args = to_arguments(probe, net.bindings, self.t.device)
        pred, target = self.prediction(net.module(*args), args)
        if pred is None or pred.dim() != 2 or target is None:
            return None
        return {"kind": "predictions", "predicted": pred.argmax(1).tolist(),
                "target": target.flatten().tolist()}


class Segmentation(Classification):
    kind = "segmentation"
    default_monitor = ("val.miou", "max")

    def accumulator(self):
        classes = len(self.t.data.info.get("mask_classes") or []) or None
        return Accumulator(num_classes=classes, iou=True)

    def samples(self, probe) -> dict | None:
        """Images, true and predicted masks of the first probe samples (uint8 arrays)."""
        return task_samples.mask_samples(self, probe) if probe is not None else None


class Sequence(Recipe):
    """Many-to-one and many-to-many sequences: token accuracy for integer targets, errors for
    real-valued ones."""

    kind = "sequence"

    def accumulator(self):
        return Accumulator()


class Regression(Recipe):
    kind = "regression"


class Reconstruction(Recipe):
    """Auto-encoders: PSNR of the first output against the image it reconstructs."""

    kind = "reconstruction"

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
        args = to_arguments(probe, self.net.bindings, self.t.device)
        output, ref = self.reconstruction(self.net.module(*args), args)
        if ref is None or ref.dim() != 4:
            return None
        path = self.t.save_grid(torch.cat([ref, output.clamp(0, 1)]), "reconstruction",
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
        args = to_arguments(probe, self.net.bindings, self.t.device)
        walk = task_samples.latent_traversal(self.net.module, args,
                                             lambda o, a: self.reconstruction(o, a)[0])
        return {**(out or {"kind": "reconstruction"}), "traversal": walk} if walk else out


class SkipGram(Recipe):
    """word2vec: a supervised (center -> context) step; samples are nearest neighbours."""

    kind = "skip-gram"
    WORDS = ("file", "string", "list", "return", "number", "socket")

    def embedding(self):
        for name, module in self.net.module.named_children():
            if isinstance(module, torch.nn.Embedding):
                return module.weight
        return None

    @torch.no_grad()
    def samples(self, probe=None, words=None, k: int = 5) -> dict | None:
        vocab, weight = self.t.data.info.get("vocab"), self.embedding()
        if not vocab or weight is None:
            return None
        unit = torch.nn.functional.normalize(weight.float(), dim=1)
        out = {}
        for word in words or self.WORDS:
            if word in vocab and vocab.index(word) < len(unit):
                sims = unit @ unit[vocab.index(word)]
                sims[vocab.index(word)] = -2
                out[word] = [vocab[i] for i in sims.topk(k).indices.tolist() if i < len(vocab)]
        return {"kind": "neighbours", "neighbours": out}


def recipes() -> dict:
    from studio.train.recipes_gen import GAN, ContrastiveDivergence
    return {"classification": Classification, "supervised": Recipe, "regression": Regression,
            "segmentation": Segmentation, "sequence": Sequence,
            "reconstruction": Reconstruction, "autoencoder": Reconstruction, "vae": VAE,
            "gan": GAN, "skip-gram": SkipGram, "word2vec": SkipGram,
            "contrastive-divergence": ContrastiveDivergence, "rbm": ContrastiveDivergence}
