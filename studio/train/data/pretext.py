"""Self-supervised pretext data: labels made from the images themselves, no annotation needed.

``rotations`` (Gidaris, Singh & Komodakis 2018): every bundled digit appears four times, turned
by 0, 90, 180 and 270 degrees (counter-clockwise); ``image`` is the turned copy and ``label``
(int64 0-3, the class field as in every bundled dataset, so the Data tab counts the turns) which
turn it was. To tell the turns apart a network must learn what upright digits
look like: strokes, their usual places and directions, which are features a classifier of the
real labels can reuse (the ``linear-probe`` template reads them through a frozen backbone).
``digit`` (0-9) rides along for the curious; a pretext network never reads it.

The split is made on the digits before they are turned, with the seed and proportions the
``digits`` dataset uses: the turned copies of one digit stay in one split, and the pretext run
never sees the digits a probe trained with the same seed is tested on.
"""
from __future__ import annotations

import torch

from studio.train.data.base import DataError, FieldDataset, seeded_split
from studio.train.data.registry import SPLIT_DEFAULTS, dataset, spec_of

ROTATIONS = ("0°", "90°", "180°", "270°")


def rotated_copies(images: torch.Tensor, labels: torch.Tensor) -> dict:
    """``images`` (N, C, H, W) turned by each of the 4 quarter turns: 4N samples, all of one
    image's turns side by side (Gidaris et al. put the four turns in the same batch)."""
    if images.shape[-1] != images.shape[-2]:
        raise DataError(f"dataset 'rotations': images must be square to turn, got "
                        f"{tuple(images.shape[-2:])}")
    turned = torch.stack([images.rot90(k, (-2, -1)) for k in range(len(ROTATIONS))], 1)
    count = len(images)
    return {"image": turned.flatten(0, 1),
            "label": torch.arange(len(ROTATIONS)).repeat(count),
            "digit": labels.repeat_interleave(len(ROTATIONS))}


def _turned(part) -> FieldDataset:
    return FieldDataset(rotated_copies(part.fields["image"], part.fields["label"]))


@dataset("rotations", "the digits turned by 0/90/180/270 degrees, labelled with the turn "
         "(self-supervised pretext task)", size=16, channels=1,
         example="--data rotations --data size=16",
         helps={"size": "digit images are resized to size x size before turning",
                "channels": "copies of the grey channel (3 for RGB networks)"})
def rotations(options, seed):
    digits = spec_of("digits")  # the digits builder checks size and channels
    base, _ = digits.build({**digits.options, "size": options["size"],
                            "channels": options["channels"]}, seed)
    train, val, test = seeded_split(base, seed, SPLIT_DEFAULTS["val"], SPLIT_DEFAULTS["test"])
    seen = FieldDataset({k: torch.cat([train.fields[k], val.fields[k]]) for k in base.fields})
    # (train, test, info): the registry carves validation out of the turned training digits
    return _turned(seen), _turned(test), {"classes": list(ROTATIONS),
                                          "digit_classes": [str(i) for i in range(10)]}
