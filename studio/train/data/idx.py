"""MNIST and Fashion-MNIST from their idx files, every header checked against the file.

torchvision's reader stops on a bare ``AssertionError`` for a wrong magic number and prefers an
older ``processed/*.pt`` cache (a pickle) when one exists; here the raw idx files are the only
source, read without pickle, and each problem names the file: wrong magic number, wrong shape,
truncated data, images and labels of different counts.
"""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import torch

from studio.train.data.base import DataError

FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}  # torchvision's layout
# the magic number names the element type (0x08: unsigned byte) and the number of dimensions
IMAGES, LABELS = 0x00000803, 0x00000801


def _bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: unreadable ({type(e).__name__}: {e})") from None


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The unsigned-byte array in an idx file whose magic number must be ``magic``."""
    data = _bytes(path)
    what = "images (N, rows, columns)" if magic == IMAGES else "labels (N,)"
    if len(data) < 4 or struct.unpack(">I", data[:4])[0] != magic:
        got = f"0x{data[:4].hex()}" if len(data) >= 4 else f"{len(data)} bytes"
        raise DataError(f"{path}: not an idx file of {what}: wrong magic number {got}, "
                        f"expected 0x{magic:08x}")
    dims = magic & 0xFF
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(f"{path}: truncated idx header ({len(data)} bytes, expected {header})")
    shape = struct.unpack(f">{dims}I", data[4:header])
    expected = header + int(np.prod(shape, dtype=np.int64))
    if len(data) != expected:
        raise DataError(f"{path}: {len(data)} bytes, expected {expected} for {what} of shape "
                        f"{shape} (truncated or damaged)")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load_split(name: str, root: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``(images (N, 1, 28, 28) float in [0, 1], labels (N,) int64)`` of one split."""
    prefix = "train" if train else "t10k"
    wanted = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
    # torchvision's layout (root/MNIST/raw), or the files straight in the folder given
    folder = next((f for f in (root / FOLDERS[name] / "raw", root / "raw", root)
                   if _find(f, wanted[0])), root / FOLDERS[name] / "raw")
    found = [_find(folder, f) for f in wanted]
    if None in found:
        missing = [f for f, p in zip(wanted, found) if p is None]
        legacy = root / FOLDERS[name] / "processed"
        note = (f"; {legacy} holds an older torchvision cache (.pt pickles), which is never "
                "read: put the raw idx files") if legacy.is_dir() else ""
        raise DataError(f"{name}: missing {', '.join(missing)} in {folder} (downloads are off; "
                        f"put the files there{note})")
    images, labels = read_idx(found[0], IMAGES), read_idx(found[1], LABELS)
    if len(images) != len(labels):
        raise DataError(f"{found[0]} holds {len(images)} images but {found[1]} holds "
                        f"{len(labels)} labels")
    return (torch.from_numpy(images.copy()).unsqueeze(1).float() / 255.0,
            torch.from_numpy(labels.astype(np.int64)))
