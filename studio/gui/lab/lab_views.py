"""How the Lab shows results: a strip of captioned pictures, a t-SNE scatter with hover, text.

Hovering a t-SNE point shows that sample's picture (when the samples are images), its index
and label in the panel under the plot, so clusters can be read as "which inputs land here".

Pictures arrive at the network's resolution (32×32 for the digits) and are enlarged by an
integer factor without smoothing, so every input pixel stays a visible square.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from studio.gui.guard import guarded
from studio.inspect.images import PALETTE


def to_pixmap(rgb: np.ndarray, side: int = 0) -> QPixmap:
    """An (H, W, 3) uint8 array as a pixmap, enlarged by an integer factor towards ``side``."""
    rgb = np.ascontiguousarray(rgb[..., :3] if rgb.ndim == 3 else np.stack([rgb] * 3, -1),
                               dtype=np.uint8)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()  # copy: own the bytes
    factor = max(1, side // max(h, w)) if side else 1
    pixmap = QPixmap.fromImage(image)
    if factor > 1:
        pixmap = pixmap.scaled(w * factor, h * factor, Qt.KeepAspectRatio,
                               Qt.FastTransformation)
    return pixmap


class PictureStrip(QWidget):
    """Captioned pictures side by side; ``pictures`` keeps the arrays that are shown."""

    def __init__(self, side: int = 192, parent=None):
        super().__init__(parent)
        self.side = side
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(4, 4, 4, 4)
        self.pictures: list = []
        self.tiles: list[tuple[QLabel, QLabel]] = []

    def show_pictures(self, pictures) -> None:
        self.clear()
        self.pictures = list(pictures)
        for p in self.pictures:
            column = QVBoxLayout()
            image, caption = QLabel(), QLabel(p.caption)
            image.setPixmap(to_pixmap(p.rgb, self.side))
            image.setAlignment(Qt.AlignHCenter | Qt.AlignBottom)
            caption.setAlignment(Qt.AlignHCenter | Qt.AlignTop)
            column.addWidget(image)
            column.addWidget(caption)
            column.addStretch()  # captions right under their pictures, the strip at the top
            self.row.addLayout(column)
            self.tiles.append((image, caption))
        self.row.addStretch()

    def clear(self) -> None:
        while self.row.count():
            entry = self.row.takeAt(0)
            layout = entry.layout()
            if layout is not None:
                while layout.count():
                    widget = layout.takeAt(0).widget()
                    if widget is not None:
                        widget.deleteLater()
        self.pictures, self.tiles = [], []


class ScatterView(QWidget):
    """t-SNE points, one scatter item per class (for the legend); hover shows the sample."""

    PREVIEW = 96  # px: a 32×32 sample enlarged ×3

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self.hover = QLabel("hover a point to see its sample")
        self.preview = QLabel()  # the hovered sample's picture
        self.preview.setFixedSize(self.PREVIEW, self.PREVIEW)
        self.preview.setAlignment(Qt.AlignCenter)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.plot, 1)
        column.addLayout(_hbox(self.preview, self.hover))
        self.items: list[pg.ScatterPlotItem] = []
        self.labels, self.names, self.samples = None, None, None
        self.shown: int | None = None  # index of the sample in the preview

    def show_points(self, points: np.ndarray, labels=None, names=None, samples=None) -> None:
        self.plot.clear()
        self.legend.clear()
        self.items = []
        self.labels, self.names, self.samples = labels, names, samples
        self.shown = None
        self.preview.clear()
        self.hover.setText("hover a point to see its sample")
        groups = np.zeros(len(points), int) if labels is None else np.asarray(labels)
        for k in sorted(set(groups.tolist())):
            index = np.flatnonzero(groups == k)
            colour = PALETTE[k % len(PALETTE)]
            item = pg.ScatterPlotItem(points[index, 0], points[index, 1], data=index, size=7,
                                      pen=None, brush=pg.mkBrush(*colour, 200), hoverable=True,
                                      hoverSize=11, name=self.label_of(k) if labels is not None
                                      else None)
            item.sigHovered.connect(self._hovered)
            self.plot.addItem(item)
            self.items.append(item)
        self.plot.autoRange()

    def label_of(self, k: int) -> str:
        names = self.names
        named = names and 0 <= k < len(names) and str(names[k]) != str(k)  # digits: no "4 4"
        return f"{k} {names[k]}" if named else str(k)

    def point_count(self) -> int:
        return sum(len(item.data) for item in self.items)

    def describe(self, index: int) -> str:
        text = f"sample {index}"
        if self.labels is not None:
            text += f" · label {self.label_of(int(self.labels[index]))}"
        return text

    def show_sample(self, index: int) -> None:
        """Name sample ``index`` and show its picture (when the samples are images)."""
        self.hover.setText(self.describe(index))
        self.shown = index
        if self.samples is not None:
            self.preview.setPixmap(to_pixmap(self.samples[index], self.PREVIEW))
        else:
            self.preview.clear()

    @guarded
    def _hovered(self, _item, points, _event) -> None:
        if len(points):
            self.show_sample(int(points[0].data()))

    def report_error(self, text: str) -> None:  # for @guarded
        self.hover.setText(f"hover: {text}")


def _hbox(*widgets) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        row.addWidget(w)
    row.addStretch()
    return row
