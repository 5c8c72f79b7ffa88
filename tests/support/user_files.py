"""Realistic users' files, written in a test's tmp_path: MNIST idx files, a folder of RGB PNGs,
a CSV with named feature columns and a string label, an NPZ of 8-bit images.

The data is learnable in a few steps (each class puts a bright square at its own place, or its
own feature means), so a short run's test accuracy is clearly above chance; every generator is
seeded, so every machine writes the same files.
"""
from __future__ import annotations

import csv
import gzip
import struct
from pathlib import Path

import numpy as np

SPECIES = ("setosa", "versicolor", "virginica")


def class_images(count: int, size: int, classes: int = 10, seed: int = 0):
    """``(images (count, size, size) uint8, labels (count,))``: class k is a bright square in
    cell k of a 3x4 grid, over noise, jittered by a pixel or two."""
    rng = np.random.RandomState(seed)
    labels = np.arange(count) % classes
    rng.shuffle(labels)
    images = rng.randint(0, 60, (count, size, size)).astype(np.uint8)
    cell, side = size // 4, max(2, size // 5)
    for i, k in enumerate(labels):
        r, c = divmod(int(k), 4)
        y0 = r * cell + rng.randint(0, 2) + size // 8
        x0 = c * cell + rng.randint(0, 2)
        images[i, y0:y0 + side, x0:x0 + side] = 230
    return images, labels


def _idx(path: Path, magic: int, array: np.ndarray) -> None:
    data = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


def mnist_files(folder: Path, train: int = 400, test: int = 100) -> Path:
    """The four MNIST idx files (28x28) straight in ``folder``, as a user downloads them."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n, seed in (("train", train, 0), ("t10k", test, 1)):
        images, labels = class_images(n, 28, seed=seed)
        _idx(folder / f"{prefix}-images-idx3-ubyte.gz", 0x803, images)
        _idx(folder / f"{prefix}-labels-idx1-ubyte.gz", 0x801, labels)
    return folder


def png_folder(folder: Path, per_class: int = 16, size: int = 24, classes: int = 10) -> Path:
    """An RGB image folder, one sub-folder per class (``class_0``...)."""
    from PIL import Image
    images, labels = class_images(per_class * classes, size, classes, seed=2)
    tint = np.array([1.0, 0.8, 0.6])  # RGB, not grey: the files are truly 3-channel
    for i, (image, label) in enumerate(zip(images, labels)):
        sub = folder / f"class_{label}"
        sub.mkdir(parents=True, exist_ok=True)
        rgb = (image[..., None] * tint).astype(np.uint8)
        Image.fromarray(rgb, "RGB").save(sub / f"{i:04d}.png")
    return folder


def iris_csv(path: Path, rows: int = 240) -> Path:
    """Four named feature columns and a string ``species`` column last, like iris.csv."""
    rng = np.random.RandomState(3)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width",
                         "species"])
        for i in range(rows):
            k = i % 3
            centre = np.array([5.0 + 0.8 * k, 3.2 - 0.3 * k, 1.5 + 2.2 * k, 0.2 + 0.9 * k])
            values = np.round(centre + rng.normal(0, 0.25, 4), 2)
            writer.writerow([*values.tolist(), SPECIES[k]])
    return path


def image_npz(path: Path, count: int = 400) -> Path:
    """``image`` (count, 28, 28) uint8 and ``label`` (count,), as MNIST saved with NumPy."""
    images, labels = class_images(count, 28, seed=4)
    np.savez(path, image=images, label=labels.astype(np.int64))
    return path
