"""The Map tab of a self-organizing map run: the prototypes in grid order beside the U-matrix,
redrawn from each epoch's ``som`` samples event (pictures from :mod:`studio.inspect.som_map`)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from studio.gui.dashboard.image_panel import ImagePanel
from studio.inspect.som_map import MapError, prototype_picture, umatrix_picture


def is_som_run(run) -> bool:
    """A run whose recipe is a self-organizing map (by its config or its samples)."""
    return (run.config or {}).get("recipe") in ("som", "kohonen") or \
        (run.samples or {}).get("kind") == "som"


class SomView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.prototypes = ImagePanel()
        self.prototypes.caption.setText("the map's prototypes appear at the end of each epoch")
        self.umatrix = ImagePanel("viridis")
        self.umatrix.caption.setText("U-matrix: each unit's mean distance to its neighbours")
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.prototypes)
        split.addWidget(self.umatrix)
        split.setSizes([500, 400])
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(split)
        self.shown = None

    def report_error(self, text: str) -> None:
        self.prototypes.caption.setText(f"⚠ {text}")

    def refresh(self, run) -> None:
        samples = run.samples if run else None
        if samples is None or samples is self.shown or samples.get("kind") != "som":
            return
        self.shown = samples
        try:
            pictures = prototype_picture(samples), umatrix_picture(samples)
        except MapError as e:  # a damaged run folder: say so, keep the window
            self.report_error(f"cannot show the map: {e}")
            return
        for panel, (picture, caption) in zip((self.prototypes, self.umatrix), pictures):
            panel.set_image(picture, caption)
