"""The Data tab beside the Dashboard: the document's dataset as the network will see it.

A grid of training samples with their labels, the augmentation preview (the first sample and
eight augmented versions of it, from the training section's augment list), split sizes, each
field's shape against the Input node it feeds (a mismatch in red with the edit that fixes it),
the class histogram and what the network receives (the preprocessing an export records).
Everything is computed by :func:`studio.train.data.overview.data_overview` on a worker thread
from a copy of the document, because loading an image folder can take seconds; a missing or
broken dataset is a message in the tab. It reloads when the training section, a variable or
the document changes, only while visible (a hidden tab is marked stale and loads when shown).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QScrollArea,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.gui.data.samples_view import ClassHistogram, SampleGrid
from studio.gui.guard import guarded
from studio.gui.lab.lab_jobs import LabJob

RELOAD_ON = ("training_changed", "variable_changed", "document_replaced", "params_changed")
BAD = "color: #c0392b;"


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 8, 0, 2)
    return label


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


class DataTab(QWidget):
    loaded = Signal(object)  # the DataOverview shown (tests and the wizard wait on it)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.job: LabJob | None = None
        self.overview = None
        self.stale = True
        self.generation = 0  # bumped by every change; a result of an older one is not final
        self.wizard = None
        self._debounce = QTimer(self, singleShot=True, interval=300)
        self._debounce.timeout.connect(self.reload)
        self._build()
        session.document_event.connect(self._on_event)
        session.document_replaced.connect(lambda: self._on_event("document_replaced", {}))

    # ---- building ------------------------------------------------------------------------
    def _build(self) -> None:
        self.title = QLabel("Data")
        self.status = QLabel("")
        self.reload_button = QPushButton("Reload")
        self.reload_button.clicked.connect(lambda: self.reload())
        self.choose_button = QPushButton("Choose data…")
        self.choose_button.setToolTip("your own image folder, CSV or NPZ file, step by step")
        self.choose_button.clicked.connect(lambda: self.open_wizard())
        self.fit_button = QPushButton("Fit network to data")
        self.fit_button.setEnabled(False)
        self.fit_button.clicked.connect(lambda: self.fit_network())
        top = QHBoxLayout()
        for w in (self.title, self.status):
            top.addWidget(w)
        top.addStretch(1)
        for w in (self.reload_button, self.choose_button, self.fit_button):
            top.addWidget(w)
        self.error = QLabel()
        self.error.setStyleSheet(BAD)
        self.error.setWordWrap(True)
        self.error.hide()
        self.samples = SampleGrid(columns=10, side=80)
        self.augment_title = _heading("Augmentation preview")
        self.augmented = SampleGrid(columns=9, side=72)
        left = QWidget()
        column = QVBoxLayout(left)
        column.addWidget(_heading("Training samples"))
        column.addWidget(self.samples)
        column.addWidget(self.augment_title)
        column.addWidget(self.augmented)
        column.addStretch(1)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(_scrolled(left))
        splitter.addWidget(_scrolled(self._facts()))
        splitter.setSizes([900, 500])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 4, 6, 4)
        outer.addLayout(top)
        outer.addWidget(self.error)
        outer.addWidget(splitter, 1)
        self.body = splitter

    def _facts(self) -> QWidget:
        right = QWidget()
        column = QVBoxLayout(right)
        self.splits = QLabel()
        self.fields = QTableWidget(0, 5)
        self.fields.setHorizontalHeaderLabels(["field", "shape", "dtype", "values",
                                               "network input"])
        self.fields.verticalHeader().hide()
        self.fields.setMaximumHeight(130)
        self.mismatch = QLabel()
        self.mismatch.setWordWrap(True)
        self.mismatch.setStyleSheet(BAD)
        self.histogram = ClassHistogram()
        self.histogram.setFixedHeight(170)
        self.receives = QLabel()
        self.receives.setWordWrap(True)
        self.receives.setTextInteractionFlags(Qt.TextSelectableByMouse)
        for w in (_heading("Splits"), self.splits, _heading("Fields"), self.fields,
                  self.mismatch, _heading("Classes (training split)"), self.histogram,
                  _heading("What the network receives"), self.receives):
            column.addWidget(w)
        column.addStretch(1)
        return right

    # ---- loading -------------------------------------------------------------------------
    def _on_event(self, event: str, info) -> None:
        if event not in RELOAD_ON:
            return
        self.stale = True
        self.generation += 1
        if self.isVisible():
            self._debounce.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.stale:
            self._debounce.start()

    @guarded
    def reload(self) -> None:
        """Load the dataset of a copy of the document on a worker thread."""
        from studio.train.data.overview import data_overview
        self.generation += 1
        if self.job is not None and self.job.isRunning():
            self._debounce.start()  # one load at a time; this one follows
            return
        self.stale = False
        doc, generation = self.session.doc.copy(), self.generation
        self.status.setText("loading…")
        self.job = LabJob(lambda progress: (generation, data_overview(doc)))
        self.job.succeeded.connect(self._loaded)
        self.job.failed.connect(self.report_error)
        self.job.start()

    def report_error(self, text: str) -> None:
        self.status.setText("")
        self.error.setText(text)
        self.error.show()

    def shutdown(self) -> None:
        if self.job is not None:
            self.job.wait(10000)

    # ---- showing -------------------------------------------------------------------------
    def _loaded(self, result) -> None:
        generation, overview = result
        self.show_overview(overview, final=generation == self.generation)

    @guarded
    def show_overview(self, overview, final: bool = True) -> None:
        """Show ``overview``; ``loaded`` only when no change came after it was asked for."""
        self.overview = overview
        self.status.setText("")
        self.error.setVisible(bool(overview.error))
        self.body.setVisible(not overview.error)
        self.error.setText(f"The dataset cannot be shown: {overview.error}"
                           if overview.error else "")
        spec = overview.spec
        self.title.setText(f"<b>Dataset {spec.get('name', '?')}</b> "
                           + " ".join(f"{k}={v}" for k, v in spec.items() if k != "name"))
        if overview.error:
            self.fit_button.setEnabled(False)
            self._done(overview, final)
            return
        d = overview.description
        self.splits.setText(", ".join(f"{k}: {v if v is not None else '-'}"
                                      for k, v in d.splits.items()))
        self.samples.show_samples(overview.samples, overview.columns)
        self._show_augmented(overview)
        self._show_fields(overview)
        self.histogram.show_counts(d.class_counts, d.classes)
        self.receives.setText("<br>".join(overview.preprocessing + [f"note: {n}"
                                                                   for n in d.notes]))
        self._done(overview, final)

    def _done(self, overview, final: bool) -> None:
        if final:
            self.loaded.emit(overview)
        else:
            self.status.setText("loading…")

    def _show_augmented(self, overview) -> None:
        names = ", ".join(overview.augment_names)
        if overview.augmented:
            self.augment_title.setText(f"<b>Augmentation preview</b> — the first sample, then "
                                       f"8 draws of {names}")
            self.augmented.show_samples([overview.samples[0], *overview.augmented])
        else:
            self.augment_title.setText("<b>Augmentation preview</b> — no random augmentation "
                                       "in the training section")
            self.augmented.clear()

    def _show_fields(self, overview) -> None:
        d = overview.description
        checks = {c.field: c for c in overview.inputs}
        self.fields.setRowCount(len(d.fields))
        for r, f in enumerate(d.fields):
            check = checks.get(f.name)
            want = f"{check.node}: {tuple(check.want)}" if check else ""
            cells = [f.name, str(tuple(f.shape)), f.dtype, f"{f.low:.3g}..{f.high:.3g}", want]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if check is not None and not check.ok:
                    item.setForeground(Qt.red)
                self.fields.setItem(r, c, item)
        self.fields.resizeColumnsToContents()
        bad = [c for c in overview.inputs if not c.ok]
        lines = [f"{c.node} expects {tuple(c.want)}, field {c.field!r} has "
                 f"{tuple(c.got) if c.got is not None else 'no such field'}" for c in bad]
        if overview.fit_changes:
            lines.append("Fit network to data would set: " + "; ".join(overview.fit_changes))
        self.mismatch.setText("<br>".join(lines))
        self.mismatch.setVisible(bool(lines))
        self.fit_button.setEnabled(bool(overview.fit_changes))

    # ---- actions -------------------------------------------------------------------------
    @guarded
    def fit_network(self) -> bool:
        """Fit the network's Input shape and class count to the data: one undoable edit."""
        from studio.train.data.fitting import fit_to_data
        from studio.train.data.registry import load_dataset
        from studio.train.config import resolve_config
        doc = self.session.doc
        config = resolve_config(doc)
        network = "model" if "model" in doc.networks else next(iter(doc.networks))
        fit = fit_to_data(doc, network, load_dataset(config["dataset"], int(config["seed"])))
        if not fit.ops:
            self.session.message.emit("the network already fits the data")
            return False
        done = self.session.apply(fit.batch(self.session.scope), "Fit network to data")
        if done:
            self.session.message.emit("fitted to the data: " + "; ".join(fit.changes))
        return done

    @guarded
    def open_wizard(self):
        from studio.gui.data.dataset_wizard import DatasetWizard
        self.wizard = DatasetWizard(self.session, self)
        self.wizard.show()
        return self.wizard


def install_data_tab(window) -> DataTab:
    """The Data dock, tabified with the Dashboard, and its entry in the View menu."""
    tab = DataTab(window.session)
    from studio.gui.docks import add_bottom_dock
    dock = add_bottom_dock(window, "Data", tab)
    window.data_tab, window.data_dock = tab, dock
    return tab
