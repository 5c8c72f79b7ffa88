"""The conditional GAN (Mirza & Osindero 2014): both networks also read the class label.

The networks say which inputs are conditions: an ``int64`` Input (a class label feeding an
Embedding) is a condition, a ``float32`` Input of the generator is noise. Real images come with
their labels; the fakes of a batch are asked for the same labels, so the discriminator sees one
label distribution for both and can only tell them apart by how well image and label agree.
The sample grid has one row per class and one column per fixed noise vector: a column keeps the
"style" while the rows change the class.
"""
from __future__ import annotations

import torch

from studio.train.data.base import DataError
from studio.train.data.binding import Binding, bind, bind_noise, check, to_arguments
from studio.train.recipes.generative import GAN

LABEL = "int64"  # the dtype that marks an Input as a condition (a class label)


def _generator_bindings(compiled, sample: dict) -> list[Binding]:
    """Noise for float inputs; a dataset field for integer inputs (the class label)."""
    out = []
    for b in bind_noise(compiled):
        params = compiled.shapes.params[b.node]
        if params.get("dtype") != LABEL:
            out.append(b)
            continue
        field = params.get("field") or "label"
        if field not in sample:
            raise DataError(f"node {b.node!r} of the generator reads field {field!r}, but the "
                            f"dataset has {', '.join(sample)} (set the node's 'field' param)")
        out.append(Binding(b.placeholder, b.node, field, b.shape, LABEL))
    return out


class ConditionalGAN(GAN):
    """GAN whose generator and discriminator both take the class label (one-row-per-class
    sample grid); the discriminator's first input is the image, its integer inputs the label."""

    kind = "conditional-gan"
    aliases = ("cgan",)

    @classmethod
    def bindings(cls, compiled: dict, data, doc, warnings: list) -> dict:
        g, d = compiled["generator"], compiled["discriminator"]
        sample = data.train[0]
        out = {"generator": _generator_bindings(g, sample),
               "discriminator": bind(d, sample, warnings)}
        for name, net in (("generator", g), ("discriminator", d)):
            labels = [b for b in out[name][:len(net.inputs)] if b.dtype == LABEL]
            if not labels:
                raise DataError(f"the conditional-gan recipe needs a class-label Input "
                                f"(dtype int64) in network {name!r}; it has none")
            check(labels, {"train": data.train}, doc, name, net)
        check(out["discriminator"][:1], {"train": data.train}, doc, "discriminator", d)
        return out

    # ----- the run ------------------------------------------------------------------------
    def setup(self) -> dict:
        optimizers = super().setup()
        classes = self.class_count()
        columns = max(1, int(self.ctx.config["snapshot"].get("probe") or 8))
        seeded = torch.Generator().manual_seed(int(self.ctx.config["seed"]) + 7)
        # the same noise in every row of a column: the rows differ only by the class asked
        noise = [z.repeat(classes, *([1] * (z.dim() - 1))) for z in self.noise(columns, seeded)]
        self.fixed_labels = torch.arange(classes).repeat_interleave(columns).to(self.ctx.device)
        self.fixed = noise
        self.columns = columns
        return optimizers

    def class_count(self) -> int:
        """The classes the dataset names, else the generator's label Embedding size."""
        names = self.ctx.data_info.get("classes")
        if names:
            return len(names)
        g = self.ctx.nets["generator"].module
        sizes = [m.num_embeddings for m in g.modules() if isinstance(m, torch.nn.Embedding)]
        if not sizes:
            raise ValueError("the conditional-gan recipe cannot tell the number of classes: "
                             "the dataset names none and the generator has no Embedding")
        return min(sizes)

    def noise(self, n: int, generator=None) -> list:
        g = self.ctx.nets["generator"]
        return [torch.randn(n, *b.shape, generator=generator).to(self.ctx.device)
                for b in g.bindings if b.dtype != LABEL]

    def _fill(self, bindings, floats: list, labels, n: int) -> list:
        """Arguments in call order: labels for the label inputs, ``floats`` for the others."""
        rest, args = iter(floats), []
        for b in bindings:
            args.append(labels.reshape(n, *b.shape) if b.dtype == LABEL else next(rest))
        return args

    def generator_inputs(self, z: list, labels=None) -> list:
        return self._fill(self.ctx.nets["generator"].bindings, z, labels, len(labels))

    def discriminator_inputs(self, d, x, real: bool, labels=None) -> list:
        n, n_in = len(x), len(d.compiled.inputs)
        args = [x]
        for i, b in enumerate(d.bindings[1:], 1):
            if i < n_in and b.dtype == LABEL:
                args.append(labels.reshape(n, *b.shape))
            else:  # a loss node's target: 1 for real, 0 for fake
                args.append(torch.full((n, *b.shape), 1.0 if real else 0.0, device=x.device))
        return args

    def real_batch(self, batch):
        """(images, labels) of a batch, as the discriminator's bindings read them."""
        d = self.ctx.nets["discriminator"]
        # (bindings() made sure the discriminator has one)
        label = next(b for b in d.bindings[:len(d.compiled.inputs)] if b.dtype == LABEL)
        real, labels = to_arguments(batch, [d.bindings[0], label], self.ctx.device)
        return real, labels.reshape(len(real))

    @torch.no_grad()
    def samples(self, probe=None) -> dict | None:
        images = self.generate(self.fixed, self.fixed_labels, train=False).float()
        if images.dim() != 4:
            return None
        if images.min() < -0.01:  # tanh output in [-1, 1]
            images = (images + 1) / 2
        names = self.ctx.data_info.get("classes") or [str(k) for k in range(self.class_count())]
        return {"kind": "generated", "rows": [str(n) for n in names],
                "image": self.ctx.save_grid(images.clamp(0, 1), "generated", rows=self.columns)}
