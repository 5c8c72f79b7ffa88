"""Task panels: what the run's task shows best.

Classification: the validation confusion matrix (rows = true class, row-normalised colours), the
most confused class pairs, the probe predictions, and on demand the validation samples predicted
wrong with the highest confidence. Reconstruction, VAE and GAN runs: the image grid the engine
saves each epoch (reconstructions, samples from fixed noise). word2vec: nearest words.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QScrollArea, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.inspect import run_probe
from studio.gui.guard import guarded
from studio.gui.dashboard.image_panel import ImagePanel
from studio.inspect.mosaic import grid
from studio.gui.dashboard.task_views import traversal_picture


def confused_pairs(confusion, names=None, count: int = 6) -> list[tuple[str, str, int]]:
    """(true, predicted, count) of the largest off-diagonal cells."""
    m = np.asarray(confusion, np.int64)
    off = m.copy()
    np.fill_diagonal(off, 0)
    order = np.argsort(off, axis=None)[::-1][:count]
    label = lambda i: str(names[i]) if names and i < len(names) else str(i)
    return [(label(i), label(j), int(off[i, j])) for i, j in
            (divmod(int(k), m.shape[1]) for k in order) if off[i, j] > 0]


class ConfusionView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.pairs = QLabel("no validation confusion matrix yet (after the first epoch)")
        self.pairs.setWordWrap(True)
        self.pairs.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.find_button = QPushButton("Most confused samples")
        self.find_button.setToolTip("validation samples predicted wrong with the highest "
                                    "confidence (last checkpoint)")
        self.find_button.clicked.connect(lambda: self.show_confused_samples())
        self.samples = ImagePanel()
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.pairs)
        column.addWidget(self.find_button)
        column.addWidget(self.samples, 1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(side)
        split.setSizes([420, 380])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)
        self.run = None
        self.shown = None

    def report_error(self, text: str) -> None:
        self.samples.caption.setText(f"⚠ {text}")

    def refresh(self, run) -> None:
        self.run = run
        if run is None or run.confusion is None or run.confusion is self.shown:
            return
        self.shown = run.confusion
        m = np.asarray(run.confusion, np.int64)
        names = [str(n) for n in (run.info.get("classes") or range(len(m)))]
        self.table.setRowCount(len(m))
        self.table.setColumnCount(len(m))
        self.table.setHorizontalHeaderLabels([f"→{n}" for n in names])
        self.table.setVerticalHeaderLabels(names)
        rows = m.sum(1, keepdims=True).clip(min=1)
        for i in range(len(m)):
            for j in range(len(m)):
                item = QTableWidgetItem(str(m[i, j]))
                share = m[i, j] / rows[i, 0]
                colour = QColor(40, 120, 220) if i == j else QColor(220, 80, 60)
                colour.setAlphaF(float(min(1.0, 0.1 + share)) if m[i, j] else 0.0)
                item.setBackground(QBrush(colour))
                item.setTextAlignment(Qt.AlignCenter)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        pairs = confused_pairs(m, names)
        text = "<b>Most confused (true → predicted)</b><br>" + "<br>".join(
            f"{a} → {b}: {n}" for a, b, n in pairs) if pairs else "<b>No confusions</b>"
        preds = (run.samples or {}) if (run.samples or {}).get("kind") == "predictions" else {}
        if preds:
            wrong = [(i, t, p) for i, (p, t) in enumerate(zip(preds["predicted"], preds["target"]))
                     if p != t]
            text += f"<br><br><b>Probe samples</b>: {len(preds['target']) - len(wrong)} of " \
                    f"{len(preds['target'])} right" + "".join(
                        f"<br>sample {i}: true {t}, predicted {p}" for i, t, p in wrong[:6])
        self.pairs.setText(text)

    @guarded
    def show_confused_samples(self) -> None:
        if self.run is None or self.run.folder is None:
            raise run_probe.ProbeError("no run yet")
        found = run_probe.confused_samples(self.run.folder)
        if not found:
            self.samples.clear("no confidently wrong validation samples (or not a classifier)")
            return
        tiles = np.stack([f["image"] for f in found])
        if tiles.ndim == 4:
            tiles = tiles.transpose(0, 2, 3, 1) if tiles.shape[1] == 3 else tiles[:, 0]
        if tiles.ndim not in (3, 4):
            raise run_probe.ProbeError("the inputs are not images")
        columns = min(6, len(found))
        self.samples.set_image(grid(tiles, columns=columns), "  ".join(
            f"[{f['index']}] {f['true']}→{f['predicted']} ({f['p']:.0%})" for f in found))


class SamplesView(QWidget):
    """The latest ``samples`` event: an image grid (reconstructions, generated samples) or text
    (nearest words), and below it a VAE's latent traversal when the event has one."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("samples appear at the end of each epoch")
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.picture)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.title)
        self.traversal_title = QLabel("<b>Latent traversal</b>")
        self.traversal = ImagePanel()
        self.traversal_box = QWidget()  # hidden unless the samples carry a traversal (VAE)
        lower = QVBoxLayout(self.traversal_box)
        lower.setContentsMargins(0, 0, 0, 0)
        lower.addWidget(self.traversal_title)
        lower.addWidget(self.traversal, 1)
        self.traversal_box.hide()
        split = QSplitter(Qt.Vertical)  # the user shares the height between the two pictures
        split.addWidget(scroll)
        split.addWidget(self.traversal_box)
        split.setSizes([300, 300])
        column.addWidget(split, 1)
        self.shown = None

    def report_error(self, text: str) -> None:
        self.title.setText(f"⚠ {text}")

    def refresh(self, run) -> None:
        samples = run.samples if run else None
        if samples is None or samples is self.shown:
            return
        self.shown = samples
        kind = samples.get("kind", "samples")
        epoch = samples.get("epoch")
        if samples.get("image") and run.folder is not None:
            pixmap = QPixmap(str(run.folder / samples["image"]))
            self.title.setText(f"{kind} · epoch {epoch}"
                               + (" (top: inputs, bottom: outputs)" if kind == "reconstruction"
                                  else "")
                               + (f" · one row per class: {', '.join(samples['rows'])}"
                                  if samples.get("rows") else ""))  # a conditional GAN's grid
            self.picture.setPixmap(pixmap.scaled(pixmap.size() * 3, Qt.KeepAspectRatio,
                                                 Qt.FastTransformation))
        elif kind == "masks":
            self.title.setText(f"predicted masks · epoch {epoch}: see the Masks tab")
            self.picture.clear()
        elif kind == "neighbours":
            rows = "".join(f"<tr><td><b>{w}</b></td><td>{', '.join(n)}</td></tr>"
                           for w, n in samples.get("neighbours", {}).items())
            self.title.setText(f"nearest words · epoch {epoch}")
            self.picture.setText(f"<table cellpadding=4>{rows}</table>")
        elif kind == "predictions":
            right = sum(p == t for p, t in zip(samples["predicted"], samples["target"]))
            self.title.setText(f"probe predictions · epoch {epoch}: {right} of "
                               f"{len(samples['target'])} right")
            self.picture.setText("  ".join(f"{t}→{p}" for p, t in
                                           zip(samples["predicted"], samples["target"])))
        self._show_traversal(samples.get("traversal"))

    def _show_traversal(self, walk) -> None:
        self.traversal_box.setVisible(bool(walk))
        if not walk:
            return
        try:
            picture, caption = traversal_picture(walk)
        except (ValueError, TypeError, IndexError) as e:  # a damaged run folder: say so
            self.traversal.clear(f"⚠ cannot show the latent traversal: {e}")
            return
        self.traversal.set_image(picture, caption)
