"""Pictures of a self-organizing map (numpy only, no Qt) from the ``som`` recipe's samples event:
the prototypes laid out as the grid they live on, and the U-matrix.

Prototype tiles keep their values (no per-tile normalization): two neighbouring units must look
as alike as they are. The U-matrix is scaled to [0, 1] over the map, its range in the caption.
"""
from __future__ import annotations

import numpy as np

GAP, FILL = 1, 0.15
STRIP_HEIGHT = 6  # pixels a prototype that is not an image is drawn as: a strip of its values


class MapError(ValueError):
    """A samples event that does not describe a map (a damaged run folder); says what is off."""


def _grid_size(samples: dict) -> tuple[int, int]:
    rows, cols = samples.get("rows"), samples.get("cols")
    if not isinstance(rows, int) or not isinstance(cols, int) or rows < 1 or cols < 1:
        raise MapError(f"the map's grid size is {rows!r} × {cols!r}, expected whole numbers")
    return rows, cols


def prototype_tiles(samples: dict) -> np.ndarray:
    """(units, h, w) or (units, h, w, 3) float tiles in [0, 1], in the map's unit order."""
    rows, cols = _grid_size(samples)
    tiles = np.asarray(samples.get("prototypes") or [], np.float32) / 255.0
    if tiles.ndim not in (3, 4) or len(tiles) != rows * cols:
        raise MapError(f"the map holds {len(tiles)} prototype pictures of shape "
                       f"{tiles.shape[1:]}, expected {rows * cols} ({rows} × {cols})")
    if tiles.shape[1] == 1 and tiles.ndim == 3:  # values, not an image: a taller strip
        tiles = np.repeat(tiles, STRIP_HEIGHT, axis=1)
    return tiles


def prototype_picture(samples: dict) -> tuple[np.ndarray, str]:
    """(picture, caption): every prototype at its grid place, ``GAP`` pixels apart."""
    rows, cols = _grid_size(samples)
    tiles = prototype_tiles(samples)
    h, w = tiles.shape[1:3]
    out = np.full((rows * (h + GAP) - GAP, cols * (w + GAP) - GAP, *tiles.shape[3:]), FILL,
                  np.float32)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, cols)
        out[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = tile
    what = {"colour": "colours", "image": "images"}.get(samples.get("picture"), "value strips")
    caption = (f"prototypes of the {rows} × {cols} map as {what} · epoch {samples.get('epoch')}: "
               f"neighbouring units hold similar prototypes once the map has ordered")
    return out, caption


def umatrix_picture(samples: dict) -> tuple[np.ndarray, str]:
    """(picture in [0, 1], caption) of the U-matrix: bright = far from the neighbours (a border
    between clusters), dark = inside a cluster."""
    rows, cols = _grid_size(samples)
    u = np.asarray(samples.get("umatrix") or [], np.float32)
    if u.shape != (rows, cols) or not np.isfinite(u).all():
        raise MapError(f"the U-matrix has shape {u.shape}, expected ({rows}, {cols}) of "
                       f"finite numbers")
    lo, hi = float(u.min()), float(u.max())
    scaled = (u - lo) / (hi - lo) if hi > lo else np.zeros_like(u)
    caption = (f"U-matrix (mean distance of each unit to its neighbours: {lo:.3g} dark … "
               f"{hi:.3g} bright) · bright ridges separate clusters")
    return scaled, caption
