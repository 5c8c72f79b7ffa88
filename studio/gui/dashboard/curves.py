"""Training curves (pyqtgraph): loss per step (raw and smoothed) with the per-epoch train and
validation losses on top, accuracy, learning rate and gradient norm; several runs overlay.

Curves are redrawn by :meth:`CurvesView.refresh`, which the dashboard's timer calls; a run whose
buffers did not change since the last call costs nothing. Every curve clips to the view and
peak-downsamples, without antialiasing, so 100k-point curves still redraw in a few ms
(PLATFORM-NOTES.md). Hovering a plot shows the nearest values under the cursor.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QGraphicsItem, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from studio.gui.dashboard.curve_ranges import RangeKeeper, planned_steps
from studio.train.run_data import RunData
from studio.train.metric_registry import plots

PALETTE = ["#4fa3ff", "#ff8c42", "#5fd068", "#e05a9c", "#c9b458", "#9a7dff", "#40d0d0"]
# (plot title, per-step keys, per-epoch keys, y label), from the one table of metric names
PLOTS = plots()
AXIS_WIDTH = 56  # px: room for tick labels such as "0.0015" or "1e-05"
EXPORT_SIZE = (1200, 800)  # px: the smallest Export PNG, room for every plot's ticks and legend
EPOCH_STYLE = {"train": dict(symbol="o", symbolSize=6), "val": dict(symbol="s", symbolSize=7)}


def _pen(color, width=1.0, alpha=255, style=None):
    rgb = pg.mkColor(color).getRgb()[:3]
    pen = pg.mkPen(color=(*rgb, alpha), width=width)
    if style is not None:
        pen.setStyle(style)
    return pen


def _curve(plot, pen, **kw):
    item = plot.plot([], [], pen=pen, antialias=False, **kw)
    item.setClipToView(True)
    item.setDownsampling(auto=True, method="peak")
    return item


class RunCurves:
    """The plot items of one run (one colour) in every plot."""

    def __init__(self, plots: dict, color: str):
        from PySide6.QtCore import Qt
        self.items: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.pens: dict[tuple[str, str], tuple] = {}  # (width, alpha, style) of each curve
        self.version = -1
        self.shown: dict[tuple[str, str], int] = {}  # points each curve holds
        for title, step_keys, epoch_keys, _ in PLOTS:
            for key in step_keys:
                if key == "loss":
                    self.pens[(title, "loss.raw")] = (1.0, 70, None)
                    self.pens[(title, "loss.smooth")] = (2.0, 255, None)
                else:
                    self.pens[(title, key)] = (1.5, 255, None)
            for key in epoch_keys:
                self.pens[(title, key)] = (1.5, 255, Qt.DashLine if key.startswith("val.")
                                           else Qt.SolidLine)
        for (title, key), spec in self.pens.items():
            symbols = {} if spec[2] is None else dict(
                symbolBrush=color, symbolPen=None, **EPOCH_STYLE[key.split(".")[0]])
            self.items[(title, key)] = _curve(plots[title], _pen(color, *spec), **symbols)

    def recolor(self, color: str) -> None:
        for key, item in self.items.items():
            item.setPen(_pen(color, *self.pens[key]))
            if self.pens[key][2] is not None:
                item.setSymbolBrush(color)

    def update(self, run: RunData) -> bool:
        """Give the items the run's new points; False when no series grew since the last call
        (a snapshot or samples event moves the run's version but no curve)."""
        if run.version == self.version:
            return False
        self.version = run.version
        changed = False
        for (title, key), item in self.items.items():
            if key in ("loss.raw", "loss.smooth"):
                series = run.steps.get("loss") if key == "loss.raw" else run.smoothed
            else:
                series = (run.epochs if "." in key else run.steps).get(key)
            if series is not None and series.n and series.n != self.shown.get((title, key)):
                self.shown[(title, key)] = series.n
                item.setData(series.x, series.y)
                changed = True
        return changed

    def remove(self, plots: dict) -> None:
        for (title, _), item in self.items.items():
            plots[title].removeItem(item)


class _MeteredLayout(pg.GraphicsLayoutWidget):
    """The plots' view, counting the CPU its paints take: the dashboard spaces its redraws by
    what drawing really costs (:data:`studio.gui.dashboard.dashboard.DRAW_SHARE`)."""

    paint_cpu = 0.0

    def paintEvent(self, event):
        started = time.process_time()
        try:
            super().paintEvent(event)
        finally:
            self.paint_cpu += time.process_time() - started


class CurvesView(QWidget):
    log_scale_changed = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layout_widget = _MeteredLayout()
        self.plots: dict[str, pg.PlotItem] = {}
        for i, (title, _, _, ylabel) in enumerate(PLOTS):
            plot = self.layout_widget.addPlot(row=i // 2, col=i % 2, title=title)
            plot.showGrid(x=True, y=True, alpha=0.2)
            for name in ("left", "bottom"):
                # An axis draws the grid across the whole plot, so uncached, every curve update
                # repaints all axes, most of a redraw; cached, an axis whose range held is a blit.
                plot.getAxis(name).setCacheMode(QGraphicsItem.DeviceCoordinateCache)
            # A fixed width: tick labels of another length ("0.002" -> "0.0015") otherwise
            # resize the plot, and with it every axis in its column of the grid.
            plot.getAxis("left").setWidth(AXIS_WIDTH)
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
        self.ranges = RangeKeeper(self.plots, {"accuracy": False})  # metrics: near the top
        self.spare: RunCurves | None = None  # empty curves made while idle (prepare_spare)
        self._legend_for: list = []
        self._legends: dict[str, list] = {}  # plot title -> its legend's (item, label) entries
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
                color = PALETTE[i % len(PALETTE)]
                curves, self.spare = self.spare, None
                if curves is None:
                    curves = RunCurves(self.plots, color)
                else:
                    curves.recolor(color)
                self.runs[id(run)] = (run, curves)
        self._legend(runs)
        self.refresh(refit=True)

    def prepare_spare(self) -> None:
        """Build the next run's curves ahead, while idle: 13 pyqtgraph items take ~50 ms,
        which would otherwise freeze the GUI at the moment training starts."""
        if self.spare is None:
            self.spare = RunCurves(self.plots, PALETTE[0])

    def _filled(self) -> list:
        """(run, plot, key) of every curve holding data: the legend lists only those."""
        return [(id(run), t, key) for run, curves in self.runs.values()
                for (t, key), item in curves.items.items()
                if item.xData is not None and len(item.xData)]

    def _legend(self, runs) -> None:
        self._legend_for = self._filled()
        filled = set(self._legend_for)
        for title, plot in self.plots.items():
            entries = []
            for run in runs:
                curves = self.runs[id(run)][1]
                for (t, key), item in curves.items.items():
                    if t == title and key != "loss.raw" and (id(run), t, key) in filled:
                        label = key.replace("loss.smooth", "loss (smoothed)")
                        entries.append((item, f"{run.name}: {label}" if len(runs) > 1 else label))
            old = self._legends.get(title, [])
            if entries != old:  # each entry relays the legend out: only the entries that changed
                kept = set(old) & set(entries)
                for item, label in old:
                    if (item, label) not in kept:
                        plot.legend.removeItem(item)
                for item, label in entries:
                    if (item, label) not in kept:
                        plot.legend.addItem(item, label)
                self._legends[title] = entries

    def refresh(self, refit: bool = False) -> None:
        changed = [curves.update(run) for run, curves in self.runs.values()]
        if len(self._filled()) != len(self._legend_for):  # a new kind of curve got data
            self._legend([run for run, _ in self.runs.values()])
        if any(changed) or refit:
            self._fit(force=refit)

    def _fit(self, force: bool = False) -> None:
        data: dict[str, list] = {}
        for _run, curves in self.runs.values():
            for (title, _key), item in curves.items.items():
                if item.xData is not None and len(item.xData):
                    data.setdefault(title, []).append((item.xData, item.yData))
        # a run whose start event has not arrived yet has no plan: the others' still hold
        plans = [p for p in (planned_steps(run) for run, _ in self.runs.values()) if p]
        planned = max(plans) if plans else None
        self.ranges.fit(data, planned, force=force)

    def set_log_scale(self, on: bool) -> None:
        for title in ("loss", "learning rate", "gradient norm"):
            self.plots[title].setLogMode(y=bool(on))
        self._fit(force=True)
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
        """The plots as a PNG, at least :data:`EXPORT_SIZE`: a dashboard docked low would
        otherwise give an image of four plots a hundred pixels tall."""
        path = Path(path)
        widget = self.layout_widget
        shown = widget.size()
        # laid out again at the export size (a resize of a shown widget is immediate), then back
        widget.resize(max(shown.width(), EXPORT_SIZE[0]), max(shown.height(), EXPORT_SIZE[1]))
        try:
            image = widget.grab()
        finally:
            widget.resize(shown)
        if not image.save(str(path), "PNG"):
            raise OSError(f"{path}: could not write the image")
        return path

    def export_csv(self, path: str | Path) -> list[Path]:
        """One CSV per overlaid run (``name.csv``; more runs get ``name-<run>.csv``)."""
        path = Path(path)
        runs = [r for r, _ in self.runs.values()]
        if len(runs) <= 1:
            return [runs[0].write_csv(path)] if runs else []
        return [r.write_csv(path.with_name(f"{path.stem}-{r.name}{path.suffix}")) for r in runs]
