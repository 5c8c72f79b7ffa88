"""Generated regression data: real-valued targets for square-loss (least-squares) training.

- ``friedman1``: ``features`` (features,) float uniform in [0, 1], ``target`` (1,) float
  ``10 sin(pi x1 x2) + 20 (x3 - 1/2)^2 + 10 x4 + 5 x5 + noise`` (Friedman 1991, the benchmark
  scikit-learn's ``make_friedman1`` draws). Only the first five features matter; the others are
  distractors. A least-squares line explains about three quarters of the variance; the sine and
  the square need a non-linear regressor, the course's step "from least square regression to
  deep regression". The target is standardized over the generated set (mean 0, variance 1),
  so a test mean squared error reads as 1 - R^2; the noise variance over the target's
  (about 0.04 with the default noise) is the error no regressor can beat.
"""
from __future__ import annotations

import numpy as np
import torch

from studio.train.data.base import DataError, FieldDataset
from studio.train.data.registry import dataset


def friedman1_target(x: np.ndarray) -> np.ndarray:
    """The noiseless Friedman #1 function of the first five columns of ``x``."""
    return (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2
            + 10 * x[:, 3] + 5 * x[:, 4])


@dataset("friedman1", "Friedman's regression benchmark: 5 informative features, noisy target",
         features=10, count=2000, noise=1.0, example="--data friedman1 --data noise=0.5",
         helps={"features": "input features (>= 5; the ones past the fifth are distractors)",
                "count": "samples", "noise": "standard deviation of the Gaussian noise"})
def friedman1(options, seed):
    features, count = options["features"], options["count"]
    for key, value, low in (("features", features, 5), ("count", count, 1)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise DataError(f"dataset 'friedman1' option {key!r}: expected an integer >= {low}, "
                            f"got {value!r}")
    noise = options["noise"]
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not noise >= 0:
        raise DataError(f"dataset 'friedman1' option 'noise': expected a number >= 0, "
                        f"got {noise!r}")
    rng = np.random.RandomState(1991)  # the data is fixed; the run's seed only drives the split
    x = rng.uniform(0, 1, (count, features))
    y = friedman1_target(x) + rng.normal(0, float(noise), count)
    y = (y - y.mean()) / max(float(y.std()), 1e-12)  # step sizes that fit any noise level
    return FieldDataset({"features": torch.tensor(x, dtype=torch.float32),
                         "target": torch.tensor(y, dtype=torch.float32).unsqueeze(1)}), {}
