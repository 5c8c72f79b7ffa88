"""The linear-probe template on self-supervised features: a rotation-pretext run first (its
own training section), then the probe with ``init_weights`` set to that run's folder. Used by
``train_quality.py`` for its ``linear-probe`` line; the probe's own run there (no
``init_weights``) is the random-features baseline."""
from __future__ import annotations

from pathlib import Path

from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.engine import train


def pretext_probe_accuracy(probe_doc, out: Path) -> tuple[float, float]:
    """(probe test accuracy on pretext features, pretext test accuracy at telling turns)."""
    pretext = out / "rotation-pretext-for-probe"
    done = train(apply_preset(open_document("rotation-pretext")[0]), {"device": "cpu"},
                 out=str(pretext))
    probe = train(probe_doc, {"device": "cpu", "init_weights": str(pretext)},
                  out=str(out / "linear-probe-on-pretext"))
    return probe.metrics["test"]["accuracy"], done.metrics["test"]["accuracy"]
