"""Training curves (pyqtgraph): loss per step (raw and smoothed) with the per-epoch train and
validation losses on top, accuracy, learning rate and gradient norm; several runs overlay.

Curves are redrawn by :meth:`CurvesView.refresh`, which the dashboard's timer calls; a run whose
buffers did not change since the last call costs nothing. Every curve clips to the view and
peak-downsamples, without antialiasing, so 100k-point curves still redraw in a few ms
(PLATFORM-NOTES.md). Hovering a plot shows the nearest values under the cursor.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.gui.run_data import RunData

PALETTE = ["#4fa3ff", "#ff8c42", "#5fd068", "#e05a9c", "#c9b458", "#9a7dff", "#40d0d0"]
# (plot title, per-step keys, per-epoch keys, y label)
PLOTS = [("loss", ["loss"], ["train.loss", "val.loss"], "loss"),
         ("accuracy", [], ["train.accuracy", "val.accuracy", "val.miou", "val.psnr", "val.elbo"],
          "metric"),
         ("learning rate", ["lr"], [], "lr"),
         ("gradient norm", ["grad_norm", "grad_norm/discriminator", "grad_norm/generator"], [],
          "norm")]
EPOCH_STYLE = {"train": dict(symbol="o", symbolSize=6), "val": dict(symbol="s", symbolSize=7)}


def _curve(plot, color, width=1.0, alpha=255, style=None, **kw):
    rgb = pg.mkColor(color).getRgb()[:3]
    pen = pg.mkPen(color=(*rgb, alpha), width=width)
    if style is not None:
        pen.setStyle(style)
    item = plot.plot([], [], pen=pen, antialias=False, **kw)
    item.setClipToView(True)
    item.setDownsampling(auto=True, method="peak")
    return item


class RunCurves:
    """The plot items of one run (one colour) in every plot."""

    def __init__(self, plots: dict, color: str):
        from PySide6.QtCore import Qt
        self.items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.version = -1
        for title, step_keys, epoch_keys, _ in PLOTS:
            plot = plots[title]
            for key in step_keys:
                if key == "loss":
                    self.items[(title, "loss.raw")] = _curve(plot, color, 1.0, 70)
                    self.items[(title, "loss.smooth")] = _curve(plot, color, 2.0)
                else:
                    self.items[(title, key)] = _curve(plot, color, 1.5)
            for key in epoch_keys:
                split = key.split(".")[0]
                style = Qt.DashLine if split == "val" else Qt.SolidLine
                self.items[(title, key)] = _curve(plot, color, 1.5, 255, style,
                                                  symbolBrush=color, symbolPen=None,
                                                  **EPOCH_STYLE[split])

    def update(self, run: RunData) -> None:
        if run.version == self.version:
            return
        self.version = run.version
        for (title, key), item in self.items.items():
            if key in ("loss.raw", "loss.smooth"):
                series = run.steps.get("loss") if key == "loss.raw" else run.smoothed
                if series is not None and series.n:
                    item.setData(series.x, series.y)
            else:
                series = (run.epochs if "." in key else run.steps).get(key)
                if series is not None and series.n:
                    item.setData(series.x, series.y)

    def remove(self, plots: dict) -> None:
        for (title, _), item in self.items.items():
            plots[title].removeItem(item)


class CurvesView(QWidget):
    log_scale_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.plots: dict[str, pg.PlotItem] = {}
        for i, (title, _, _, ylabel) in enumerate(PLOTS):
            plot = self.layout_widget.addPlot(row=i // 2, col=i % 2, title=title)
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("bottom", "step")
            plot.addLegend(offset=(-5, 5), labelTextSize="8pt")
            self.plots[title] = plot
        self.hover = QLabel(" ")
        self.hover.setObjectName("curveHover")
        self.log_box = QCheckBox("log scale (loss, lr, norm)")
        self.log_box.toggled.connect(self.set_log_scale)
        self.png_button = QPushButton("Export PNG…")
        self.csv_button = QPushButton("Export CSV…")
        bar = QHBoxLayout()
        bar.addWidget(self.log_box)
        bar.addWidget(self.hover, 1)
        bar.addWidget(self.png_button)
        bar.addWidget(self.csv_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(bar)
        column.addWidget(self.layout_widget, 1)
        self.runs: dict[int, tuple[RunData, RunCurves]] = {}
        self._legend_for: list = []
        self._proxy = pg.SignalProxy(self.layout_widget.scene().sigMouseMoved, rateLimit=30,
                                     slot=self._mouse_moved)

    # ---- runs ---------------------------------------------------------------------------------
    def show_runs(self, runs: list[RunData]) -> None:
        """Overlay exactly ``runs`` (first one = the current run)."""
        wanted = {id(r): r for r in runs}
        for key in [k for k in self.runs if k not in wanted]:
            self.runs.pop(key)[1].remove(self.plots)
        for i, run in enumerate(runs):
            if id(run) not in self.runs:
                self.runs[id(run)] = (run, RunCurves(self.plots, PALETTE[i % len(PALETTE)]))
        self._legend(runs)
        self.refresh()

    def _filled(self) -> list:
        """(run, plot, key) of every curve holding data: the legend lists only those."""
        return [(id(run), t, key) for run, curves in self.runs.values()
                for (t, key), item in curves.items.items()
                if item.xData is not None and len(item.xData)]

    def _legend(self, runs) -> None:
        self._legend_for = self._filled()
        filled = set(self._legend_for)
        for title, plot in self.plots.items():
            legend = plot.legend
            legend.clear()
            for run in runs:
                curves = self.runs[id(run)][1]
                for (t, key), item in curves.items.items():
                    if t == title and key != "loss.raw" and (id(run), t, key) in filled:
                        label = key.replace("loss.smooth", "loss (smoothed)")
                        legend.addItem(item, f"{run.name}: {label}" if len(runs) > 1 else label)

    def refresh(self) -> None:
        for run, curves in self.runs.values():
            curves.update(run)
        if len(self._filled()) != len(self._legend_for):  # a new kind of curve got data
            self._legend([run for run, _ in self.runs.values()])

    def set_log_scale(self, on: bool) -> None:
        for title in ("loss", "learning rate", "gradient norm"):
            self.plots[title].setLogMode(y=bool(on))
        self.log_scale_changed.emit(bool(on))

    # ---- hover --------------------------------------------------------------------------------
    def _mouse_moved(self, args) -> None:
        try:
            self.hover.setText(self.values_at(args[0]))
        except Exception as e:  # noqa: BLE001 - never let an exception out of a Qt slot
            self.hover.setText(f"({e})")

    def values_at(self, scene_pos) -> str:
        for title, plot in self.plots.items():
            if not plot.sceneBoundingRect().contains(scene_pos):
                continue
            x = plot.vb.mapSceneToView(scene_pos).x()
            parts = [f"{title} @ step {x:.0f}"]
            for (t, key), item in (i for _, c in self.runs.values() for i in c.items.items()):
                if t != title or key == "loss.raw" or item.xData is None or not len(item.xData):
                    continue
                j = int(np.clip(np.searchsorted(item.xData, x), 0, len(item.xData) - 1))
                y = item.yData[j]
                parts.append(f"{key.replace('loss.smooth', 'loss~')} {y:.4g}")
            return "   ".join(parts)
        return " "

    # ---- export -------------------------------------------------------------------------------
    def export_png(self, path: str | Path) -> Path:
        path = Path(path)
        if not self.layout_widget.grab().save(str(path), "PNG"):
            raise OSError(f"{path}: could not write the image")
        return path

    def export_csv(self, path: str | Path) -> list[Path]:
        """One CSV per overlaid run (``name.csv``; more runs get ``name-<run>.csv``)."""
        path = Path(path)
        runs = [r for r, _ in self.runs.values()]
        if len(runs) <= 1:
            return [runs[0].write_csv(path)] if runs else []
        return [r.write_csv(path.with_name(f"{path.stem}-{r.name}{path.suffix}")) for r in runs]
