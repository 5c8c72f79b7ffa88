"""Task views fed by the engine's uint8 sample arrays (:mod:`studio.train.task_samples`):
segmentation masks (image | true mask | predicted mask, one colour per class) and a VAE's latent
traversal (one row per latent dimension, mu of the probe sample in the middle column).

The picture builders are plain numpy so they are testable without a window; tiles keep their
values (no per-tile normalization): a traversal must show how the decoding changes.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QVBoxLayout, QWidget

from studio.gui.dashboard.image_panel import ImagePanel

GAP, FILL = 2, 0.15
# background near black, then matplotlib's tab10: distinct on a dark theme and in print
PALETTE = np.array([(0.07, 0.07, 0.09), (0.12, 0.47, 0.71), (1.0, 0.5, 0.05),
                    (0.17, 0.63, 0.17), (0.84, 0.15, 0.16), (0.58, 0.4, 0.74),
                    (0.55, 0.34, 0.29), (0.89, 0.47, 0.76), (0.5, 0.5, 0.5),
                    (0.74, 0.74, 0.13), (0.09, 0.75, 0.81)], np.float32)


def class_colours(mask: np.ndarray) -> np.ndarray:
    """(H, W) class ids as (H, W, 3) colours (the palette repeats past its length)."""
    return PALETTE[np.asarray(mask, np.int64) % len(PALETTE)]


def as_rgb(image) -> np.ndarray:
    """A uint8 (H, W) or (H, W, 3) array as float RGB in [0, 1]."""
    a = np.asarray(image, np.float32) / 255.0
    return np.repeat(a[..., None], 3, axis=2) if a.ndim == 2 else a


def tile_rows(rows: list[list[np.ndarray]]) -> np.ndarray:
    """Rows of equally sized (h, w, 3) tiles on a grey ground, ``GAP`` pixels apart."""
    h, w = rows[0][0].shape[:2]
    columns = max(len(r) for r in rows)
    out = np.full((len(rows) * (h + GAP) - GAP, columns * (w + GAP) - GAP, 3), FILL, np.float32)
    for i, row in enumerate(rows):
        for j, tile in enumerate(row):
            out[i * (h + GAP):i * (h + GAP) + h, j * (w + GAP):j * (w + GAP) + w] = tile
    return out


def mask_picture(samples: dict) -> tuple[np.ndarray, str]:
    """(picture, caption) of a ``masks`` samples event."""
    images, true, pred = (samples.get(k) or [] for k in ("images", "true", "predicted"))
    count = min(len(images), len(true), len(pred))
    if not count:
        raise ValueError("the masks event holds no samples")
    rows = [[as_rgb(images[i]), class_colours(true[i]), class_colours(pred[i])]
            for i in range(count)]
    right = [float(np.mean(np.asarray(true[i]) == np.asarray(pred[i]))) for i in range(count)]
    names = samples.get("names") or [str(k) for k in range(int(samples.get("classes") or 0))]
    legend = "  ".join(
        f"<span style='color:{_hex(PALETTE[k % len(PALETTE)])}'>■</span> {name}"
        for k, name in enumerate(names))
    caption = (f"image | true mask | predicted mask · epoch {samples.get('epoch')} · pixels "
               f"right: {', '.join(f'{r:.0%}' for r in right)}<br>{legend}")
    return tile_rows(rows), caption


def traversal_picture(walk: dict) -> tuple[np.ndarray, str]:
    """(picture, caption) of a VAE samples event's ``traversal``: one row per latent dimension."""
    images, steps, dims = walk.get("images") or [], int(walk.get("steps") or 0), walk.get("dims")
    if not images or not steps or not dims or len(images) != steps * len(dims):
        raise ValueError(f"the latent traversal holds {len(images)} images, expected "
                         f"{steps} steps × {len(dims or [])} dimensions")
    rows = [[as_rgb(images[r * steps + s]) for s in range(steps)] for r in range(len(dims))]
    offsets = walk.get("offsets") or []
    span = f"mu {offsets[0]:+g} … {offsets[-1]:+g}" if offsets else "around mu"
    caption = (f"latent traversal from probe sample 0: rows = dimensions "
               f"{', '.join(f'z{d}' for d in dims)} (most used first), columns = {span} "
               f"(prior standard deviations), middle = its reconstruction")
    return tile_rows(rows), caption


def _hex(rgb) -> str:
    return "#" + "".join(f"{int(round(float(c) * 255)):02x}" for c in rgb)


class MasksView(QWidget):
    """The latest ``masks`` samples of a segmentation run."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.panel = ImagePanel()
        self.panel.caption.setText("predicted masks appear at the end of each epoch")
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.panel)
        self.shown = None

    def report_error(self, text: str) -> None:
        self.panel.caption.setText(f"⚠ {text}")

    def refresh(self, run) -> None:
        samples = run.samples if run else None
        if samples is None or samples is self.shown or samples.get("kind") != "masks":
            return
        self.shown = samples
        try:
            picture, caption = mask_picture(samples)
        except (ValueError, TypeError, IndexError) as e:  # a damaged run folder: say so
            self.report_error(f"cannot show the masks: {e}")
            return
        self.panel.set_image(picture, caption)
