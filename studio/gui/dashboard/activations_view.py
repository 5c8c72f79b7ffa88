"""Activations: the feature maps of a node as a grid, for a probe input.

Live: during training the engine's snapshots carry the outputs of the watched nodes for its
probe batch (the first validation samples); sample 0 is shown and follows each snapshot.
On demand (during or after training): any node, for validation sample *k* or an image file,
computed here from the run's last checkpoint (:mod:`studio.inspect.run_probe`).
"""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel,
                               QPushButton, QSpinBox, QWidget)

from studio.inspect import run_probe
from studio.gui.guard import guarded
from studio.gui.dashboard.image_panel import ImagePanel, bar_over_panel, set_choices
from studio.inspect.mosaic import feature_mosaic, snapshot_activation


class ActivationsView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.node_box = QComboBox()
        self.node_box.setMinimumContentsLength(14)
        self.node_box.currentTextChanged.connect(self._node_changed)
        self.live = QCheckBox("live")
        self.live.setChecked(True)
        self.live.setToolTip("follow the snapshots sent during training (validation sample 0)")
        self.sample = QSpinBox(minimum=0, maximum=99999)
        self.sample.setPrefix("validation sample ")
        self.show_button = QPushButton("Show")
        self.show_button.clicked.connect(lambda: self.show_on_demand())
        self.file_button = QPushButton("Image file…")
        self.file_button.clicked.connect(lambda: self.choose_image())
        self.panel = ImagePanel("inferno")
        bar = QHBoxLayout()
        for w in (QLabel("node"), self.node_box, self.live, self.sample, self.show_button,
                  self.file_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar_over_panel(self, bar, self.panel)
        self.run = None
        self.shown_snapshot = None
        self.image_path: str | None = None

    def report_error(self, text: str) -> None:
        self.panel.caption.setText(f"⚠ {text}")

    def set_nodes(self, node_ids: list[str]) -> None:
        """The nodes offered (the network's nodes, in order); the selection is kept."""
        set_choices(self.node_box, list(node_ids))

    def select_node(self, node_id: str) -> None:
        if self.node_box.findText(node_id) >= 0:
            self.node_box.setCurrentText(node_id)

    def follow_node(self, node_id: str) -> None:
        """Show ``node_id`` (selected on the canvas): added to the picker if the run does not
        watch it; drawn from the live snapshot when it is there, else from the last checkpoint."""
        if self.node_box.findText(node_id) < 0:
            self.node_box.addItem(node_id)
        self.node_box.setCurrentText(node_id)  # redraws from the live snapshot if it can
        snap = self.run.snapshot if self.run else None
        live = self.live.isChecked() and node_id in ((snap or {}).get("activations") or {})
        if not live and self.run is not None and self.run.checkpoints():
            self.show_on_demand()

    @guarded
    def _node_changed(self, _text) -> None:
        self.shown_snapshot = None
        if self.run is not None:
            self.refresh(self.run)

    def set_run(self, run) -> None:
        """The run that on-demand pictures come from (the dashboard's current run)."""
        if run is not self.run:
            self.run, self.shown_snapshot = run, None

    @guarded
    def refresh(self, run) -> None:
        """Follow ``run``'s newest snapshot when live (cheap when nothing new arrived)."""
        self.set_run(run)
        snap = run.snapshot if run else None
        if not self.live.isChecked() or snap is None or snap is self.shown_snapshot:
            return
        self.shown_snapshot = snap
        node = self.node_box.currentText()
        entry = (snap.get("activations") or {}).get(node)
        if entry is None:
            self.panel.caption.setText(f"{node} is not watched during training: press Show "
                                       f"(uses the last checkpoint)")
            return
        act = snapshot_activation(entry)
        if act is not None:
            image, caption = feature_mosaic(act)
            self.panel.set_image(image, f"{node} · validation sample 0 · step "
                                        f"{snap.get('step')} · {caption}")

    @guarded
    def choose_image(self, path: str | None = None) -> None:
        path = path or QFileDialog.getOpenFileName(self, "Probe image", "",
                                                   "Images (*.png *.jpg *.jpeg *.bmp)")[0]
        if path:
            self.image_path = path
            self.show_on_demand()

    @guarded
    def show_on_demand(self) -> None:
        """The selected node's maps for the chosen input, from the run's last checkpoint."""
        if self.run is None or self.run.folder is None:
            raise run_probe.ProbeError("no run yet: train, or open a run folder")
        node = self.node_box.currentText()
        doc, compiled = run_probe.network(self.run.folder)
        x, label = run_probe.probe_input(doc, compiled, self.image_path, self.sample.value())
        image, caption = feature_mosaic(run_probe.node_output(compiled, node, x))
        source = self.image_path or f"validation sample {self.sample.value()}" + (
            f" (label {label})" if label is not None else "")
        self.live.setChecked(False)  # keep this picture until live is chosen again
        self.panel.set_image(image, f"{node} · {source} · last checkpoint · {caption}")
        self.image_path = None
