"""Filters: the kernels of any convolution (RGB first layers in colour, as in the AlexNet figure)
and the units of a first Linear layer on images as weight images, live from the run's weight
snapshots (the engine sends them every few steps and at each epoch end)."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from studio.gui.dashboard.image_panel import ImagePanel, bar_over_panel, set_choices
from studio.inspect.mosaic import kernel_mosaic


class FiltersView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.node_box = QComboBox()
        self.node_box.setMinimumContentsLength(14)
        self.node_box.currentTextChanged.connect(lambda _: self._redraw())
        self.step_label = QLabel(" ")
        self.panel = ImagePanel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("node"))
        bar.addWidget(self.node_box)
        bar.addWidget(self.step_label, 1)
        bar_over_panel(self, bar, self.panel)
        self.run = None
        self.shown_snapshot = None

    def refresh(self, run) -> None:
        """Show ``run``'s latest weight snapshot (cheap when nothing new arrived)."""
        snap = run.snapshot if run else None
        if run is not self.run:
            self.run, self.shown_snapshot = run, None
        if snap is None or snap is self.shown_snapshot:
            if snap is None:
                self.panel.clear("no weight snapshot yet: the first arrives after a few steps")
            return
        set_choices(self.node_box, list(snap.get("weights") or {}))
        self.shown_snapshot = snap
        self._redraw()

    def _redraw(self) -> None:
        snap, node = self.shown_snapshot, self.node_box.currentText()
        entry = (snap or {}).get("weights", {}).get(node)
        if entry is None:
            return
        image, caption = kernel_mosaic(entry, getattr(self.run, "input_shape", None))
        self.panel.set_image(image, f"{node}: {caption}")
        self.step_label.setText(f"step {snap.get('step')}")
