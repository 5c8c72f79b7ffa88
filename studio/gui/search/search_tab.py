"""The Search tab: the document's search section, Start/Stop with a jobs count, and the study as
it grows (trials table, objective per trial, parallel coordinates, importances).

The search runs in a child process (:class:`studio.search.process.SearchProcess`) with its
trials in their own children; the tab only reads the study storage on a timer, so the editor
never waits on a trial. Double-clicking a trial opens its run in the dashboard; *Open best as
document* makes a new document from the best trial's values."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QSpinBox,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.names import safe_filename
from studio.gui.guard import guarded
from studio.gui.search.dimensions import DimensionsEditor
from studio.gui.search.views import StudyViews

READ_MS = 1000  # how often the storage is read: a trial takes seconds at the least


class NumberItem(QTableWidgetItem):
    """A table cell that sorts by its number, not its text (10 after 9)."""

    def __init__(self, value):
        super().__init__("-" if value is None else f"{value:.4g}" if isinstance(value, float)
                         else str(value))
        self.number = value if isinstance(value, (int, float)) else float("-inf")

    def __lt__(self, other):
        if isinstance(other, NumberItem):
            return self.number < other.number
        return super().__lt__(other)


class SearchTab(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.root: Path | None = None  # where study folders go (default: beside the runs)
        self.open_run = None  # set by install_search_tab: folder -> opens the dashboard
        self.open_document = None  # set by install_search_tab: doc -> new document
        self.job = None
        self.study_ref: tuple[str, str] | None = None  # (name, storage URL) being shown
        self.rows: list[dict] = []
        self.dimensions = DimensionsEditor(session)
        self.jobs = QSpinBox(minimum=1, maximum=64, value=2)
        self.start_button, self.stop_button = QPushButton("Start search"), QPushButton("Stop")
        self.best_button = QPushButton("Open best as document")
        self.start_button.clicked.connect(lambda: self.start())
        self.stop_button.clicked.connect(lambda: self.stop())
        self.best_button.clicked.connect(lambda: self.open_best())
        self.status = QLabel("no search yet")
        self.table = QTableWidget(0, 0)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.cellDoubleClicked.connect(self._double_clicked)
        self.views = StudyViews()
        bar = QHBoxLayout()
        for w in (QLabel("jobs"), self.jobs, self.start_button, self.stop_button,
                  self.best_button):
            bar.addWidget(w)
        bar.addWidget(self.status, 1)
        right = QWidget()
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(bar)
        column.addWidget(self.table, 1)
        column.addWidget(self.views, 1)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.dimensions)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        split.setSizes([430, 1000])  # the dimension table's seven columns readable
        QVBoxLayout(self).addWidget(split)
        self.timer = QTimer(self, interval=READ_MS)
        self.timer.timeout.connect(self.read_study)
        self._buttons()

    def report_error(self, text: str) -> None:
        self.session.message.emit(text)

    # ----- running ------------------------------------------------------------------------------
    def folder(self) -> Path:
        name = str(self.session.doc.meta.get("name") or "search")
        root = self.root or (Path(self.session.path).resolve().parent / "searches"
                             if self.session.path else Path.home() / "NetStudio" / "searches")
        return root / safe_filename(name, "search")

    @guarded
    def start(self) -> bool:
        from studio.search.process import SearchProcess
        from studio.search.runner import SearchOptions
        from studio.search.space import SearchError, section_of
        from studio.search.study import default_storage
        if self.running():
            return False
        try:
            section_of(self.session.doc)
        except SearchError as e:
            self.session.message.emit(f"cannot search: {e}")
            self.status.setText(f"cannot search: {e}")
            return False
        folder = self.folder()
        name = str(self.session.doc.meta.get("name") or "search")
        self.job = SearchProcess(self.session.doc, folder, name,
                                 options=SearchOptions(jobs=self.jobs.value()))
        self.job.start()
        self.study_ref = (name, default_storage(folder))
        self.status.setText(f"searching in {folder}")
        self.timer.start()
        self._buttons()
        return True

    def running(self) -> bool:
        return self.job is not None and self.job.alive()

    def stop(self) -> None:
        if self.job is not None:
            self.job.stop()
            self.status.setText("stopping: the running trials save their checkpoints")

    def _buttons(self) -> None:
        self.start_button.setEnabled(not self.running())
        self.stop_button.setEnabled(self.running())
        self.best_button.setEnabled(any(r["state"] == "complete" for r in self.rows))

    # ----- reading the study ----------------------------------------------------------------------
    def study(self):
        import optuna
        if self.study_ref is None:
            return None
        name, url = self.study_ref
        try:
            return optuna.load_study(study_name=name, storage=url)
        except KeyError:  # the child has not created it yet
            return None

    @guarded
    def read_study(self) -> None:
        from studio.search import report, study as S
        study = self.study()
        if study is not None:
            self.rows = report.rows(study)
            maximize = study.direction.name == "MAXIMIZE"
            self._fill_table()
            self.views.show_rows(self.rows, maximize)
            self.views.show_importances(report.importances(study))
            counts = S.tally(study)
            best = "-" if counts["best"] is None else f"{counts['best']:.4g}"
            self.status.setText(f"{counts['done']} done, {counts['running']} running, "
                                f"{counts['pruned']} pruned, {counts['failed']} failed; "
                                f"best {best}")
        if self.job is not None and not self.job.alive():
            error = self.job.error()
            if error:
                self.status.setText(error)
                self.session.message.emit(f"search: {error}")
            self.job = None
            self.timer.stop()
        self._buttons()

    def _fill_table(self) -> None:
        names = sorted({k for r in self.rows for k in r["params"]})
        heads = ["#", "state", "value", "epochs", "seconds", *names, "note"]
        self.table.setSortingEnabled(False)
        self.table.setColumnCount(len(heads))
        self.table.setHorizontalHeaderLabels(heads)
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            cells = [NumberItem(r["number"]), QTableWidgetItem(r["state"]),
                     NumberItem(r["value"]), NumberItem(r["epochs"]),
                     NumberItem(r["duration_s"]),
                     *(NumberItem(r["params"].get(n)) if isinstance(r["params"].get(n),
                                                                     (int, float))
                       else QTableWidgetItem(str(r["params"].get(n))) for n in names),
                     QTableWidgetItem(r["message"])]
            cells[0].setData(Qt.UserRole, r["run_dir"])
            for col, cell in enumerate(cells):
                self.table.setItem(i, col, cell)
        self.table.setSortingEnabled(True)

    def _double_clicked(self, row: int, _col: int) -> None:
        run = self.table.item(row, 0).data(Qt.UserRole)
        if not run or not Path(run, "config.json").is_file():
            self.session.message.emit("this trial has no run folder (it did not start training)")
            return
        if self.open_run is not None:
            self.open_run(run)

    @guarded
    def open_best(self):
        from studio.search import report
        from studio.search.study import folder_document
        study = self.study()
        if study is None:
            return None
        try:
            doc = report.best_document(study, folder_document(self.folder(), study))
        except ValueError as e:
            self.session.message.emit(str(e))
            return None
        if self.open_document is not None:
            self.open_document(doc)
        return doc

    def close_job(self) -> None:
        """Stop the search child and its trials (the window is closing)."""
        if self.job is not None:
            self.job.stop()
            self.job.process.join(timeout=20)
            self.job.kill()
            self.job = None
        self.timer.stop()


def install_search_tab(window) -> SearchTab:
    """The Search dock, tabified with the Dashboard, in the View menu; opening runs in the
    dashboard and the best trial as a new document (after the unsaved-changes question)."""
    tab = SearchTab(window.session)
    from studio.gui.docks import add_bottom_dock
    dock = add_bottom_dock(window, "Search", tab)
    tab.open_run = window.open_run
    _search_over_menus(window, tab)

    def open_document(doc) -> None:
        if window.maybe_save():
            window.set_document(doc)
    tab.open_document = open_document
    window.search_tab, window.search_dock = tab, dock
    return tab


def _search_over_menus(window, tab: SearchTab) -> None:
    """Right-click *Search over…* on a variable and on the training form's labels, each adding
    a dimension around the current value (then edited in the Search tab)."""
    from studio.gui.dashboard.training_panel import _get

    def reveal() -> None:
        window.search_dock.show()
        window.search_dock.raise_()

    variables = getattr(window, "variables", None)
    if variables is not None:
        def search_variable() -> None:
            row = variables.table.currentRow()
            if row >= 0:
                name = variables.table.item(row, 0).text()
                if tab.dimensions.add_dimension(f"${name}", window.session.doc.variables[name]):
                    reveal()
        action = QAction("Search over…", variables.table)
        action.triggered.connect(search_variable)
        variables.table.addAction(action)
        variables.table.setContextMenuPolicy(Qt.ActionsContextMenu)
    panel = getattr(window, "training_panel", None)
    for path, widget in (getattr(panel, "widgets", None) or {}).items():
        label = panel.form.labelForField(widget)
        if path in ("dataset", "device", "recipe") or label is None:
            continue  # not settings a search compares runs over

        def search_key(_checked=False, key=path) -> None:
            if tab.dimensions.add_dimension(key, _get(panel._config(), key)):
                reveal()
        action = QAction(f"Search over {path}…", label)
        action.triggered.connect(search_key)
        label.addAction(action)
        label.setContextMenuPolicy(Qt.ActionsContextMenu)
