"""Kohonen's self-organizing map trained by competitive learning, not gradient descent.

Each step runs the network up to its ``SelfOrganizingMap`` node (whatever precedes it, e.g. a
Flatten, prepares the samples), finds every sample's best-matching unit (BMU, the nearest
prototype) and moves each prototype ``w_j`` towards the samples whose BMU lies near unit ``j``
on the grid, weighted by a Gaussian neighbourhood ``h`` (Kohonen 1982, in its batch-averaged
online form)::

    w_j += lr * sum_i h(bmu_i, j) (x_i - w_j) / batch,  h = exp(-|g_bmu - g_j|² / 2 sigma²)

``lr`` and ``sigma`` decay exponentially over the run, from ``training.optimizer.lr`` (the
learning rate the studio's training form edits) to ``training.som.lr_end``, and from
``training.som.sigma`` (default: half the larger grid side) to ``training.som.sigma_end``. No
optimizer is built: the recipe updates the prototypes itself, under ``no_grad``; its own step
count is a buffer saved with every checkpoint, so a resumed run anneals on from where it was.

Reported: ``quantization_error`` (mean distance of a sample to its BMU; the loss too) and
``topographic_error`` (share of samples whose two nearest prototypes are not grid neighbours);
each epoch's ``samples`` event carries the prototypes and the U-matrix for the dashboard's map.
"""
from __future__ import annotations

import functools
import math

import torch

from nodes.som import SelfOrganizingMap, adjacent, grid_coordinates, umatrix
from studio.train import task_samples
from studio.train.data.binding import to_arguments
from studio.train.metrics import Accumulator
from studio.train.optim import ConfigError
from studio.train.recipes.base import Recipe

LR_END, SIGMA_END = 0.01, 0.5


class SomState(torch.nn.Module):
    """The recipe's step count, saved in checkpoints (the annealing position)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("step", torch.zeros((), dtype=torch.int64))


class SomAccumulator(Accumulator):
    """Quantization and topographic errors summed over an evaluation pass."""

    def __init__(self):
        super().__init__()
        self.qe_sum = self.te_sum = 0.0
        self.seen = 0

    def add_map(self, distances: torch.Tensor, cols: int) -> None:
        best = distances.topk(min(2, distances.shape[1]), dim=1, largest=False)
        self.qe_sum += float(best.values[:, 0].sum())
        if best.indices.shape[1] == 2:
            near = adjacent(best.indices[:, 0], best.indices[:, 1], cols)
            self.te_sum += float((~near).sum())
        self.seen += len(distances)

    def result(self) -> dict:
        out = super().result()
        n = max(1, self.seen)
        return {**out, "quantization_error": self.qe_sum / n, "topographic_error": self.te_sum / n}


def distances(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """(N, units) Euclidean distances, computed as the node computes them."""
    return (x.unsqueeze(1) - weight.unsqueeze(0)).pow(2).sum(-1).sqrt()


class SelfOrganizing(Recipe):
    kind = "som"
    settings = {"som": ("lr_end", "sigma", "sigma_end")}
    aliases = ("kohonen",)
    default_monitor = "val.quantization_error"

    @functools.cached_property
    def som(self) -> SelfOrganizingMap:
        for module in self.net.module.modules():
            if isinstance(module, SelfOrganizingMap):
                return module
        raise ValueError(f"the som recipe needs a SelfOrganizingMap node in network "
                         f"{self.net.name!r}")

    def setup(self) -> dict:
        som, c = self.som, self.ctx.config
        options = c.get("som") if isinstance(c.get("som"), dict) else {}
        self.lr0 = _positive(c["optimizer"].get("lr"), "optimizer.lr")
        self.lr1 = _positive(options.get("lr_end", LR_END), "som.lr_end")
        self.sigma0 = _positive(options.get("sigma") or max(som.rows, som.cols) / 2, "som.sigma")
        self.sigma1 = _positive(options.get("sigma_end", SIGMA_END), "som.sigma_end")
        # the planned run, not max_steps: a run cut short and resumed anneals as a whole one
        self.total = max(1, int(c["epochs"]) * self.ctx.steps_per_epoch)
        self.coords = grid_coordinates(som.rows, som.cols).to(self.ctx.device)
        self.state = SomState().to(self.ctx.device)
        self.ctx.modules["som_state"] = self.state
        return {}  # no optimizer: the step below is the whole update

    def rates(self) -> tuple[float, float]:
        """(lr, sigma) at the current step: exponential from the start values to the end ones."""
        progress = min(1.0, int(self.state.step) / self.total)
        return (self.lr0 * (self.lr1 / self.lr0) ** progress,
                self.sigma0 * (self.sigma1 / self.sigma0) ** progress)

    def som_input(self, args) -> torch.Tensor:
        """The flattened samples as they reach the map (whatever precedes it applied)."""
        seen = []
        hook = self.som.register_forward_pre_hook(lambda _m, inputs: seen.append(inputs[0]))
        try:
            self.net.module(*args)
        finally:
            hook.remove()
        return seen[0].flatten(1).float()

    @torch.no_grad()
    def train_step(self, batch) -> dict:
        args = to_arguments(batch, self.net.bindings, self.ctx.device)
        x = self.som_input(args)
        w = self.som.weight
        lr, sigma = self.rates()
        d = distances(x, w)
        bmu = d.argmin(1)
        qe = d.gather(1, bmu[:, None]).mean()
        self.ctx.check_loss(qe, self.net, args)  # a NaN sample names its node, before the update
        grid = self.coords
        h = torch.exp(-(grid[bmu][:, None, :] - grid[None]).pow(2).sum(-1) / (2 * sigma ** 2))
        # sum_i h_ij (x_i - w_j) / B as two matrix products: no (B, units, features) tensor
        pull, weight, count = h.T @ x, h.sum(0), torch.tensor(float(len(x)), device=x.device)
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            for part in (pull, weight, count):  # every rank applies the same, whole-batch update
                torch.distributed.all_reduce(part)
        w += lr * (pull - weight[:, None] * w) / count
        self.state.step += 1
        return {"loss": qe, "lr": lr, "sigma": sigma}

    def accumulator(self) -> Accumulator:
        return SomAccumulator()

    @torch.no_grad()
    def eval_batch(self, batch, acc: SomAccumulator) -> None:
        args = to_arguments(batch, self.net.bindings, self.ctx.device)
        d = distances(self.som_input(args), self.som.weight)
        acc.add_loss(len(d), float(d.min(1).values.mean()), {})
        acc.add_map(d, self.som.cols)

    @torch.no_grad()
    def samples(self, probe=None) -> dict | None:
        """The prototypes as pictures (images, colour swatches or value strips) in grid order,
        and the U-matrix: small enough for every epoch's event."""
        som = self.som
        w = som.weight.detach().float().cpu()
        shape = self.picture_shape(w.shape[1])
        if shape == (3, 1, 1):  # a colour: a swatch of 8×8 pixels
            tiles = w.clamp(0, 1).reshape(-1, 3, 1, 1).expand(-1, 3, 8, 8)
        else:
            tiles = w.reshape(-1, *shape)
        u = umatrix(w, som.rows, som.cols)
        return {"kind": "som", "rows": som.rows, "cols": som.cols,
                "picture": "colour" if shape == (3, 1, 1) else
                ("image" if shape[1] > 1 else "vector"),
                "prototypes": task_samples.to_uint8(tiles),
                "umatrix": [[round(float(v), 5) for v in row] for row in u]}

    def picture_shape(self, features: int) -> tuple:
        """(C, H, W) a prototype is drawn as: the Input's image shape when it holds exactly the
        map's features, a colour for 3 features, else a strip of values."""
        for b in self.net.bindings:
            shape = tuple(b.shape)
            if len(shape) == 3 and shape[0] in (1, 3) and math.prod(shape) == features:
                return shape
        if features == 3:
            return (3, 1, 1)
        return (1, 1, features)


def _positive(value, key: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number > 0 or not math.isfinite(number):
        raise ConfigError(f"training.{key}: expected a number > 0 for the som recipe, "
                         f"got {value!r:.40}")
    return number
