"""Write the two small images the style-transfer lab uses offline (resources/sample_*.png).

Both are made here from formulas, so the project owns them outright:

- ``sample_content.png``: a rendered scene, a shaded sphere standing on a checkered floor under a
  sky gradient (clear shapes and edges for the content loss to keep).
- ``sample_style.png``: swirling colour bands (a sine-warped polar pattern) with strong,
  repeating texture for the Gram matrices to pick up.

Run: ``python scripts/make_sample_images.py`` (deterministic; rewrites the files).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SIZE = 64
OUT = Path(__file__).resolve().parent.parent / "resources"


def content(size: int = SIZE) -> np.ndarray:
    yy, xx = (np.mgrid[0:size, 0:size].astype(np.float32) + 0.5) / size
    sky = np.stack([0.45 + 0.3 * yy, 0.65 + 0.2 * yy, np.full_like(yy, 0.95)], -1)
    horizon = 0.62
    # floor: a checkerboard in perspective (rows closer together towards the horizon)
    depth = np.clip((yy - horizon) / (1 - horizon), 1e-3, 1)
    u, v = (xx - 0.5) / depth, 1.0 / depth
    checker = ((np.floor(u * 2) + np.floor(v * 2)) % 2).astype(np.float32)
    floor = np.stack([0.25 + 0.5 * checker, 0.2 + 0.4 * checker, 0.15 + 0.25 * checker], -1)
    image = np.where((yy > horizon)[..., None], floor, sky)
    # sphere: Lambert shading from a light at the upper left, plus a small highlight
    cx, cy, r = 0.5, 0.5, 0.22
    dx, dy = (xx - cx) / r, (yy - cy) / r
    inside = dx ** 2 + dy ** 2 <= 1
    dz = np.sqrt(np.clip(1 - dx ** 2 - dy ** 2, 0, 1))
    light = np.array([-0.5, -0.6, 0.62])
    light /= np.linalg.norm(light)
    lambert = np.clip(dx * light[0] + dy * light[1] + dz * light[2], 0, 1)
    shade = 0.15 + 0.85 * lambert + 0.6 * lambert ** 30
    sphere = np.stack([0.9 * shade, 0.3 * shade, 0.2 * shade], -1)
    image = np.where(inside[..., None], sphere, image)
    # the sphere's shadow on the floor
    shadow = ((xx - 0.58) / 0.2) ** 2 + ((yy - 0.74) / 0.045) ** 2 <= 1
    image = np.where((shadow & ~inside & (yy > horizon))[..., None], image * 0.45, image)
    return image


def style(size: int = SIZE) -> np.ndarray:
    yy, xx = (np.mgrid[0:size, 0:size].astype(np.float32) + 0.5) / size - 0.5
    radius, angle = np.hypot(xx, yy), np.arctan2(yy, xx)
    phase = 18 * radius + 3 * angle + 2.5 * np.sin(6 * xx + 4 * np.sin(9 * yy))
    bands = 0.5 + 0.5 * np.sin(phase)
    palette = np.array([[0.08, 0.12, 0.45], [0.15, 0.55, 0.85], [0.98, 0.85, 0.25]])
    t = bands[..., None]
    return np.where(t < 0.5, palette[0] + (palette[1] - palette[0]) * (2 * t),
                    palette[1] + (palette[2] - palette[1]) * (2 * t - 1))


def save(array: np.ndarray, name: str) -> Path:
    path = OUT / name
    Image.fromarray((np.clip(array, 0, 1) * 255).round().astype(np.uint8)).save(
        path, format="PNG", optimize=True)
    return path


def main() -> None:
    for name, fn in (("sample_content.png", content), ("sample_style.png", style)):
        path = save(fn(), name)
        print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
