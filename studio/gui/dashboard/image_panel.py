"""A picture with a caption: a pyqtgraph ImageItem (row-major, as numpy arrays are) in a ViewBox
that keeps pixels square, pans and zooms. Used by the filter, activation and sample views."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget


def set_choices(box: QComboBox, names: list[str]) -> None:
    """Offer ``names`` in ``box``, keeping the current choice when it is still offered, without
    emitting a change (the node boxes above the filter and activation images)."""
    if names == [box.itemText(i) for i in range(box.count())]:
        return
    current = box.currentText()
    box.blockSignals(True)
    box.clear()
    box.addItems(names)
    if current in names:
        box.setCurrentText(current)
    box.blockSignals(False)


class ImagePanel(QWidget):
    def __init__(self, colormap: str | None = None, parent=None):
        super().__init__(parent)
        self.canvas = pg.GraphicsLayoutWidget()
        self.box = self.canvas.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.box.addItem(self.image)
        self.lut = pg.colormap.get(colormap).getLookupTable(nPts=256) if colormap else None
        self.caption = QLabel(" ")
        self.caption.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.caption)
        self.shown: np.ndarray | None = None

    def set_image(self, array: np.ndarray, caption: str = "") -> None:
        """A (H, W) array in [0, 1] (coloured with the colormap) or an (H, W, 3) RGB one."""
        array = np.nan_to_num(np.asarray(array, np.float32), nan=0.0)
        first = self.shown is None or self.shown.shape != array.shape
        lut = None if array.ndim == 3 else self.lut
        self.image.setImage(array, levels=(0.0, 1.0), lut=lut, autoLevels=False)
        self.shown = array
        self.caption.setText(caption or " ")
        if first:
            self.box.autoRange(padding=0.02)

    def clear(self, caption: str = "") -> None:
        self.image.clear()
        self.shown = None
        self.caption.setText(caption or " ")


def bar_over_panel(owner: QWidget, bar: QHBoxLayout, panel: QWidget) -> None:
    """The dashboard views' layout: a row of controls over a panel that takes the height."""
    column = QVBoxLayout(owner)
    column.setContentsMargins(2, 2, 2, 2)
    column.addLayout(bar)
    column.addWidget(panel, 1)
