"""Choosing your own data, step by step: a folder / CSV / NPZ, its columns or arrays, and what
the network will receive, ending with the dataset set and (when agreed) the network fitted.

The path is understood as ``--data PATH`` is (:func:`studio.train.data.detect.guess`); the
options shown depend on the kind (image size and channels for folders, the label column and
feature columns of a CSV, which arrays feed the input and the label of an NPZ). Every change
re-describes the data on a worker thread (:func:`studio.train.data.describe.describe`) and
lists what *Fit the network to the data* would change. Finish applies one undoable edit: the
dataset, plus the fit when its box is ticked.
"""
from __future__ import annotations

import csv
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QSpinBox, QVBoxLayout)

from studio.gui.guard import guarded
from studio.gui.lab.lab_jobs import LabJob


def _header(path: Path) -> list[str]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def _arrays(path: Path) -> list[str]:
    import numpy as np
    try:
        with np.load(path, allow_pickle=False) as archive:
            return list(archive.files)
    except (OSError, ValueError, EOFError, AttributeError):
        return []


def preview(doc, spec: dict) -> dict:
    """What the wizard shows for ``spec``: description lines and the fit it would make.
    Runs on the worker thread; the document is a copy."""
    from studio.train.data.describe import describe
    from studio.train.data.fitting import fit_to_data
    from studio.train.data.registry import load_dataset
    description = describe(spec)
    network = "model" if "model" in doc.networks else next(iter(doc.networks))
    fit = fit_to_data(doc, network, load_dataset(spec))
    return {"lines": description.lines(), "changes": fit.changes, "spec": spec}


class DatasetWizard(QDialog):
    previewed = Signal(object)  # the preview dict shown (tests wait on it)

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Your own data")
        self.resize(640, 560)
        self.spec: dict | None = None
        self.result_preview: dict | None = None
        self.job: LabJob | None = None
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.refresh)
        self._build()

    def _build(self) -> None:
        self.path = QLineEdit()
        self.path.setPlaceholderText("an image folder (one sub-folder per class), a .csv or .npz")
        self.path.editingFinished.connect(lambda: self.set_path(self.path.text()))
        folder, file = QPushButton("Folder…"), QPushButton("File…")
        folder.clicked.connect(lambda: self._browse(True))
        file.clicked.connect(lambda: self._browse(False))
        row = QHBoxLayout()
        for w in (self.path, folder, file):
            row.addWidget(w)
        self.taken = QLabel()
        self.taken.setWordWrap(True)
        self.form = QFormLayout()
        self.size = QSpinBox(minimum=4, maximum=1024, value=32)
        self.channels = QComboBox()
        self.channels.addItems(["1 (gray)", "3 (RGB)"])
        self.label = QComboBox()
        self.features = QListWidget()
        self.input_array, self.label_array = QComboBox(), QComboBox()
        for w in (self.size, self.channels, self.label, self.input_array, self.label_array):
            signal = w.valueChanged if isinstance(w, QSpinBox) else w.currentIndexChanged
            signal.connect(lambda *_: self._changed())
        self.features.itemChanged.connect(lambda *_: self._changed())
        self.receives = QLabel("Choose a folder or a file.")
        self.receives.setWordWrap(True)
        self.receives.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.fit = QCheckBox("Fit the network to the data (Input shape, number of classes)")
        self.fit.setChecked(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Use this data")
        self.buttons.accepted.connect(lambda: self.finish())
        self.buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        column.addWidget(QLabel("<b>1. Your data</b>: an image folder, a .csv or a .npz file"))
        column.addLayout(row)
        column.addWidget(self.taken)
        column.addWidget(QLabel("<b>2. How to read it</b>"))
        column.addLayout(self.form)
        column.addWidget(QLabel("<b>3. What the network will receive</b>"))
        column.addWidget(self.receives, 1)
        column.addWidget(self.fit)
        column.addWidget(self.buttons)
        self._show_options(None)

    # ---- choosing ------------------------------------------------------------------------
    def _browse(self, folder: bool) -> None:
        path = (QFileDialog.getExistingDirectory(self, "Image folder") if folder else
                QFileDialog.getOpenFileName(self, "Data file", "", "Data (*.csv *.npz)")[0])
        if path:
            self.set_path(path)

    @guarded
    def set_path(self, text: str) -> bool:
        from studio.train.data.detect import guess
        self.path.setText(text)
        try:
            spec, what = guess(text.strip())
        except ValueError as e:
            self.spec = None
            self.taken.setText(str(e))
            self._show_options(None)
            self._set_ok(False)
            return False
        self.spec = spec
        self.taken.setText(what)
        self._show_options(spec)
        self._changed()
        return True

    def _show_options(self, spec: dict | None) -> None:
        while self.form.rowCount():
            self.form.takeRow(0)
        kind = (spec or {}).get("name")
        rows = {"folder": [("Image size", self.size), ("Channels", self.channels)],
                "csv": [("Label column", self.label), ("Feature columns", self.features)],
                "npz": [("Input array", self.input_array), ("Label array", self.label_array)]}
        for w in (self.size, self.channels, self.label, self.features, self.input_array,
                  self.label_array):
            w.hide()
        for text, widget in rows.get(kind, []):
            widget.show()
            self.form.addRow(text, widget)
        path = Path(spec["path"]) if spec else None
        if kind == "folder":
            self._image_defaults()
        elif kind == "csv":
            self._fill_columns(_header(path))
        elif kind == "npz":
            self._fill_arrays(_arrays(path))
        self._set_ok(False)

    def _image_defaults(self) -> None:
        """Size and channels as the network's Input takes them, so only what the data cannot
        change (the number of classes) is left for the fit."""
        from studio.core.params import resolve
        from studio.core.variables import scope_for
        doc = self.session.doc
        graph = doc.networks.get("model") or next(iter(doc.networks.values()), None)
        node = next((n for n in (graph.nodes.values() if graph else ()) if n.type == "io.Input"),
                    None)
        try:
            shape = [int(v) for v in resolve(node.params.get("shape", []), scope_for(doc))]
        except Exception:  # an unresolved shape: keep the dataset's own defaults
            shape = []
        for w in (self.size, self.channels):
            w.blockSignals(True)
        if len(shape) == 3 and shape[0] in (1, 3) and shape[1] == shape[2]:
            self.channels.setCurrentIndex(0 if shape[0] == 1 else 1)
            self.size.setValue(shape[1])
        else:
            self.channels.setCurrentIndex(1)
        for w in (self.size, self.channels):
            w.blockSignals(False)

    def _fill_columns(self, header: list[str]) -> None:
        for w in (self.label, self.features):
            w.blockSignals(True)
        self.label.clear()
        self.label.addItems(header)
        guess = next((c for c in reversed(header) if c.lower() in ("label", "target", "class",
                                                                    "species", "y")),
                     header[-1] if header else "")
        self.label.setCurrentText(guess)
        self.features.clear()
        for name in header:
            item = QListWidgetItem(name)
            item.setCheckState(_check_state(name != guess))
            self.features.addItem(item)
        for w in (self.label, self.features):
            w.blockSignals(False)

    def _fill_arrays(self, names: list[str]) -> None:
        for box, wanted in ((self.input_array, ("image", "x", "images", "inputs")),
                            (self.label_array, ("label", "y", "labels", "target"))):
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            box.setCurrentText(next((n for n in names if n in wanted), names[0] if names else ""))
            box.blockSignals(False)

    def current_spec(self) -> dict | None:
        """The dataset spec the form describes now."""
        if self.spec is None:
            return None
        spec = {"name": self.spec["name"], "path": self.spec["path"]}
        if spec["name"] == "folder":
            spec.update(size=self.size.value(), channels=(1, 3)[self.channels.currentIndex()])
        elif spec["name"] == "csv":
            label = self.label.currentText()
            spec["label"] = label
            spec["features"] = [self.features.item(i).text() for i in range(self.features.count())
                                if self.features.item(i).checkState() == _check_state(True)
                                and self.features.item(i).text() != label]
        elif spec["name"] == "npz":
            field = "image" if self._array_is_image() else "x"
            spec["fields"] = {field: self.input_array.currentText(),
                              "label": self.label_array.currentText()}
        return spec

    def _array_is_image(self) -> bool:
        return self.input_array.currentText() in ("image", "images")

    # ---- previewing ----------------------------------------------------------------------
    def _changed(self) -> None:
        self._set_ok(False)
        self._debounce.start()

    @guarded
    def refresh(self) -> None:
        spec = self.current_spec()
        if spec is None:
            return
        if self.job is not None and self.job.isRunning():
            self._debounce.start()
            return
        doc = self.session.doc.copy()
        self.receives.setText("reading the data…")
        self.job = LabJob(lambda progress: preview(doc, spec))
        self.job.succeeded.connect(self._show_preview)
        self.job.failed.connect(self._show_failure)
        self.job.start()

    def _show_preview(self, result: dict) -> None:
        if result["spec"] != self.current_spec():
            return  # the form changed meanwhile; the next preview is on its way
        self.result_preview = result
        changes = result["changes"]
        fit = ("<br><b>Fitting the network would set:</b> " + "; ".join(changes)) if changes \
            else "<br>The network already fits this data."
        self.receives.setText("<br>".join(result["lines"]) + fit)
        self.fit.setEnabled(bool(changes))
        self._set_ok(True)
        self.previewed.emit(result)

    def _show_failure(self, text: str) -> None:
        self.result_preview = None
        self.receives.setText(f"<span style='color:#c0392b'>{text}</span>")
        self._set_ok(False)
        self.previewed.emit(None)

    def report_error(self, text: str) -> None:
        """Where ``guarded`` puts an unexpected failure: in the dialog, not a traceback."""
        self._show_failure(text)

    def _set_ok(self, on: bool) -> None:
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(on)

    # ---- finishing -----------------------------------------------------------------------
    def done(self, result: int) -> None:
        """Closing waits for a preview still reading (a QThread must not die running)."""
        if self.job is not None:
            self.job.wait(30000)
        super().done(result)

    @guarded
    def finish(self) -> bool:
        """Set the dataset (and fit the network when ticked) as one undoable edit."""
        from studio.core.ops import Batch, SetTraining
        from studio.train.data.fitting import fit_to_data
        from studio.train.data.registry import load_dataset
        spec = self.current_spec()
        if spec is None or self.result_preview is None:
            return False
        doc = self.session.doc
        network = "model" if "model" in doc.networks else next(iter(doc.networks))
        ops = [SetTraining(self.session.scope, {"dataset": spec})]
        changes = []
        if self.fit.isChecked() and self.fit.isEnabled():
            fit = fit_to_data(doc, network, load_dataset(spec))
            ops += fit.ops
            changes = fit.changes
        title = "Use your own data" + (" and fit the network" if changes else "")
        if not self.session.apply(Batch(self.session.scope, ops, title), title):
            return False
        self.session.message.emit(f"dataset {spec['name']} {spec['path']}"
                                  + (f"; fitted: {'; '.join(changes)}" if changes else ""))
        self.accept()
        return True


def _check_state(on: bool):
    return Qt.Checked if on else Qt.Unchecked
