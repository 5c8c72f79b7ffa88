"""View ranges of the training plots, kept by the dashboard instead of pyqtgraph's auto-range.

pyqtgraph's auto-range recomputes every curve's bounds, moves the range, regenerates the axes
and re-clips every curve on each redraw: two thirds of a redraw's cost (bench/dashboard.py).
Here the x axis spans the run's planned steps from the start (the curve grows across a still
axis; without a plan it grows by half again when reached), and the y range moves only when the
data outgrows it or fills less than half of it (losses, rates and norms from zero, metrics
with room around them, whole decades in log mode). A plot the user pans or zooms is left
alone until its "A" (auto) button is pressed.
"""
from __future__ import annotations

import math

import numpy as np

HEADROOM = 0.1  # of the span, beyond the far end of data drawn from zero
PAD = 0.25  # of the span, on both sides of data drawn without zero (metrics)
FILL = 0.5  # refit when the data fills less than this share of the y range


def y_range(lo: float, hi: float, log: bool, current: tuple[float, float],
            from_zero: bool = True):
    """The y range for data in [lo, hi] (log10 values in log mode), or None to keep
    ``current``. Log: whole decades. Linear ``from_zero`` (losses, rates, norms): from zero
    when the data has one sign, so a falling loss never moves the axis; otherwise (accuracy,
    PSNR: the differences near the top matter) the data with a quarter of its span around it."""
    a, b = current
    tol = 1e-6 * max(abs(b - a), 1e-12)
    if log:
        low, high = math.floor(lo), max(math.ceil(hi), math.floor(lo) + 1)
        same = abs(a - low) <= tol and abs(b - high) <= tol
        return None if same else (float(low), float(high))
    if from_zero:
        low, high = (0.0, hi) if lo >= 0 else (lo, 0.0) if hi <= 0 else (lo, hi)
    else:
        low, high = lo, hi
    if a - tol <= low and high <= b + tol and (high - low) >= FILL * (b - a) and b > a:
        return None
    span = (high - low) or abs(high or low) or 1.0
    if not from_zero:
        return low - PAD * span, high + PAD * span
    return (low - (HEADROOM * span if low else 0.0), high + (HEADROOM * span if high else 0.0))


def x_end(current_end: float, data_end: float, planned: float | None) -> float:
    """The right end of the x axis: the planned steps, or half again past the data."""
    if planned and planned >= data_end:
        return float(planned) * 1.02  # the last epoch's marker whole, not cut by the edge
    return current_end if data_end <= current_end else max(10.0, data_end * 1.5)


class RangeKeeper:
    def __init__(self, plots: dict, from_zero: dict | None = None):
        self.plots = plots
        self.from_zero = from_zero or {}  # plot title -> draw its y axis from zero
        self.manual: set[str] = set()  # plots the user panned or zoomed
        self._last: tuple | None = None  # the last fit's arguments, for the "A" button
        for title, plot in plots.items():
            plot.disableAutoRange()
            plot.sigRangeChangedManually.connect(lambda *_a, t=title: self.manual.add(t))
            plot.autoBtn.clicked.connect(lambda *_a, t=title: self._auto(t))

    def _auto(self, title: str) -> None:
        """The user pressed "A": back to ranges kept here (not pyqtgraph's auto-range)."""
        self.manual.discard(title)
        self.plots[title].disableAutoRange()
        if self._last is not None:
            self.fit(*self._last, force=True)

    def fit(self, data: dict, planned: float | None, force: bool = False) -> None:
        """``data``: plot title -> list of (x, y) arrays shown in it."""
        self._last = (data, planned)
        for title, plot in self.plots.items():
            if title in self.manual:
                continue
            series = [(x, y) for x, y in data.get(title, ()) if len(x)]
            if not series:
                continue
            log = bool(plot.ctrl.logYCheck.isChecked())
            ys = [self._finite(y, log) for _, y in series]
            ys = [y for y in ys if len(y)]
            (x0, x1), (y0, y1) = plot.vb.viewRange()
            end = x_end(x1 if not force else 0.0, max(float(x[-1]) for x, _ in series), planned)
            if end != x1 or x0 != 0:  # a range set again regenerates the axes: only changes
                plot.setXRange(0, end, padding=0)
            if ys:
                lo, hi = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
                wanted = y_range(lo, hi, log, (0.0, 0.0) if force else (y0, y1),
                                 self.from_zero.get(title, True))
                if wanted is not None and wanted != (y0, y1):
                    plot.setYRange(*wanted, padding=0)

    @staticmethod
    def _finite(y: np.ndarray, log: bool) -> np.ndarray:
        """The values as plotted: finite ones, and in log mode log10 of the positive ones."""
        if log:
            y = y[y > 0]
            y = np.log10(y) if len(y) else y
        finite = np.isfinite(y)
        return y if finite.all() else y[finite]


def planned_steps(run) -> float | None:
    """Steps the run will take (steps per epoch x epochs, or max_steps), None when unknown."""
    per_epoch, epochs = run.info.get("steps_per_epoch"), (run.config or {}).get("epochs")
    if not per_epoch or not epochs:
        return None
    total = float(per_epoch) * float(epochs)
    cap = (run.config or {}).get("max_steps")
    return min(total, float(cap)) if cap else total
