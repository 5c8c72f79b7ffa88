"""The node palette: the catalogue by category with a search field; drag a type onto the canvas,
or double-click it to add it at the centre of the view. Also the search used by quick-add."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

import nodes
from nodes.base import BLOCK_INPUT, BLOCK_OUTPUT
from studio.gui.theme import category_colour
from studio.gui.editor.view import TYPE_MIME


def catalogue(in_block: bool = False) -> list:
    """Node types a user can add (block ports only make sense inside a block)."""
    return [t for t in nodes.all_types()
            if in_block or t.role not in (BLOCK_INPUT, BLOCK_OUTPUT)]


def search(text: str, in_block: bool = False) -> list:
    """Types matching every word of ``text``; title matches first."""
    words = text.lower().split()
    found = []
    for t in catalogue(in_block):
        hay = f"{t.title} {t.id} {t.category} {t.doc}".lower()
        if all(w in hay for w in words):
            rank = 0 if words and t.title.lower().startswith(words[0]) else (
                1 if words and words[0] in t.title.lower() else 2)
            found.append((rank, t.title, t))
    return [t for _, _, t in sorted(found, key=lambda r: r[:2])]


def tooltip(t) -> str:
    return f"<b>{t.title}</b> <i>({t.id})</i><br>{t.doc}" + (
        f"<br><tt>{t.shape_doc}</tt>" if t.shape_doc else "")


class _Tree(QTreeWidget):
    def mimeData(self, items):
        data = QMimeData()
        type_id = items[0].data(0, Qt.UserRole) if items else None
        if type_id:
            data.setData(TYPE_MIME, type_id.encode())
        return data

    def mimeTypes(self):
        return [TYPE_MIME]


class Palette(QWidget):
    add_requested = Signal(str)  # type id (double-click)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.search_field = QLineEdit(placeholderText="Search layers…", clearButtonEnabled=True)
        self.tree = _Tree(headerHidden=True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragOnly)
        self.tree.setIndentation(12)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search_field)
        layout.addWidget(self.tree)
        self.search_field.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.in_block = False
        self.filter("")

    def set_in_block(self, in_block: bool) -> None:
        if in_block != self.in_block:
            self.in_block = in_block
            self.filter(self.search_field.text())

    def filter(self, text: str) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for t in (search(text, self.in_block) if text.strip() else catalogue(self.in_block)):
            group = groups.get(t.category)
            if group is None:
                group = groups[t.category] = QTreeWidgetItem(self.tree, [t.category])
                group.setFlags(Qt.ItemIsEnabled)
                group.setForeground(0, category_colour(t.category))
            item = QTreeWidgetItem(group, [t.title])
            item.setData(0, Qt.UserRole, t.id)
            item.setToolTip(0, tooltip(t))
        self.tree.expandAll() if text.strip() else None
        if not text.strip():
            for group in groups.values():
                group.setExpanded(True)

    def _double_clicked(self, item, _column):
        type_id = item.data(0, Qt.UserRole)
        if type_id:
            self.add_requested.emit(type_id)
