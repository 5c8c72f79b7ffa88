"""Recipes that minimize the graph's own loss nodes on labelled data: classification,
segmentation, sequences, regression and skip-gram. They differ from the base recipe only in
their metrics, their default monitor and the samples they show."""
from __future__ import annotations

import torch

from studio.train import task_samples
from studio.train.data.binding import to_arguments
from studio.train.metrics import Accumulator
from studio.train.recipes.base import Recipe


class Classification(Recipe):
    kind = "classification"
    default_monitor = "val.accuracy"

    def accumulator(self):
        classes = len(self.ctx.data_info.get("classes") or []) or None
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
        args = to_arguments(probe, net.bindings, self.ctx.device)
        pred, target = self.prediction(net.module(*args), args)
        if pred is None or pred.dim() != 2 or target is None:
            return None
        return {"kind": "predictions", "predicted": pred.argmax(1).tolist(),
                "target": target.flatten().tolist()}


class Segmentation(Classification):
    kind = "segmentation"
    default_monitor = "val.miou"

    def accumulator(self):
        classes = len(self.ctx.data_info.get("mask_classes") or []) or None
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


class SkipGram(Recipe):
    """word2vec: a supervised (center -> context) step; samples are nearest neighbours."""

    kind = "skip-gram"
    aliases = ("word2vec",)
    WORDS = ("file", "string", "list", "return", "number", "socket")

    @classmethod
    def dataset_spec(cls, spec: dict) -> dict:
        if spec.get("name") == "text":
            spec.setdefault("mode", "skipgram")  # word pairs, not windows
        return spec

    def embedding(self):
        for name, module in self.net.module.named_children():
            if isinstance(module, torch.nn.Embedding):
                return module.weight
        return None

    @torch.no_grad()
    def samples(self, probe=None, words=None, k: int = 5) -> dict | None:
        vocab, weight = self.ctx.data_info.get("vocab"), self.embedding()
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
