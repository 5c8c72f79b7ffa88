"""The Search tab's pictures of a study, redrawn from the rows of
:func:`studio.search.report.rows`: the objective per trial with the running best, a
parallel-coordinates view (each trial a line across its parameters, scaled to 0..1, coloured by
its objective) and Optuna's parameter importances as bars."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def running_best(values: list[float], maximize: bool) -> list[float]:
    out, best = [], None
    for v in values:
        best = v if best is None else (max(best, v) if maximize else min(best, v))
        out.append(best)
    return out


def scaled(values: list) -> list[float]:
    """A parameter's values on 0..1: numbers by their range (log when all are > 0 and span a
    decade or more), anything else by the order of its distinct values."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        nums = np.asarray(values, dtype=float)
        if (nums > 0).all() and nums.max() / nums.min() >= 10:
            nums = np.log10(nums)
        span = nums.max() - nums.min()
        return list((nums - nums.min()) / span) if span > 0 else [0.5] * len(values)
    order = sorted({repr(v) for v in values})
    return [order.index(repr(v)) / max(1, len(order) - 1) for v in values]


class StudyViews(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.progress = pg.PlotWidget(title="objective per trial")
        self.progress.setLabel("bottom", "trial")
        self.points = self.progress.plot([], [], pen=None, symbol="o", symbolSize=6)
        self.best = self.progress.plot([], [], pen=pg.mkPen("#e8a33d", width=2))
        self.parallel = pg.PlotWidget(title="parallel coordinates")
        self.parallel.hideAxis("left")
        self.parallel.getAxis("bottom").setHeight(28)  # room for the parameter names
        self.importance = pg.PlotWidget(title="parameter importance")
        self.bars: pg.BarGraphItem | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for plot in (self.progress, self.parallel, self.importance):
            layout.addWidget(plot, 1)
        self.lines: list = []

    def show_rows(self, rows: list[dict], maximize: bool) -> None:
        done = [r for r in rows if r["state"] == "complete" and _finite(r["value"])]
        x = [r["number"] for r in done]
        y = [r["value"] for r in done]
        self.points.setData(x, y)
        self.best.setData(x, running_best(y, maximize))
        self._parallel(done, maximize)

    def _parallel(self, done: list[dict], maximize: bool) -> None:
        for line in self.lines:
            self.parallel.removeItem(line)
        self.lines = []
        names = sorted({k for r in done for k in r["params"]})
        if not done or not names:
            return
        axes = [scaled([r["params"].get(n) for r in done]) for n in names]
        axes.append(scaled([r["value"] for r in done]))
        ticks = [(i, n) for i, n in enumerate([*names, "objective"])]
        self.parallel.getAxis("bottom").setTicks([ticks])
        self.parallel.setXRange(-0.4, len(axes) - 0.6, padding=0)  # the end labels inside
        order = axes[-1] if maximize else [1 - v for v in axes[-1]]
        for k in range(len(done)):
            colour = pg.mkColor(pg.intColor(int(order[k] * 99), hues=100, maxHue=250))
            line = self.parallel.plot(list(range(len(axes))), [a[k] for a in axes],
                                      pen=pg.mkPen(colour, width=1.5))
            self.lines.append(line)

    def show_importances(self, importances: dict[str, float]) -> None:
        if self.bars is not None:
            self.importance.removeItem(self.bars)
            self.bars = None
        if not importances:
            return
        names = list(importances)
        self.bars = pg.BarGraphItem(x=list(range(len(names))), height=list(importances.values()),
                                    width=0.6, brush="#4a90d9")
        self.importance.addItem(self.bars)
        self.importance.getAxis("bottom").setTicks([list(enumerate(names))])
