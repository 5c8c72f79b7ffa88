"""How the Data tab draws samples: pictures, masks over them, sequences as small plots, token
sequences as text and table rows as a table; plus the class histogram.

Every sample becomes a fixed-size tile with its label under it, so a grid of digits and a grid
of sequences read alike. Pictures are enlarged by an integer factor without smoothing (each
input pixel stays a visible square); a segmentation mask is blended over its image.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

TILE = 96  # side of one sample's picture, in pixels


def _palette() -> list:
    # imported when drawing, not with the window: studio.inspect.images imports torch, and
    # the tab is built at start-up while samples exist only after torch loaded the data
    from studio.inspect.images import PALETTE
    return PALETTE


def _rgb(sample) -> np.ndarray:
    x = sample.value
    rgb = np.stack([x] * 3, -1) if x.ndim == 2 else x
    rgb = (rgb * 255).round().clip(0, 255).astype(np.uint8)
    if sample.mask is not None and sample.mask.shape == rgb.shape[:2]:
        colours = np.array([(0, 0, 0), *_palette()], np.uint8)
        overlay = colours[np.asarray(sample.mask) % len(colours)]
        shown = sample.mask > 0
        rgb = rgb.copy()
        rgb[shown] = (0.45 * rgb[shown] + 0.55 * overlay[shown]).astype(np.uint8)
    return rgb


def _plot(values: np.ndarray, side: int) -> QPixmap:
    """A T×F sequence as F small lines over time, on a light background."""
    pixmap = QPixmap(side, side)
    pixmap.fill(QColor(250, 250, 250))
    values = np.asarray(values, np.float64)
    if values.ndim == 1:
        values = values[:, None]
    low, high = float(values.min()), float(values.max())
    span = max(high - low, 1e-8)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    steps = max(len(values) - 1, 1)
    palette = _palette()
    for f in range(min(values.shape[1], len(palette))):
        painter.setPen(QPen(QColor(*palette[f]), 1.5))
        points = [QPointF(4 + (side - 8) * t / steps,
                          side - 4 - (side - 8) * (v - low) / span)
                  for t, v in enumerate(values[:, f])]
        painter.drawPolyline(QPolygonF(points))
    painter.end()
    return pixmap


def sample_pixmap(sample, side: int = TILE) -> QPixmap | None:
    """The picture of an image or sequence sample; None for kinds shown as text."""
    if sample.kind == "image":
        from studio.gui.lab.lab_views import to_pixmap
        return to_pixmap(_rgb(sample), side)
    if sample.kind == "sequence":
        return _plot(sample.value, side)
    return None


def tile(sample, side: int = TILE) -> QWidget:
    """One sample: its picture (or text) and its label under it; the other inputs of a
    multi-input sample (a question beside its picture) in a row with the first."""
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(2, 2, 2, 2)
    column.setSpacing(1)
    if sample.parts:
        row = QHBoxLayout()
        row.setSpacing(6)
        for part in (sample, *sample.parts):
            row.addWidget(_content(part, side))
        column.addLayout(row)
    else:
        column.addWidget(_content(sample, side))
    caption = QLabel(sample.label)
    caption.setAlignment(Qt.AlignCenter)
    caption.setObjectName("sampleLabel")
    column.addWidget(caption)
    return holder


def _content(sample, side: int) -> QLabel:
    """A sample's picture, or its text (tokens, values) when it has none."""
    picture = QLabel()
    picture.setAlignment(Qt.AlignCenter)
    pixmap = sample_pixmap(sample, side)
    if pixmap is not None:
        picture.setPixmap(pixmap)
    else:
        text = sample.text or " ".join(f"{v:.3g}" for v in np.ravel(sample.value)[:16])
        picture.setText(text)
        picture.setWordWrap(True)
        picture.setFixedWidth(side * 2)
    return picture


class SampleGrid(QWidget):
    """Samples in rows of ``columns`` tiles; table rows become one table instead."""

    def __init__(self, columns: int = 8, side: int = TILE, parent=None):
        super().__init__(parent)
        self.columns, self.side = columns, side
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.tiles: list[QWidget] = []

    def clear(self) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.tiles = []

    def show_samples(self, samples: list, headers: list | None = None) -> None:
        self.clear()
        if samples and all(s.kind == "table" for s in samples):
            self.tiles = [self._table(samples, headers)]
            self.grid.addWidget(self.tiles[0], 0, 0)
            return
        # a tile with a question beside its picture is about three pictures wide
        columns = max(1, self.columns // 3) if samples and samples[0].parts else self.columns
        for i, sample in enumerate(samples):
            widget = tile(sample, self.side)
            self.tiles.append(widget)
            self.grid.addWidget(widget, i // columns, i % columns)

    def _table(self, samples: list, headers: list | None) -> QTableWidget:
        width = len(np.ravel(samples[0].value))
        table = QTableWidget(len(samples), width + 1)
        names = list(headers or [])[:width] + [str(i) for i in range(len(headers or []), width)]
        table.setHorizontalHeaderLabels([*names, "label"])
        for r, sample in enumerate(samples):
            for c, v in enumerate(np.ravel(sample.value)):
                table.setItem(r, c, QTableWidgetItem(f"{v:.4g}"))
            table.setItem(r, width, QTableWidgetItem(sample.label))
        table.setMinimumHeight(min(12, len(samples)) * 26 + 30)
        return table


class ClassHistogram(pg.PlotWidget):
    """Training samples per class, as bars with the class names under them."""

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.setMinimumHeight(140)
        self.bars: pg.BarGraphItem | None = None
        self.counts: list = []

    def show_counts(self, counts: list | None, names: list | None) -> None:
        self.clear()
        self.counts = list(counts or [])
        if not self.counts:
            return
        x = np.arange(len(self.counts))
        self.bars = pg.BarGraphItem(x=x, height=self.counts, width=0.7,
                                    brush=pg.mkBrush(*_palette()[0]))
        self.addItem(self.bars)
        names = [str(n) for n in (names or x)]
        step = max(1, len(names) // 12)  # at most a dozen names under the bars
        self.getAxis("bottom").setTicks([[(i, names[i][:10]) for i in range(0, len(names), step)]])
        self.setXRange(-0.6, len(self.counts) - 0.4, padding=0)
        self.setYRange(0, max(self.counts) * 1.1, padding=0)
