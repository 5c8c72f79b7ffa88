"""Document variables (classes, width, input size): edit a value and every node that refers to
it (``$name``) is re-inferred. Each change is one SetVariable undo step."""
from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QInputDialog, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from studio.core.document import DOCUMENT_REPLACED
from studio.core.params import parse_value
from studio.core.ops import OpError, SetVariable


class VariablesPanel(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(("variable", "value"))
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        add, remove = QPushButton("Add…"), QPushButton("Remove")
        add.clicked.connect(self._add)
        remove.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.table.itemChanged.connect(self._edited)
        session.document_event.connect(self._on_event)

    def _on_event(self, event: str, _info: dict) -> None:
        if event in ("variable_changed", DOCUMENT_REPLACED):
            self.refresh()

    def refresh(self) -> None:
        self.table.blockSignals(True)
        variables = self.session.doc.variables
        self.table.setRowCount(len(variables))
        for row, (name, value) in enumerate(variables.items()):
            key = QTableWidgetItem(name)
            key.setFlags(key.flags() & ~Qt.ItemIsEditable)
            self.table.setItem(row, 0, key)
            self.table.setItem(row, 1, QTableWidgetItem(json.dumps(value)
                                                        if not isinstance(value, str) else value))
        self.table.blockSignals(False)

    def set_variable(self, name: str, value) -> bool:
        if self.session.doc.variables.get(name) == value:
            return False
        try:
            op = SetVariable(self.session.scope, name, value)
        except OpError as e:  # a value no variable can hold (an object...): say so, show the old
            self.session.message.emit(str(e))
            self.refresh()
            return False
        return self.session.apply(op, f"Set ${name}")

    def _edited(self, item) -> None:
        if item.column() == 1:
            name = self.table.item(item.row(), 0).text()
            self.set_variable(name, parse_value(item.text()))

    def _add(self) -> None:
        name, ok = QInputDialog.getText(self, "New variable", "name (use it as $name):")
        if ok and name.strip().isidentifier():
            self.set_variable(name.strip(), 1)

    def _remove(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.set_variable(self.table.item(row, 0).text(), None)
