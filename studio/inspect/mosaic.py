"""Image mosaics for the dashboard (numpy only, no Qt): convolution kernels, first-layer Linear
weights seen as images, and feature maps, each tile normalized on its own to [0, 1].

Snapshots from the engine carry ``{"shape", "values", "truncated"}`` with at most
``max_values`` numbers, so the helpers use the complete leading tiles that arrived.
"""
from __future__ import annotations

import numpy as np

MAX_TILES = 64  # output channels / units shown
MAX_INPUTS = 16  # input channels per kernel row


def unpack(entry: dict) -> tuple[np.ndarray, tuple]:
    """(flat values, full shape) of a snapshot tensor."""
    return np.asarray(entry.get("values") or [], np.float32), tuple(entry.get("shape") or ())


def leading(values: np.ndarray, shape: tuple) -> np.ndarray:
    """The complete leading slices along axis 0 that ``values`` holds, reshaped."""
    per = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    count = min(shape[0] if shape else 0, len(values) // max(per, 1))
    return values[:count * per].reshape((count, *shape[1:]))


def _norm(tile: np.ndarray) -> np.ndarray:
    lo, hi = float(np.nanmin(tile)), float(np.nanmax(tile))
    return (tile - lo) / (hi - lo) if hi > lo else np.full_like(tile, 0.5)


def grid(tiles: np.ndarray, columns: int | None = None, gap: int = 1, fill: float = 0.15):
    """(K, h, w) or (K, h, w, 3) tiles, each normalized, in rows of ``columns`` (near-square)."""
    k, h, w = tiles.shape[:3]
    if k == 0:
        return np.zeros((1, 1), np.float32)
    columns = columns or int(np.ceil(np.sqrt(k)))
    rows = -(-k // columns)
    out = np.full((rows * (h + gap) - gap, columns * (w + gap) - gap, *tiles.shape[3:]), fill,
                  np.float32)
    for i in range(k):
        r, c = divmod(i, columns)
        out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = _norm(tiles[i])
    return out


def kernel_mosaic(entry: dict, image_shape: tuple | None = None) -> tuple[np.ndarray, str]:
    """The weights of a conv or Linear node as a picture, and a caption saying what it shows."""
    values, shape = unpack(entry)
    w = leading(values, shape)
    if w.ndim == 4 and w.shape[1] == 3:  # RGB first layer: one colour tile per filter
        tiles = w[:MAX_TILES].transpose(0, 2, 3, 1)
        return grid(tiles, gap=1), f"{len(tiles)} of {shape[0]} filters, RGB, {shape[2]}×{shape[3]}"
    if w.ndim == 3:  # Conv1d: each filter as an (in × k) image
        return grid(w[:MAX_TILES]), f"{min(len(w), MAX_TILES)} of {shape[0]} 1-D filters"
    if w.ndim == 4 and w.shape[1] == 1:  # single-channel input: a near-square grid
        tiles = w[:MAX_TILES, 0]
        return grid(tiles), f"{len(tiles)} of {shape[0]} filters, {shape[2]}×{shape[3]}"
    if w.ndim == 4:  # one row per output channel, one column per input channel
        o, i = min(len(w), MAX_TILES), min(w.shape[1], MAX_INPUTS)
        tiles = w[:o, :i].reshape(o * i, *w.shape[2:])
        return grid(tiles, columns=i), f"{o} of {shape[0]} filters × {i} of {shape[1]} inputs"
    if w.ndim == 2:
        units = w[:MAX_TILES]
        shape_img = _image_for(w.shape[1], image_shape)
        if shape_img is not None:
            c, hh, ww = shape_img
            tiles = units.reshape(len(units), c, hh, ww)
            tiles = tiles.transpose(0, 2, 3, 1) if c == 3 else tiles[:, 0]
            return grid(tiles), f"{len(units)} of {shape[0]} units as {hh}×{ww} weight images"
        return _norm(units), f"weight matrix, {len(units)} of {shape[0]} rows × {shape[1]}"
    return _norm(np.atleast_2d(values)), f"tensor {shape}"


def _image_for(features: int, image_shape) -> tuple | None:
    """(C, H, W) of a flattened image with ``features`` values, if it is one."""
    if image_shape and len(image_shape) == 3 and int(np.prod(image_shape)) == features \
            and image_shape[0] in (1, 3):
        return tuple(image_shape)
    side = int(round(features ** 0.5))
    return (1, side, side) if side * side == features and side > 2 else None


def feature_mosaic(activation: np.ndarray) -> tuple[np.ndarray, str]:
    """One sample's output of a node (C×H×W maps, C×L sequences or a vector) as a picture."""
    a = np.asarray(activation, np.float32)
    if a.ndim == 3:
        maps = a[:MAX_TILES * 2]
        return grid(maps), f"{len(maps)} of {a.shape[0]} feature maps, {a.shape[1]}×{a.shape[2]}"
    if a.ndim == 2:
        return _norm(a), f"{a.shape[0]} × {a.shape[1]} (channels × positions)"
    flat = a.reshape(-1)
    width = int(np.ceil(np.sqrt(len(flat)))) if len(flat) else 1
    padded = np.full(width * (-(-len(flat) // width) or 1), np.nan, np.float32)
    padded[:len(flat)] = flat
    img = _norm(padded.reshape(-1, width))
    return np.nan_to_num(img, nan=0.15), f"{len(flat)} values"


def snapshot_activation(entry: dict) -> np.ndarray | None:
    """Sample 0 of a snapshot activation (N, ...), or its complete channels when truncated."""
    values, shape = unpack(entry)
    if len(shape) < 2:
        return values.reshape(shape) if len(values) == int(np.prod(shape or (0,))) else None
    first = leading(values, shape)
    if len(first):
        return first[0]
    inner = shape[1:]  # fewer values than one sample: keep its complete channels
    channels = leading(values, inner)
    return channels if len(channels) else None
