"""The training dashboard: the run's status (and error), a run list with hyper-parameters and
best values (checked runs overlay in the curves), and tabs for curves, filters, activations,
classes, samples and the log. :meth:`Dashboard.refresh` is called by the controller's timer and
redraws only the visible tab, and only when its run's buffers moved.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSplitter,
                               QTabWidget, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from studio.gui.dashboard.activations_view import ActivationsView
from studio.gui.dashboard.curves import CurvesView
from studio.gui.dashboard.filters_view import FiltersView
from studio.gui.guard import guarded
from studio.gui.dashboard.task_panels import ConfusionView, SamplesView
from studio.gui.dashboard.task_views import MasksView
from studio.gui.dashboard.som_view import SomView, is_som_run

# Redraws while events stream in are spaced by what they cost (issue 19: the studio's CPU per
# second of training): about DRAW_SHARE of one core goes to drawing, so a redraw of the four
# curve plots that costs ~20 ms of CPU comes every ~1 s, a cheap one every REDRAW_S at most.
REDRAW_S = 0.5
MAX_REDRAW_S = 3.0
DRAW_SHARE = 0.02
COLUMNS = ["run", "status", "dataset", "optimizer", "lr", "batch", "epochs", "best"]


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("" if value is None else str(value))


class Dashboard(QWidget):
    open_run_requested = Signal()
    load_checkpoint_requested = Signal(object)  # RunData

    def __init__(self, parent=None):
        super().__init__(parent)
        self.status = QLabel("No run yet: press Train.")
        self.status.setObjectName("runStatus")
        self.stale = QLabel("⚠ the document changed since this run started: the run trains "
                            "the snapshot taken at Train")
        self.stale.setStyleSheet("color: #e0a030;")
        self.stale.hide()
        self.error = QLabel()
        self.error.setObjectName("runError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error.setStyleSheet("color: #ff6b6b; font-weight: bold;")
        self.error.hide()
        self.open_button = QPushButton("Open run…")
        self.open_button.clicked.connect(self.open_run_requested)
        self.load_button = QPushButton("Load checkpoint into editor")
        self.load_button.clicked.connect(lambda: self.current and
                                         self.load_checkpoint_requested.emit(self.current))
        self.runs = QTreeWidget()
        self.runs.setHeaderLabels(COLUMNS)
        self.runs.setRootIsDecorated(False)
        self.runs.itemChanged.connect(self._checks_changed)
        self.runs.currentItemChanged.connect(self._current_changed)
        self.curves = CurvesView()
        self.filters = FiltersView()
        self.activations = ActivationsView()
        self.classes = ConfusionView()
        self.samples = SamplesView()
        self.masks = MasksView()
        self.som_map = SomView()  # self-organizing maps: prototypes and U-matrix
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(2000)
        self.tabs = QTabWidget()
        for widget, title in ((self.curves, "Curves"), (self.filters, "Filters"),
                              (self.activations, "Activations"), (self.classes, "Classes"),
                              (self.masks, "Masks"), (self.som_map, "Map"),
                              (self.samples, "Samples"),
                              (self.log, "Log")):
            self.tabs.addTab(widget, title)
        self.tabs.setTabVisible(self.tabs.indexOf(self.masks), False)  # segmentation runs only
        self.tabs.setTabVisible(self.tabs.indexOf(self.som_map), False)  # som runs only
        self.tabs.currentChanged.connect(lambda _i: self.refresh(force=True))
        header = QHBoxLayout()
        header.addWidget(self.status, 1)
        header.addWidget(self.open_button)
        header.addWidget(self.load_button)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(self.runs)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setSizes([330, 900])
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(header)
        column.addWidget(self.stale)
        column.addWidget(self.error)
        column.addWidget(split, 1)
        self.items: dict[int, QTreeWidgetItem] = {}
        self.history: list = []
        self.current = None
        self._log_version = -1
        self._drawn_at = float("-inf")
        self.redraw_s = REDRAW_S  # the spacing the last redraw's cost asks for
        self._paint_seen = 0.0  # the curves' paint CPU counted so far
        self._redraw_timer = QTimer(self, singleShot=True)
        self._redraw_timer.timeout.connect(self._redraw_due)

    # ---- runs ---------------------------------------------------------------------------------
    def set_history(self, history: list, current) -> None:
        """Show ``history`` in the run list (newest first) with ``current`` selected."""
        self.history = history
        self.runs.blockSignals(True)
        for run in history:
            if id(run) not in self.items:
                item = QTreeWidgetItem([run.name])
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(0, Qt.Checked if run is current else Qt.Unchecked)
                self.runs.insertTopLevelItem(history.index(run), item)
                self.items[id(run)] = item
        self.runs.blockSignals(False)
        if current is not None:
            self.items[id(current)].setCheckState(0, Qt.Checked)
            self.runs.setCurrentItem(self.items[id(current)])
        self._update_rows()
        self._overlay()

    def _run_of(self, item):
        return next((r for r in self.history if self.items.get(id(r)) is item), None)

    @guarded
    def _checks_changed(self, _item, column) -> None:
        if column == 0:
            self._overlay()

    @guarded
    def _current_changed(self, item, _previous) -> None:
        run = self._run_of(item)
        if run is not None and run is not self.current:
            self.current = run
            self._log_version = -1
            self.refresh(force=True)

    def _overlay(self) -> None:
        checked = [r for r in self.history
                   if self.items[id(r)].checkState(0) == Qt.Checked]
        self.curves.show_runs(checked)

    def _update_rows(self) -> None:
        self.runs.blockSignals(True)
        for run in self.history:
            h = run.hyper()
            monitor, best = run.best_value()
            values = [run.name, run.status, h["dataset"], h["optimizer"], h["lr"], h["batch"],
                      h["epochs"], f"{monitor} {best:.4g}" if best is not None else ""]
            item = self.items[id(run)]
            for col, value in enumerate(values):
                item.setText(col, _fmt(value))
        self.runs.blockSignals(False)

    # ---- redraw -------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Redraw the header and the visible tab from the current run's buffers.

        The controller drains events at 10-30 Hz; drawing follows at most every
        ``redraw_s`` (the last call always lands, from a timer), which the previous redraw's
        CPU sets (see ``DRAW_SHARE``). Drawing on every drain took a large share of a core from
        training and froze the event loop for up to ~100 ms at a time."""
        run = self.current
        if run is None:
            return
        now = time.monotonic()
        if not force and now - self._drawn_at < self.redraw_s:
            if not self._redraw_timer.isActive():
                self._redraw_timer.start(int((self.redraw_s - (now - self._drawn_at)) * 1000) + 1)
            return
        self._redraw_timer.stop()
        self._drawn_at = now
        started = time.process_time()
        self._redraw(run, force)
        # this redraw's CPU, plus what painting the previous one took (painting follows later,
        # from the event loop)
        painted = self.curves.layout_widget.paint_cpu
        cost = time.process_time() - started + painted - self._paint_seen
        self._paint_seen = painted
        self.redraw_s = min(MAX_REDRAW_S, max(REDRAW_S, cost / DRAW_SHARE))

    def _redraw(self, run, force: bool) -> None:
        self._header(run)
        self._update_rows()
        self.activations.set_run(run)  # on-demand buttons work before the tab is shown
        self.classes.run = run
        self._task_tabs(run)
        tab = self.tabs.currentWidget()
        if tab is self.curves:
            self.curves.refresh()
        elif tab is self.filters:
            self.filters.refresh(run)
        elif tab is self.activations:
            self.activations.refresh(run)
        elif tab is self.classes:
            self.classes.refresh(run)
        elif tab is self.masks:
            self.masks.refresh(run)
        elif tab is self.som_map:
            self.som_map.refresh(run)
        elif tab is self.samples:
            self.samples.refresh(run)
        if tab is self.log or run.error or force:
            self._show_log(run)

    @guarded
    def _redraw_due(self) -> None:
        self.refresh()

    def _task_tabs(self, run) -> None:
        """Show the Masks tab for a segmentation run (by its recipe, or its mask samples)."""
        segmentation = (run.config or {}).get("recipe") == "segmentation" or \
            (run.samples or {}).get("kind") == "masks"
        index = self.tabs.indexOf(self.masks)
        if self.tabs.isTabVisible(index) != segmentation:
            self.tabs.setTabVisible(index, segmentation)
        index, som = self.tabs.indexOf(self.som_map), is_som_run(run)
        if self.tabs.isTabVisible(index) != som:
            self.tabs.setTabVisible(index, som)

    def _header(self, run) -> None:
        speed = run.steps.get("samples_per_s")
        rate = f" · {speed.y[-1]:,.0f} samples/s" if speed is not None and speed.n else ""
        total = run.config.get("epochs") if run.config else None
        self.status.setText(f"<b>{run.name}</b> · {run.status} · epoch {run.last_epoch}"
                            f"{'/' + str(total) if total else ''} · step {run.last_step}{rate}")
        if run.error:
            self.error.setText(f"Training failed: {run.error}\n(the editor and the document are "
                               f"untouched; the run folder keeps the metrics and the last "
                               f"checkpoint: {run.folder})")
        self.error.setVisible(bool(run.error))

    def _show_log(self, run) -> None:
        if run.version == self._log_version:
            return
        self._log_version = run.version
        self.log.setPlainText("\n".join(run.log))
        self.log.verticalScrollBar().setValue(self.log.verticalScrollBar().maximum())

    def set_stale(self, on: bool) -> None:
        self.stale.setVisible(on)

    def report_error(self, text: str) -> None:
        self.status.setText(f"⚠ {text}")
