"""The training panel: a form generated from a declarative list of the document's ``training``
keys (dataset, recipe, optimizer, learning rate and schedule, epochs, batch size, regularization,
device, mixed precision, seed). Values live in the document: each edit is one undoable
``SetTraining`` (a nested key such as ``optimizer.lr`` replaces its whole ``optimizer`` dict),
and the form re-reads the document on ``training_changed``, so undo updates it too.
"""
from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLineEdit, QPushButton, QSpinBox, QWidget)

from studio.core.document import DOCUMENT_REPLACED
from studio.core.ops import SetTraining
from studio.gui.guard import guarded

FILE_KINDS = {".csv": "csv", ".npz": "npz"}


def _recipes():
    from studio.train.recipes import recipes
    return list(recipes())


def _optimizers():
    from studio.train.optim import OPTIMIZERS
    return list(OPTIMIZERS)


def _schedules():
    from studio.train.optim import Schedule
    return list(Schedule.KINDS)


def device_choices() -> list[tuple[str, str]]:
    """(value, label): auto, CPU, each CUDA GPU with its name and memory, MPS when present."""
    import torch
    out = [("auto", "auto (best available)"), ("cpu", "CPU")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            out.append((f"cuda:{i}", f"CUDA {i}: {p.name} ({p.total_memory / 2**30:.0f} GiB)"))
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        out.append(("mps", "Apple MPS"))
    return out


# (key path, label, kind, choices provider or None, tooltip)
FIELDS = [
    ("dataset", "Dataset", "dataset", None, "a bundled dataset, or a folder / file of yours"),
    ("recipe", "Recipe", "choice", _recipes, "how a training step uses the networks"),
    ("optimizer.name", "Optimizer", "choice", _optimizers, None),
    ("optimizer.lr", "Learning rate", "float", None, "e.g. 0.001 or 1e-3"),
    ("schedule.name", "LR schedule", "choice", _schedules, "learning-rate schedule over epochs"),
    ("epochs", "Epochs", "int", None, None),
    ("batch_size", "Batch size", "int", None, None),
    ("optimizer.weight_decay", "Weight decay", "float", None, "L2 regularization"),
    ("l1", "L1 penalty", "float", None, "weight · Σ|w| over kernels and weight matrices"),
    ("clip_grad_norm", "Clip grad norm", "float", None, "empty: no clipping"),
    ("device", "Device", "device", None, None),
    ("amp", "Mixed precision", "bool", None, "float16 autocast (CUDA only)"),
    ("seed", "Seed", "int", None, None),
    ("init_weights", "Initial weights", "text", None, "a run folder or a .safetensors file to "
     "start from (relative to the document's folder); empty: fresh weights"),
]


def _get(config: dict, path: str):
    value = config
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def updated_section(training: dict, path: str, value) -> dict:
    """``{top_key: new value}`` for setting ``path`` (``optimizer.lr``) to ``value``."""
    top, _, rest = path.partition(".")
    if not rest:
        return {top: value}
    old = training.get(top)
    whole = copy.deepcopy(old) if isinstance(old, dict) else ({"name": old} if old else {})
    if value is None:
        whole.pop(rest, None)
    else:
        whole[rest] = value
    return {top: whole}


class TrainingPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.form = QFormLayout(self)
        self.widgets: dict[str, QWidget] = {}
        for path, label, kind, provider, tip in FIELDS:
            widget = self._make(path, kind, provider)
            if tip:
                widget.setToolTip(tip)
            self.widgets[path] = widget
            self.form.addRow(label, widget)
        session.document_event.connect(self._on_event)
        if session.doc is not None:
            self.refresh()

    def report_error(self, text: str) -> None:
        self.session.message.emit(text)

    # ---- widgets ------------------------------------------------------------------------------
    def _make(self, path, kind, provider) -> QWidget:
        if kind in ("choice", "device"):
            box = QComboBox()
            items = device_choices() if kind == "device" else [(v, v) for v in provider()]
            for value, text in items:
                box.addItem(text, value)
            box.activated.connect(lambda _i, p=path, b=box: self.set_value(p, b.currentData()))
            return box
        if kind == "dataset":
            return self._dataset_widget()
        if kind == "int":
            spin = QSpinBox(minimum=0, maximum=10**9)
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda v, p=path: self.set_value(p, int(v)))
            return spin
        if kind == "bool":
            box = QCheckBox()
            box.toggled.connect(lambda on, p=path: self.set_value(p, bool(on)))
            return box
        line = QLineEdit()
        if kind == "text":  # empty text means "not set" (None), as in the document
            line.editingFinished.connect(
                lambda p=path, w=line: self.set_value(p, w.text().strip() or None))
            return line
        line.editingFinished.connect(lambda p=path, w=line: self._float_done(p, w))
        return line

    def _dataset_widget(self) -> QWidget:
        from studio.train.data.registry import known
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        self.dataset_box = QComboBox()
        for name, spec in sorted(known().items()):
            if name not in ("folder", "csv", "npz", "npy"):
                self.dataset_box.addItem(name, name)
                self.dataset_box.setItemData(self.dataset_box.count() - 1, spec.doc, 3)
        self.dataset_box.activated.connect(lambda _i: self.set_dataset(self.dataset_box.currentData()))
        browse = QPushButton("…")
        browse.setToolTip("your own data: an image folder (one sub-folder per class), a .csv or "
                          "a .npz file")
        browse.setFixedWidth(28)
        browse.clicked.connect(lambda: self.open_data_wizard())
        row.addWidget(self.dataset_box, 1)
        row.addWidget(browse)
        return holder

    # ---- edits --------------------------------------------------------------------------------
    @guarded
    def set_value(self, path: str, value) -> bool:
        doc = self.session.doc
        if value == _get(self._config(), path):
            return False
        values = updated_section(doc.training, path, value)
        return self.session.apply(SetTraining(self.session.scope, values),
                                  f"Set training {path}", merge_key=("training", path))

    def _float_done(self, path: str, line: QLineEdit) -> None:
        text = line.text().strip()
        try:
            value = None if text == "" else float(text)
        except ValueError:
            self.session.message.emit(f"training {path}: expected a number, got {text!r}")
            self.refresh()
            return
        if value is None and path in ("optimizer.lr",):
            self.session.message.emit("training optimizer.lr: a learning rate is needed")
            self.refresh()
            return
        self.set_value(path, value)

    @guarded
    def set_dataset(self, name: str, path: str | None = None) -> bool:
        """A bundled dataset by name (its options kept when the name stays), or a user's one."""
        old = self.session.doc.training.get("dataset")
        old = {"name": old} if isinstance(old, str) else dict(old or {})
        if path:
            new = {"name": name, "path": path}
        elif old.get("name") == name:
            return False
        else:
            new = {"name": name, **{k: v for k, v in old.items()
                                    if k in ("size", "channels", "range", "split")}}
        return self.session.apply(SetTraining(self.session.scope, {"dataset": new}),
                                  "Set training dataset")

    @guarded
    def open_data_wizard(self):
        """Your own data step by step: choose, see what the network receives, fit it to it."""
        from studio.gui.data.dataset_wizard import DatasetWizard
        self.data_wizard = DatasetWizard(self.session, self)
        self.data_wizard.open()
        return self.data_wizard

    @guarded
    def browse_dataset(self, path: str | None = None) -> bool:
        if path is None:
            path = QFileDialog.getExistingDirectory(self, "Image folder (one sub-folder per "
                                                          "class)")
        if not path:
            return False
        p = Path(path)
        if p.is_dir():
            return self.set_dataset("folder", str(p))
        kind = FILE_KINDS.get(p.suffix.lower())
        if kind is None:
            self.session.message.emit(f"{p.name}: expected an image folder, a .csv or a .npz")
            return False
        return self.set_dataset(kind, str(p))

    # ---- document -> form ---------------------------------------------------------------------
    def _config(self) -> dict:
        from studio.train.config import with_defaults
        return with_defaults(self.session.doc.training)

    def _on_event(self, event: str, _info: dict) -> None:
        if event in ("training_changed", DOCUMENT_REPLACED):
            self.refresh()

    def refresh(self) -> None:
        config = self._config()
        for path, _, kind, _, _ in FIELDS:
            widget, value = self.widgets[path], _get(config, path)
            widget.blockSignals(True)
            if kind == "dataset":
                self._show_dataset(value or {})
            elif isinstance(widget, QComboBox):
                index = widget.findData(value)
                if index < 0 and value is not None:
                    widget.addItem(str(value), value)  # keep an unknown value visible
                    index = widget.count() - 1
                widget.setCurrentIndex(max(index, 0))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value) if isinstance(value, (int, float)) else 0)
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            else:
                widget.setText("" if value is None else f"{value:g}"
                               if isinstance(value, (int, float)) else str(value))
            widget.blockSignals(False)

    def _show_dataset(self, spec: dict) -> None:
        name = spec.get("name") if isinstance(spec, dict) else spec
        box = self.dataset_box
        box.blockSignals(True)
        label = f"{name}: {Path(spec['path']).name}" if spec.get("path") else name
        index = box.findData(name) if not spec.get("path") else -1
        if index < 0:
            box.addItem(label, name)
            index = box.count() - 1
        box.setCurrentIndex(index)
        box.setToolTip(spec.get("path") or box.itemData(index, 3) or "")
        box.blockSignals(False)
