"""The search section as a form: its dimensions in a table and the study's settings. Every
change is one ``SetSearch`` undo step; the form re-reads the document on ``search_changed``."""
from __future__ import annotations

import json

from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton,
                               QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.document import DOCUMENT_REPLACED
from studio.core.op_args import OpError
from studio.core.ops_search import SetSearch
from studio.core.search_section import PRUNERS, SAMPLERS

COLUMNS = ("name", "type", "low", "high", "step", "log", "choices")


def dimension_for(name: str, value) -> dict:
    """A first distribution around a setting's current value: a whole number from a quarter to
    four times it, a positive float over a log decade each way, anything else as a choice."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return {"name": name, "type": "choice", "choices": [value]}
    if isinstance(value, int):
        return {"name": name, "type": "int", "low": max(1, value // 4), "high": max(2, value * 4)}
    if isinstance(value, float) and value > 0:
        return {"name": name, "type": "float", "low": value / 10, "high": value * 10, "log": True}
    return {"name": name, "type": "float", "low": min(0.0, value), "high": max(1.0, value)}


def _text(value) -> str:
    return "" if value is None else json.dumps(value)


class DimensionsEditor(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemChanged.connect(self._edited)
        remove = QPushButton("Remove dimension")
        remove.clicked.connect(self.remove_selected)
        self.trials = QSpinBox(minimum=1, maximum=100000, value=20)
        self.trials.valueChanged.connect(lambda v: self.set_key("trials", int(v)))
        self.sampler, self.pruner = QComboBox(), QComboBox()
        self.sampler.addItems(SAMPLERS)
        self.pruner.addItems(PRUNERS)
        self.sampler.activated.connect(lambda _i: self.set_key("sampler",
                                                               self.sampler.currentText()))
        self.pruner.activated.connect(lambda _i: self.set_key("pruner", self.pruner.currentText()))
        self.objective = QLineEdit(placeholderText="default: the recipe's (val.accuracy)")
        self.objective.editingFinished.connect(
            lambda: self.set_key("objective", self.objective.text().strip() or None))
        form = QFormLayout()
        form.addRow("objective", self.objective)
        form.addRow("trials", self.trials)
        row = QHBoxLayout()
        row.addWidget(self.sampler)
        row.addWidget(self.pruner)
        form.addRow("sampler / pruner", row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addWidget(remove)
        layout.addLayout(form)
        session.document_event.connect(self._on_event)
        if session.doc is not None:
            self.refresh()

    def _on_event(self, event: str, _info: dict) -> None:
        if event in ("search_changed", DOCUMENT_REPLACED):
            self.refresh()

    def section(self) -> dict:
        return json.loads(json.dumps(self.session.doc.search or {}))

    def apply(self, section: dict, title: str) -> bool:
        try:
            op = SetSearch(self.session.scope, section)
        except OpError as e:
            self.session.message.emit(str(e))
            return False
        return self.session.apply(op, title)

    def add_dimension(self, name: str, value) -> bool:
        """Search over a variable (``$width``) or training key, starting around ``value``."""
        section = self.section()
        dims = section.setdefault("dimensions", [])
        if any(d.get("name") == name for d in dims if isinstance(d, dict)):
            self.session.message.emit(f"{name} is searched already (see the Search tab)")
            return False
        dims.append(dimension_for(name, value))
        return self.apply(section, f"Search over {name}")

    def set_key(self, key: str, value) -> bool:
        section = self.section()
        if section.get(key) == value:
            return False
        if value is None:
            section.pop(key, None)
        else:
            section[key] = value
        return self.apply(section, f"Search {key}")

    def remove_selected(self) -> bool:
        row = self.table.currentRow()
        section = self.section()
        dims = section.get("dimensions", [])
        if not 0 <= row < len(dims):
            return False
        name = dims.pop(row).get("name")
        return self.apply(section, f"Stop searching {name}")

    def _edited(self, item) -> None:
        section = self.section()
        dims = section.get("dimensions", [])
        if not 0 <= item.row() < len(dims):
            return
        key, text = COLUMNS[item.column()], item.text().strip()
        try:
            value = json.loads(text) if text else None
        except ValueError:
            value = text  # a name or a type typed without quotes
        if value is None:
            dims[item.row()].pop(key, None)
        else:
            dims[item.row()][key] = value
        self.apply(section, f"Edit search dimension {key}")

    def refresh(self) -> None:
        section = self.session.doc.search or {}
        dims = [d for d in section.get("dimensions", []) if isinstance(d, dict)]
        self.table.blockSignals(True)
        self.table.setRowCount(len(dims))
        for row, dim in enumerate(dims):
            for col, key in enumerate(COLUMNS):
                value = dim.get(key)
                self.table.setItem(row, col, QTableWidgetItem(
                    value if isinstance(value, str) else _text(value)))
        self.table.blockSignals(False)
        for widget, key, default in ((self.sampler, "sampler", "tpe"),
                                     (self.pruner, "pruner", "median")):
            widget.setCurrentText(str(section.get(key) or default))
        self.trials.blockSignals(True)
        self.trials.setValue(int(section.get("trials") or 20))
        self.trials.blockSignals(False)
        self.objective.setText(str(section.get("objective") or ""))
