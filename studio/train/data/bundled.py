"""Bundled offline datasets: generated or shipped in ``studio.resources``, identical on every machine.

Fields (what an Input/Target node's ``field`` param names):

- ``digits``: ``image`` (1|channels, size, size) float in ``range`` (default [0, 1]; binarize for
  RBMs), ``label`` int64 0-9.
- ``shapes``: ``image`` (channels, size, size), ``label`` (shape class), ``mask`` (size, size)
  int64 with 0 = background and k + 1 = shape class k.
  With ``captions=True`` also ``caption`` (steps,) int64 ("large circle at top left <end>").
- ``toy2d``: ``point`` (2,) float, ``label`` int64 (kind: linear, xor, moons, spirals).
- ``digit-rows``: ``sequence`` (rows, columns) float, ``label``: a digit read row by row.
- ``sine``: ``x`` (length, 1), ``y`` (length, 1) the next value at every step (or (1,) with
  horizon "last").
- ``adding``: ``x`` (length, 2) values and markers, ``y`` (1,) the sum of the two marked values.
- ``copy``, ``reverse``, ``sort``: ``sequence`` (steps,) int64 tokens, ``target`` (steps,)
  int64 tokens (copy: the input delayed by ``delay`` steps, blank 0 before).
"""
from __future__ import annotations

import gzip
import math
from importlib import resources

import numpy as np
import torch
import torch.nn.functional as F

from studio.train.data.base import DataError, FieldDataset
from studio.train.data.registry import dataset

DIGITS_FILE = "digits.csv.gz"  # see resources/digits-SOURCE.txt


def digits_table() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digits as (N, 8, 8) pixel counts 0..16 and their (N,) labels, read from the
    copy of scikit-learn's table in ``studio.resources`` (importing scikit-learn costs seconds)."""
    with resources.files("studio.resources").joinpath(DIGITS_FILE).open("rb") as f:
        text = gzip.decompress(f.read()).decode("ascii")
    # one row per digit: 64 pixel counts, then the label
    table = np.array(text.replace("\n", ",").strip(",").split(","), dtype=np.int64).reshape(-1, 65)
    return table[:, :64].reshape(-1, 8, 8), table[:, 64]


def _digit_images(size: int) -> tuple[torch.Tensor, torch.Tensor]:
    pixels, labels = digits_table()
    images = torch.tensor(pixels, dtype=torch.float32).unsqueeze(1) / 16.0
    if size != 8:
        images = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    return images.clamp(0, 1), torch.tensor(labels, dtype=torch.int64)


def _int(options, key, low=1):
    value = options[key]
    if not isinstance(value, int) or value < low:
        raise DataError(f"dataset option {key!r}: expected an integer >= {low}, got {value!r}")
    return value


@dataset("digits", "scikit-learn's 1,797 8x8 handwritten digits, resizable", size=8, channels=1,
         binarize=False, range=[0, 1], example="--data digits --data size=28",
         helps={"size": "images are resized to size x size", "channels": "copies of the grey "
                "channel (3 for RGB networks)", "binarize": "pixels 0 or 1 (RBMs)",
                "range": "pixel values scaled to [low, high], e.g. [-1, 1]"})
def digits(options, seed):
    images, labels = _digit_images(_int(options, "size", 4))
    images = images.repeat(1, _int(options, "channels"), 1, 1)
    if options["binarize"]:  # RBMs model binary pixels
        images = (images > 0.5).float()
    low, high = options["range"]
    images = images * (high - low) + low  # e.g. [-1, 1] for a tanh generator
    return FieldDataset({"image": images, "label": labels}), {"classes": [str(i) for i in range(10)]}


@dataset("digit-rows", "the digits read row by row as sequences", size=8)
def digit_rows(options, seed):
    images, labels = _digit_images(_int(options, "size", 4))
    return FieldDataset({"sequence": images[:, 0], "label": labels}), \
        {"classes": [str(i) for i in range(10)]}


SHAPE_CLASSES = ("circle", "square", "triangle", "cross")


def _draw(kind: str, size: int, cx, cy, r) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    dx, dy = xx - cx, yy - cy
    if kind == "circle":
        return dx ** 2 + dy ** 2 <= r ** 2
    if kind == "square":
        return (np.abs(dx) <= r * 0.85) & (np.abs(dy) <= r * 0.85)
    if kind == "triangle":  # apex up: inside when below the two slanted edges and above the base
        return (dy <= r * 0.8) & (dy >= -r) & (np.abs(dx) <= (dy + r) * 0.6)
    return ((np.abs(dx) <= r * 0.3) | (np.abs(dy) <= r * 0.3)) & (np.abs(dx) <= r) & (np.abs(dy) <= r)


@dataset("shapes", "synthetic images of circles, squares, triangles and crosses with pixel masks",
         size=32, channels=1, count=2000, classes=3, noise=0.1, objects=1, captions=False,
         steps=6, example="--data shapes --data classes=4",
         helps={"size": "image side in pixels", "channels": "image channels", "count": "images",
                "classes": "shape kinds used (at most 4)", "noise": "Gaussian pixel noise",
                "objects": "shapes per image", "captions": "add a caption field",
                "steps": "caption length in tokens"})
def shapes(options, seed):
    size, channels, count = _int(options, "size", 8), _int(options, "channels"), _int(options, "count")
    k = _int(options, "classes")
    if k > len(SHAPE_CLASSES):
        raise DataError(f"dataset 'shapes': at most {len(SHAPE_CLASSES)} classes, got {k}")
    rng = np.random.RandomState(1234)  # the data is fixed; the run's seed only drives the split
    images = np.zeros((count, channels, size, size), np.float32)
    masks = np.zeros((count, size, size), np.int64)
    labels = np.zeros(count, np.int64)
    captions = np.zeros((count, _int(options, "steps")), np.int64)
    for i in range(count):
        for j in range(_int(options, "objects")):
            cls = rng.randint(k)
            r = rng.uniform(size * 0.15, size * 0.3)
            cx, cy = rng.uniform(r, size - r, 2)
            inside = _draw(SHAPE_CLASSES[cls], size, cx, cy, r)
            colour = rng.uniform(0.5, 1.0, channels)
            images[i][:, inside] = colour[:, None]
            masks[i][inside] = cls + 1
            if j == 0:
                labels[i] = cls
                captions[i] = _caption(cls, r / size, cx / size, cy / size, captions.shape[1])
    images += rng.normal(0, float(options["noise"]), images.shape).astype(np.float32)
    fields = {"image": torch.from_numpy(images.clip(0, 1)), "label": torch.from_numpy(labels),
              "mask": torch.from_numpy(masks)}
    info = {"classes": list(SHAPE_CLASSES[:k]), "mask_classes": ["background", *SHAPE_CLASSES[:k]]}
    if options["captions"]:
        fields["caption"] = torch.from_numpy(captions)
        info["vocab"] = list(CAPTION_WORDS)
    return FieldDataset(fields), info


# 15 words: a caption is "<size> <shape> at <row> <column> <end>", padded with <pad>.
CAPTION_WORDS = ("<pad>", "<end>", "small", "large", *SHAPE_CLASSES, "at", "top", "middle",
                 "bottom", "left", "centre", "right")


def _caption(cls, radius, cx, cy, steps) -> list:
    third = lambda v: min(2, int(v * 3))
    words = ["large" if radius > 0.225 else "small", SHAPE_CLASSES[cls], "at",
             ("top", "middle", "bottom")[third(cy)], ("left", "centre", "right")[third(cx)],
             "<end>"]
    ids = [CAPTION_WORDS.index(w) for w in words][:steps]
    return ids + [0] * (steps - len(ids))


@dataset("toy2d", "2-D points: linear, xor, moons or spirals", kind="moons", count=1000, noise=0.1,
         example="--data toy2d --data kind=spirals",
         helps={"kind": "linear, xor, moons or spirals", "count": "points",
                "noise": "spread of the points"})
def toy2d(options, seed):
    n, noise, kind = _int(options, "count"), float(options["noise"]), options["kind"]
    rng = np.random.RandomState(4321)
    if kind == "linear":
        x = rng.uniform(-1, 1, (n, 2))
        y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    elif kind == "xor":
        x = rng.uniform(-1, 1, (n, 2))
        y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
    elif kind == "moons":
        from sklearn.datasets import make_moons
        x, y = make_moons(n, noise=noise, random_state=4321)
    elif kind == "spirals":
        t = rng.uniform(0.25, 1, n) * 3 * math.pi
        y = rng.randint(2, size=n)
        angle = t + y * math.pi
        x = np.stack([t * np.cos(angle), t * np.sin(angle)], 1) / (3 * math.pi)
    else:
        raise DataError(f"dataset 'toy2d': kind must be linear, xor, moons or spirals, got {kind!r}")
    if kind != "moons":
        x = x + rng.normal(0, noise * 0.1, x.shape)
    return FieldDataset({"point": torch.tensor(x, dtype=torch.float32),
                         "label": torch.tensor(y, dtype=torch.int64)}), {"classes": ["0", "1"]}


@dataset("sine", "noisy sine waves: predict the next value", length=50, count=1000,
         horizon="all", noise=0.0)
def sine(options, seed):
    n, t = _int(options, "count"), _int(options, "length", 2)
    rng = np.random.RandomState(99)
    phase = rng.uniform(0, 2 * math.pi, (n, 1))
    freq = rng.uniform(0.05, 0.2, (n, 1))
    wave = np.sin(phase + freq * np.arange(t + 1)) + rng.normal(0, float(options["noise"]), (n, t + 1))
    wave = torch.tensor(wave, dtype=torch.float32).unsqueeze(-1)
    y = wave[:, 1:] if options["horizon"] == "all" else wave[:, -1]
    return FieldDataset({"x": wave[:, :-1], "y": y}), {}


@dataset("adding", "the adding problem: sum the two marked values", length=50, count=2000)
def adding(options, seed):
    n, t = _int(options, "count"), _int(options, "length", 2)
    g = torch.Generator().manual_seed(7)
    values = torch.rand(n, t, generator=g)
    markers = torch.zeros(n, t)
    first = torch.randint(0, t // 2, (n,), generator=g)
    second = torch.randint(t // 2, t, (n,), generator=g)
    markers[torch.arange(n), first] = 1
    markers[torch.arange(n), second] = 1
    y = (values * markers).sum(1, keepdim=True)
    return FieldDataset({"x": torch.stack([values, markers], -1), "y": y}), {}


def _tokens(options):
    n, vocab = _int(options, "count"), _int(options, "vocab", 4)
    length = _int(options, "steps", 2) if options.get("steps") else _int(options, "length", 2)
    return n, length, vocab, torch.Generator().manual_seed(11)


@dataset("copy", "the copy task: repeat the sequence after a delay (0: tag each token with "
         "itself)", steps=None, length=10, delay=0, vocab=10, count=2000)
def copy_task(options, seed):
    n, length, vocab, g = _tokens(options)
    delay = _int(options, "delay", 0)
    x = torch.randint(1, vocab, (n, length), generator=g)  # 0 is the blank token
    y = torch.zeros_like(x)
    y[:, delay:] = x[:, :length - delay]
    return FieldDataset({"sequence": x, "target": y}), {"vocab": [str(i) for i in range(vocab)]}


@dataset("reverse", "sequence pairs: the input reversed", steps=None, length=8, vocab=10,
         count=2000)
def reverse(options, seed):
    n, length, vocab, g = _tokens(options)
    x = torch.randint(1, vocab, (n, length), generator=g)
    return FieldDataset({"sequence": x, "target": x.flip(1)}), \
        {"vocab": [str(i) for i in range(vocab)]}


@dataset("sort", "sequence pairs: the input sorted", steps=None, length=8, vocab=10, count=2000)
def sort(options, seed):
    n, length, vocab, g = _tokens(options)
    x = torch.randint(1, vocab, (n, length), generator=g)
    return FieldDataset({"sequence": x, "target": x.sort(1).values}), \
        {"vocab": [str(i) for i in range(vocab)]}
