"""File > Import…: a torchvision or timm model, the user's own Python class or an ONNX file
becomes a document with its weights (``studio.importer``), written as ``NAME.nnet.json`` +
``NAME.safetensors`` and opened in the window.

The import runs on a QThread (building, tracing and the numeric proof take seconds); its
progress callback reports to the dialog and returns False once Cancel is pressed, so the
importer stops at its next step. Code from a Python file is only run with *Trust* checked.
"""
from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import QStringListModel, Qt, QThread, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QCompleter, QDialog, QDialogButtonBox,
                               QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QVBoxLayout, QWidget)

KINDS = ("torchvision", "timm", "Python file", "ONNX file")
_NAME_HINT = {"torchvision": "resnet18", "timm": "convnext_tiny", "Python file": "ClassName",
              "ONNX file": ""}


def model_names(kind: str) -> list[str]:
    """Names to complete for ``kind``: torchvision's builders, timm's models when installed."""
    try:
        if kind == "torchvision":
            from torchvision import models
            return sorted(models.list_models())
        if kind == "timm":
            import timm
            return sorted(timm.list_models())
    except ImportError:
        return []
    return []


def parse_shape(text: str) -> tuple[int, ...] | None:
    """``"1x3x224x224"`` (or commas/spaces) -> (1, 3, 224, 224); empty -> None."""
    parts = [p for p in text.replace(",", "x").replace(" ", "x").lower().split("x") if p]
    if not parts:
        return None
    if not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"input shape: expected sizes like 1x3x224x224, got {text!r}")
    return tuple(int(p) for p in parts)


class ImportJob(QThread):
    """``import_model`` + ``write_import`` off the GUI thread; results come back as signals."""

    progressed = Signal(float, str)
    succeeded = Signal(object, object)  # (document path, ImportReport)
    failed = Signal(str)

    def __init__(self, source: str, out: Path, options: dict, parent=None):
        super().__init__(parent)
        self.source, self.out, self.options = source, out, options
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def _progress(self, fraction: float, what: str = "") -> bool:
        self.progressed.emit(float(fraction), str(what))
        return not self.cancelled

    def run(self) -> None:
        try:
            from studio.importer import ImportFailed, import_model, write_import
            result = import_model(self.source, progress=self._progress, **self.options)
            if self.cancelled:
                raise ImportFailed("import cancelled")
            doc_path, _ = write_import(result, self.out)
        except Exception as e:  # noqa: BLE001 - reported through the signal, never raised
            if type(e).__name__ != "ImportFailed":
                traceback.print_exc()
            self.failed.emit(str(e) if type(e).__name__ == "ImportFailed" else
                             f"{type(e).__name__}: {e}")
        else:
            self.succeeded.emit(doc_path, result.report)


class ImportDialog(QDialog):
    """The form; ``start()`` runs the import, ``finished_import`` carries the written path."""

    finished_import = Signal(object)  # document path, or None after a failure / cancel

    def __init__(self, parent=None, folder: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import a model")
        self.folder = Path(folder or Path.home())
        self.job: ImportJob | None = None
        self.kind = QComboBox()
        self.kind.addItems(KINDS)
        self.name = QLineEdit()
        self.names = QStringListModel(self)  # owned here: the completer does not keep it
        self.completer = QCompleter(self.names, self)
        self.completer.setCaseSensitivity(Qt.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchContains)
        self.name.setCompleter(self.completer)
        self.file = QLineEdit()
        self.shape = QLineEdit()
        self.shape.setPlaceholderText("e.g. 1x3x224x224 (empty: the model's default)")
        self.weights = QComboBox()
        self.weights.addItems(["random (no weights)", "DEFAULT (pretrained, from the local cache)",
                               "a weights file…"])
        self.weights_file = QLineEdit()
        self.weights_file.setPlaceholderText(".safetensors, or a .pt/.pth state_dict")
        self.trust = QCheckBox("Trust this code (it will run to build the model)")
        self.out = QLineEdit()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self._layout()
        self.kind.currentTextChanged.connect(self._kind_changed)
        self.name.textChanged.connect(self._suggest_out)
        self.file.textChanged.connect(self._suggest_out)
        self.weights.currentIndexChanged.connect(self._weights_changed)
        self._kind_changed(self.kind.currentText())

    # ----- layout ----------------------------------------------------------------------------
    def _with_browse(self, field: QLineEdit, pick) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(field, 1)
        button = QPushButton("Browse…")
        button.clicked.connect(pick)
        box.addWidget(button)
        return row

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Source", self.kind)
        form.addRow("Model", self.name)
        self.file_row = self._with_browse(self.file, self._pick_file)
        form.addRow("File", self.file_row)
        form.addRow("Input shape", self.shape)
        form.addRow("Weights", self.weights)
        form.addRow("", self._with_browse(self.weights_file, self._pick_weights))
        form.addRow("", self.trust)
        form.addRow("Save as", self._with_browse(self.out, self._pick_out))
        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.Cancel)
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.progress)
        column.addWidget(self.status)
        column.addWidget(self.buttons)
        self.resize(560, 0)

    def _kind_changed(self, kind: str) -> None:
        self.names.setStringList(model_names(kind))
        self.name.setPlaceholderText(_NAME_HINT[kind])
        self.name.setEnabled(kind != "ONNX file")
        self.file_row.setEnabled(kind in ("Python file", "ONNX file"))
        self.trust.setEnabled(kind == "Python file")
        self.weights.setEnabled(kind != "ONNX file")  # an ONNX file holds its weights
        self._weights_changed()
        self._suggest_out()

    def _weights_changed(self, *_) -> None:
        self.weights_file.setEnabled(self.weights.isEnabled() and self.weights.currentIndex() == 2)

    def _suggest_out(self) -> None:
        """``FOLDER/NAME.nnet.json`` until the user types a place of their own."""
        if self.out.isModified():
            return
        stem = self.name.text().strip() or Path(self.file.text().strip()).stem
        stem = "".join(c for c in stem if c.isalnum() or c in "-_") or "imported"
        self.out.setText(str(self.folder / f"{stem}.nnet.json"))

    def _pick_file(self) -> None:
        pattern = "ONNX files (*.onnx)" if self.kind.currentText() == "ONNX file" else \
            "Python files (*.py)"
        path, _ = QFileDialog.getOpenFileName(self, "Model file", str(self.folder), pattern)
        if path:
            self.file.setText(path)

    def _pick_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Weights", str(self.folder),
                                              "Weights (*.safetensors *.pt *.pth)")
        if path:
            self.weights_file.setText(path)
            self.weights.setCurrentIndex(2)

    def _pick_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the imported document", self.out.text(),
                                              "NetStudio documents (*.nnet.json)")
        if path:
            self.out.setText(path)
            self.out.setModified(True)

    # ----- running ---------------------------------------------------------------------------
    def request(self) -> tuple[str, Path, dict]:
        """(source, output path, import options) from the form; ValueError says what is wrong."""
        kind, name, file = self.kind.currentText(), self.name.text().strip(), self.file.text().strip()
        if kind in ("torchvision", "timm"):
            if not name:
                raise ValueError(f"Model: give a {kind} model name, e.g. {_NAME_HINT[kind]}")
            source = f"{kind}:{name}"
        elif kind == "Python file":
            if not file or not name:
                raise ValueError("File and Model: give the .py file and the class in it")
            source = f"python:{file}:{name}"
        else:
            if not file.lower().endswith(".onnx"):
                raise ValueError("File: choose an .onnx file")
            source = file
        options = {"input_shape": parse_shape(self.shape.text())}
        if kind != "ONNX file":
            choice = self.weights.currentIndex()
            weights = None if choice == 0 else "DEFAULT" if choice == 1 else \
                self.weights_file.text().strip()
            if choice == 2 and not weights:
                raise ValueError("Weights: choose a weights file")
            options.update(weights=weights, trust=self.trust.isChecked())
        out = self.out.text().strip()
        if not out:
            raise ValueError("Save as: choose where to write the document")
        return source, Path(out), options

    def start(self) -> bool:
        if self.job is not None:
            return False
        try:
            source, out, options = self.request()
        except ValueError as e:
            self.status.setText(str(e))
            return False
        self.job = ImportJob(source, out, options, self)
        self.job.progressed.connect(self._progressed)
        self.job.succeeded.connect(self._succeeded)
        self.job.failed.connect(self._failed)
        self.import_button.setEnabled(False)
        self.status.setText(f"Importing {source}…")
        self.job.start()
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling…")
        else:
            self.reject()

    def _progressed(self, fraction: float, what: str) -> None:
        self.progress.setValue(int(1000 * max(0.0, min(1.0, fraction))))
        if what and self.job is not None and not self.job.cancelled:
            self.status.setText(what)

    def _done(self) -> None:
        if self.job is not None:
            self.job.wait()
            self.job = None
        self.import_button.setEnabled(True)

    def _succeeded(self, doc_path, report) -> None:
        self._done()
        self.report = report
        self.status.setText("\n".join(report.lines()))
        self.finished_import.emit(doc_path)
        self.accept()

    def _failed(self, message: str) -> None:
        self._done()
        self.progress.setValue(0)
        self.status.setText(message)
        self.finished_import.emit(None)


def open_import_dialog(window) -> ImportDialog:
    """Show the dialog for ``window``; a finished import opens its document there."""
    folder = Path(window.session.path).parent if window.session.path else None
    dialog = ImportDialog(window, folder)

    def opened(path) -> None:
        if path is not None and window.maybe_save():
            window.open_path(str(path))  # the importers lay the network out
    dialog.finished_import.connect(opened)
    dialog.setAttribute(Qt.WA_DeleteOnClose)
    dialog.show()
    return dialog
