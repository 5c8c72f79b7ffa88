"""New from template: the bundled templates with their description, parameter count and the
variables to set before the document is created."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from studio.core.params import parse_value
from studio.core.templates import open_document, template_info, template_names
from studio.train.config import frozen_nodes


class TemplateGallery(QDialog):
    def __init__(self, inference, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New from template")
        self.resize(760, 460)
        self.inference = inference
        self.list = QListWidget()
        self.details = QLabel(wordWrap=True, textFormat=Qt.RichText, alignment=Qt.AlignTop)
        self.variables = QTableWidget(0, 2)
        self.variables.setHorizontalHeaderLabels(("variable", "value"))
        self.variables.horizontalHeader().setStretchLastSection(True)
        self.variables.verticalHeader().hide()
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Create")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        right = QVBoxLayout()
        right.addWidget(self.details, 1)
        right.addWidget(QLabel("Variables (set before creating):"))
        right.addWidget(self.variables, 1)
        body = QHBoxLayout()
        body.addWidget(self.list, 1)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(buttons)
        self.docs = {}
        for name in template_names():
            info = template_info(name)
            self.list.addItem(f"{info.get('title', name)}  ({name})")
            self.list.item(self.list.count() - 1).setData(Qt.UserRole, name)
        self.list.currentRowChanged.connect(self._show)
        self.list.itemDoubleClicked.connect(lambda _i: self.accept())
        if self.list.count():
            self.list.setCurrentRow(0)

    def name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item else None

    def _show(self, _row: int) -> None:
        name = self.name()
        if name is None:
            return
        doc, _, _ = open_document(name)
        self.docs[name] = doc
        total, frozen = 0, 0
        for network in doc.networks:
            shapes = self.inference.infer(doc, network)
            total += shapes.total_params
            try:
                ids = frozen_nodes(doc.training, network, len(doc.networks))
            except ValueError:
                ids = []  # a training mistake, reported when training
            frozen += sum(shapes.param_counts.get(nid, 0) for nid in ids)
        counted = (f"<b>{total:,}</b> parameters, <b>{total - frozen:,}</b> of them trained "
                   f"(the rest frozen)" if frozen else f"<b>{total:,}</b> trainable parameters")
        info = template_info(name)
        self.details.setText(
            f"<h3>{info.get('title', name)}</h3><p>{info.get('description') or info.get('summary', '')}</p>"
            f"<p>{counted}"
            f"{' · source: ' + info['source'] if info.get('source') else ''}</p>")
        self.variables.setRowCount(len(doc.variables))
        for row, (key, value) in enumerate(doc.variables.items()):
            item = QTableWidgetItem(key)
            item.setFlags(item.flags() & ~Qt.ItemIsEditable)
            self.variables.setItem(row, 0, item)
            self.variables.setItem(row, 1, QTableWidgetItem(str(value)))

    def document(self):
        """The chosen template as a new document, with the variables as edited."""
        name = self.name()
        if name is None:
            return None
        doc = self.docs.get(name) or open_document(name)[0]
        for row in range(self.variables.rowCount()):
            doc.variables[self.variables.item(row, 0).text()] = parse_value(
                self.variables.item(row, 1).text())
        return doc
