"""Every metric name the trainer reports, with the way it ranks and the plot that shows it.

One table read by everyone who needs to know a metric: the accumulators and recipes that produce
values under these names, the engine when it picks the best checkpoint (``direction``), the
recipes' default monitors, and the dashboard's curves (``plots``). A recipe that reports a new
metric registers it here, so its best checkpoint ranks the right way and the dashboard can plot
it. No torch here: the studio reads this table before torch is imported.

Names are bare (``"accuracy"``); a monitor names a split too (``"val.accuracy"``). Loss parts are
reported as ``"loss/<node>"`` and rank like the loss.
"""
from __future__ import annotations

from dataclasses import dataclass

MIN, MAX = "min", "max"
SPLITS = ("train", "val")

# plot title -> y-axis label, in the dashboard's order (a 2-column grid)
PLOT_AXES = {"loss": "loss", "accuracy": "metric", "learning rate": "lr",
             "gradient norm": "norm"}


@dataclass(frozen=True)
class Metric:
    """A reported value: ``direction`` says which way is better (``None``: it does not rank a
    run, e.g. the learning rate); ``plot`` is the dashboard plot showing it, per step
    (``step``) and per epoch for the ``splits`` listed."""

    name: str
    direction: str | None
    doc: str
    plot: str | None = None
    step: bool = False
    splits: tuple[str, ...] = ()


_METRICS: dict[str, Metric] = {}


def register(*metrics: Metric) -> None:
    for m in metrics:
        if m.direction not in (MIN, MAX, None):
            raise ValueError(f"metric {m.name!r}: direction must be 'min', 'max' or None, "
                             f"got {m.direction!r}")
        if m.plot is not None and m.plot not in PLOT_AXES:
            raise ValueError(f"metric {m.name!r}: unknown plot {m.plot!r} "
                             f"(known: {', '.join(PLOT_AXES)})")
        _METRICS[m.name] = m


def lookup(name: str) -> Metric | None:
    """The metric for a bare name (``"accuracy"``); loss parts (``"loss/kl"``) are the loss."""
    if name.startswith("loss/"):
        name = "loss"
    return _METRICS.get(name)


def all_metrics() -> list[Metric]:
    return list(_METRICS.values())


def direction(monitor: str) -> str:
    """``"min"`` or ``"max"`` for a monitored value such as ``"val.accuracy"``. A name the table
    does not know ranks like a loss (lower is better), as a metric that never appears in the
    results cannot rank anything anyway."""
    split, _, key = monitor.partition(".")
    metric = lookup(key if split in (*SPLITS, "test") and key else monitor)
    return metric.direction if metric and metric.direction else MIN


def plots() -> list[tuple[str, list[str], list[str], str]]:
    """(title, per-step keys, per-epoch keys such as ``"val.loss"``, y label) for each plot."""
    out = []
    for title, ylabel in PLOT_AXES.items():
        shown = [m for m in _METRICS.values() if m.plot == title]
        out.append((title, [m.name for m in shown if m.step],
                    [f"{split}.{m.name}" for m in shown for split in m.splits], ylabel))
    return out


register(
    Metric("loss", MIN, "the summed loss nodes (weighted)", "loss", step=True, splits=SPLITS),
    Metric("accuracy", MAX, "share of correct classes (tokens, pixels)", "accuracy",
           splits=SPLITS),
    Metric("top5", MAX, "share of targets among the 5 highest scores (over 5 classes)"),
    Metric("miou", MAX, "mean intersection over union of the classes present (segmentation)",
           "accuracy", splits=("val",)),
    Metric("iou", MAX, "intersection over union per class (a list)"),
    Metric("psnr", MAX, "peak signal-to-noise ratio of reconstructions, dB", "accuracy",
           splits=("val",)),
    Metric("elbo", MAX, "evidence lower bound, -(total loss) of a VAE", "accuracy",
           splits=("val",)),
    Metric("mse", MIN, "mean squared error of real-valued predictions"),
    Metric("mae", MIN, "mean absolute error of real-valued predictions"),
    Metric("lr", None, "the first optimizer's learning rate", "learning rate", step=True),
    Metric("grad_norm", MIN, "gradient norm before clipping (a GAN's discriminator)",
           "gradient norm", step=True),
    Metric("grad_norm_g", MIN, "a GAN generator's gradient norm", "gradient norm", step=True),
    Metric("loss_d", MIN, "a GAN discriminator's loss"),
    Metric("loss_g", MIN, "a GAN generator's loss (non-saturating)"),
    Metric("samples_per_s", MAX, "training throughput"),
)

# self-organizing maps (studio.train.recipes.som)
register(
    # (not plotted: the som recipe reports it as its loss too, plotted as val.loss)
    Metric("quantization_error", MIN, "mean distance of a sample to its best-matching prototype "
           "(self-organizing map)"),
    Metric("topographic_error", MIN, "share of samples whose two nearest prototypes are not "
           "grid neighbours (self-organizing map)", "accuracy", splits=("val",)),
    Metric("sigma", None, "a self-organizing map's neighbourhood radius, in grid units",
           "learning rate", step=True),
)

# greedy layer-wise pretraining (studio.train.recipes.layerwise): stages 1..N, then fine-tuning
register(Metric("stage", None, "which stage of layer-wise pretraining runs (the last: "
                "fine-tuning end to end)"))
