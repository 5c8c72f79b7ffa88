"""Generated colours: RGB triples drawn uniformly from the colour cube, the classic demo of a
self-organizing map (the map spreads the cube over its grid; similar colours end up together).

Fields: ``colour`` (3,) float in [0, 1]; no label. The same colours on every machine (a fixed
generator seed, not the run's, so the splits of two runs hold the same colours).
"""
from __future__ import annotations

import torch

from studio.train.data.base import DataError, FieldDataset
from studio.train.data.registry import dataset

SEED = 1982  # Kohonen's year: any fixed number keeps the set identical everywhere


@dataset("colours", "random RGB colours from the colour cube (self-organizing map demo)",
         count=1000, example="--data colours --data count=500",
         helps={"count": "how many colours are drawn (then split into train/val/test)"})
def colours(options, seed):
    count = options["count"]
    if not isinstance(count, int) or isinstance(count, bool) or not 10 <= count <= 1_000_000:
        raise DataError(f"dataset 'colours': option 'count' expected a whole number from 10 to "
                        f"1000000, got {count!r:.40}")
    rgb = torch.rand(count, 3, generator=torch.Generator().manual_seed(SEED))
    return FieldDataset({"colour": rgb}), {}
