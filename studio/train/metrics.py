"""Evaluation metrics, accumulated batch by batch: accuracy, top-k, confusion matrix, IoU, PSNR,
regression errors. Every value in :meth:`Accumulator.result` is plain JSON (floats, lists)."""
from __future__ import annotations

import math

import torch


def class_predictions(output: torch.Tensor, target: torch.Tensor):
    """(scores with classes last, target) for (N, C), (N, C, *) or (N, *, C) outputs."""
    if output.dim() == target.dim() + 1:
        if output.shape[:1] + output.shape[2:] == target.shape:  # classes in dim 1 (N, C, H, W)
            return output.movedim(1, -1), target
        if output.shape[:-1] == target.shape:  # classes last (N, T, C)
            return output, target
    return None, None


class Accumulator:
    """Sums over an evaluation pass; ``kind`` is classification, regression or reconstruction."""

    def __init__(self, num_classes: int | None = None, topk: int = 5, iou: bool = False):
        self.n = 0
        self.loss = 0.0
        self.parts: dict[str, float] = {}
        self.correct = self.topk_correct = self.count = 0
        self.k = topk if num_classes and num_classes > topk else None
        self.confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64) \
            if num_classes else None
        self.iou = iou
        self.sq_err = self.abs_err = 0.0
        self.values = 0
        self.psnr_sum, self.psnr_n = 0.0, 0

    def add_loss(self, batch: int, total: float, parts: dict) -> None:
        self.n += batch
        self.loss += total * batch
        for k, v in parts.items():
            self.parts[k] = self.parts.get(k, 0.0) + v * batch

    def add_classes(self, output, target) -> None:
        scores, target = class_predictions(output, target)
        if scores is None:
            return
        scores, target = scores.reshape(-1, scores.shape[-1]).float(), target.reshape(-1)
        pred = scores.argmax(-1)
        self.correct += int((pred == target).sum())
        self.count += target.numel()
        if self.k:
            top = scores.topk(self.k, -1).indices
            self.topk_correct += int((top == target[:, None]).any(-1).sum())
        if self.confusion is not None and self.confusion.shape[0] == scores.shape[-1]:
            c = self.confusion.shape[0]
            ok = (target >= 0) & (target < c)
            self.confusion += torch.bincount(target[ok] * c + pred[ok], minlength=c * c) \
                .reshape(c, c).cpu()

    def add_regression(self, output, target) -> None:
        if output.shape != target.shape:
            return
        diff = (output.float() - target.float())
        self.sq_err += float(diff.pow(2).sum())
        self.abs_err += float(diff.abs().sum())
        self.values += diff.numel()

    def add_psnr(self, output, target, peak: float = 1.0) -> None:
        """Per-image PSNR in dB (images in [0, peak]), averaged over images."""
        if output.shape != target.shape:
            return
        mse = (output.float().clamp(0, peak) - target.float()).pow(2).flatten(1).mean(1)
        self.psnr_sum += float((10 * torch.log10(peak ** 2 / mse.clamp_min(1e-10))).sum())
        self.psnr_n += mse.numel()

    def result(self) -> dict:
        out = {"loss": self.loss / max(1, self.n)}
        out.update({f"loss/{k}": v / max(1, self.n) for k, v in self.parts.items()})
        if self.count:
            out["accuracy"] = self.correct / self.count
            if self.k:
                out[f"top{self.k}"] = self.topk_correct / self.count
        if self.confusion is not None and self.count:
            out["confusion"] = self.confusion.tolist()
            if self.iou:
                out.update(iou_from_confusion(self.confusion))
        if self.values:
            out["mse"] = self.sq_err / self.values
            out["mae"] = self.abs_err / self.values
        if self.psnr_n:
            out["psnr"] = self.psnr_sum / self.psnr_n
        return out


def iou_from_confusion(confusion: torch.Tensor) -> dict:
    """Per-class IoU = TP / (TP + FP + FN) and their mean over classes present."""
    c = confusion.double()
    tp = c.diag()
    union = c.sum(0) + c.sum(1) - tp
    present = union > 0
    iou = torch.where(present, tp / union.clamp_min(1), torch.full_like(tp, math.nan))
    return {"iou": [None if math.isnan(v) else v for v in iou.tolist()],
            "miou": float(iou[present].mean()) if present.any() else 0.0}
