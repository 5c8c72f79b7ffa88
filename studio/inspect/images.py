"""Pictures as uint8 numpy arrays: colormaps, overlays, feature-map grids, labelled panels, PNG io.

Arrays are (H, W, 3) RGB uint8 unless said otherwise. Network images are tensors (C, H, W) or
(1, C, H, W) in their value range (usually [0, 1]); :func:`to_rgb` maps them for display.
Pillow does the file formats and the text; nothing here needs matplotlib.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from studio.inspect.errors import InspectError

# Anchor colours of matplotlib's perceptually uniform maps, linearly interpolated: close enough
# for heat maps and free of a plotting dependency.
_ANCHORS = {
    "viridis": [(68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
                (31, 158, 137), (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37)],
    "inferno": [(0, 0, 4), (31, 12, 72), (85, 15, 109), (136, 34, 106), (186, 54, 85),
                (227, 89, 51), (249, 140, 10), (249, 201, 50), (252, 255, 164)],
    "gray": [(0, 0, 0), (255, 255, 255)],
}
# Distinct colours for class labels in scatter plots (Tableau 10).
PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]


def colormap(values: np.ndarray, name: str = "inferno") -> np.ndarray:
    """Values in [0, 1] (any shape) -> RGB uint8 with one more axis of size 3."""
    if name not in _ANCHORS:
        raise InspectError(f"unknown colormap {name!r} (known: {', '.join(_ANCHORS)})")
    anchors = np.asarray(_ANCHORS[name], np.float32)
    pos = np.clip(np.nan_to_num(values), 0, 1) * (len(anchors) - 1)
    low = np.floor(pos).astype(int).clip(0, len(anchors) - 2)
    frac = (pos - low)[..., None]
    return (anchors[low] * (1 - frac) + anchors[low + 1] * frac).round().astype(np.uint8)


def normalize(values: np.ndarray) -> np.ndarray:
    """Min-max to [0, 1]; a constant array becomes zeros."""
    values = np.asarray(values, np.float32)
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.zeros_like(values)


def to_rgb(image, bounds: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """A network image (C, H, W) or (1, C, H, W), C = 1 or 3, -> RGB uint8 (H, W, 3)."""
    x = image.detach().cpu().float() if torch.is_tensor(image) else torch.as_tensor(image)
    if x.dim() == 4:
        x = x[0]
    if x.dim() == 2:
        x = x[None]
    low, high = bounds
    x = ((x - low) / (high - low)).clamp(0, 1)
    if x.shape[0] != 3:
        x = (x[:1] if x.shape[0] == 1 else x.mean(0, keepdim=True)).expand(3, -1, -1)
    return (x.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


def signed_rgb(delta) -> np.ndarray:
    """A perturbation, amplified so its largest value is full scale: grey 0, bright +, dark -."""
    d = delta.detach().cpu().float() if torch.is_tensor(delta) else torch.as_tensor(delta)
    peak = float(d.abs().max()) or 1.0
    return to_rgb(0.5 + d / (2 * peak))


def resize_map(heat: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A 2-D map resized bilinearly to ``size`` = (H, W)."""
    t = torch.as_tensor(np.asarray(heat, np.float32))[None, None]
    return F.interpolate(t, size=size, mode="bilinear", align_corners=False)[0, 0].numpy()


def overlay(rgb: np.ndarray, heat: np.ndarray, alpha: float = 0.5,
            cmap: str = "inferno") -> np.ndarray:
    """``heat`` (any size, values in [0, 1]) coloured and blended over ``rgb`` with ``alpha``."""
    if not 0 <= alpha <= 1:
        raise InspectError(f"alpha must be between 0 and 1, got {alpha}")
    heat = resize_map(heat, rgb.shape[:2]) if heat.shape != rgb.shape[:2] else heat
    blend = rgb.astype(np.float32) * (1 - alpha) + colormap(heat, cmap).astype(np.float32) * alpha
    return blend.round().clip(0, 255).astype(np.uint8)


def enlarge(rgb: np.ndarray, min_side: int = 160) -> np.ndarray:
    """Nearest-neighbour upscaling by an integer factor so a 32×32 input is visible."""
    factor = max(1, -(-min_side // max(1, min(rgb.shape[:2]))))
    return rgb.repeat(factor, axis=0).repeat(factor, axis=1) if factor > 1 else rgb


def tile_grid(maps: np.ndarray, columns: int | None = None, gap: int = 1) -> np.ndarray:
    """(K, H, W) maps, each normalized on its own, laid out in a near-square grid (float)."""
    k, h, w = maps.shape
    columns = columns or int(np.ceil(np.sqrt(k)))
    rows = -(-k // columns)
    grid = np.zeros((rows * (h + gap) - gap, columns * (w + gap) - gap), np.float32)
    for i in range(k):
        r, c = divmod(i, columns)
        top, left = r * (h + gap), c * (w + gap)
        grid[top:top + h, left:left + w] = normalize(maps[i])
    return grid


def panel(items: list[tuple[np.ndarray, str]], min_side: int = 160, pad: int = 6) -> np.ndarray:
    """Images side by side, each enlarged to ``min_side`` and captioned below (one or two lines)."""
    from PIL import Image, ImageDraw
    tiles = [enlarge(img, min_side) for img, _ in items]
    height = max(t.shape[0] for t in tiles)
    lines = max(caption.count("\n") + 1 for _, caption in items)
    text_h = 14 * lines + pad
    width = sum(t.shape[1] for t in tiles) + pad * (len(tiles) + 1)
    canvas = Image.new("RGB", (width, height + text_h + 2 * pad), (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    x = pad
    for tile, (_, caption) in zip(tiles, items):
        canvas.paste(Image.fromarray(tile), (x, pad))
        draw.multiline_text((x, height + 2 * pad), caption, fill=(20, 20, 20), spacing=2)
        x += tile.shape[1] + pad
    return np.asarray(canvas)


def save_png(rgb: np.ndarray, path: str | Path) -> Path:
    """Write ``rgb`` (H, W, 3) or (H, W) uint8 as PNG, creating the folder."""
    from PIL import Image
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.ascontiguousarray(rgb)).save(path, format="PNG")
    return path


def load_image(path: str | Path, channels: int, size: tuple[int, int] | None = None,
               resize: bool = False) -> torch.Tensor:
    """An image file as a (1, C, H, W) float tensor in [0, 1].

    ``size`` = (H, W) the network expects: a different size is an error naming both unless
    ``resize`` is set, because silently squashing a photo changes what the network sees.
    """
    from PIL import Image, UnidentifiedImageError
    path = Path(path)
    try:
        with Image.open(path) as img:
            img = img.convert("L" if channels == 1 else "RGB")
            if size and (img.height, img.width) != tuple(size):
                if not resize:
                    raise InspectError(f"{path}: image is {img.width}×{img.height}, the network "
                                       f"input expects {size[1]}×{size[0]} (pass --resize to "
                                       f"scale it)")
                img = img.resize((size[1], size[0]), Image.BILINEAR)
            array = np.asarray(img, np.float32) / 255.0
    except (OSError, UnidentifiedImageError) as e:
        raise InspectError(f"{path}: cannot read image ({e})") from None
    x = torch.from_numpy(array)
    x = x[None] if x.dim() == 2 else x.permute(2, 0, 1)
    if channels not in (1, 3):
        x = x[:1].expand(channels, -1, -1).clone()
    return x[None].contiguous()
