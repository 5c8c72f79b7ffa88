"""Quick-add: a search popup at the cursor (Tab, or double-click on empty canvas)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from studio.gui.editor.palette import search, tooltip
from studio.gui.theme import category_colour


class QuickAdd(QFrame):
    chosen = Signal(str)  # type id

    def __init__(self, parent=None, in_block: bool = False):
        super().__init__(parent, Qt.Popup)
        self.setFrameShape(QFrame.StyledPanel)
        self.in_block = in_block
        self.field = QLineEdit(placeholderText="Add a layer…")
        self.list = QListWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.field)
        layout.addWidget(self.list)
        self.resize(280, 320)
        self.field.textChanged.connect(self.refill)
        self.field.returnPressed.connect(self.accept_current)
        self.list.itemActivated.connect(lambda _item: self.accept_current())
        self.field.installEventFilter(self)
        self.refill("")

    def refill(self, text: str) -> None:
        self.list.clear()
        for t in search(text, self.in_block):
            item = QListWidgetItem(f"{t.title}    ·  {t.category}")
            item.setData(Qt.UserRole, t.id)
            item.setToolTip(tooltip(t))
            item.setForeground(category_colour(t.category).lighter(130))
            self.list.addItem(item)
        self.list.setCurrentRow(0)

    def accept_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.chosen.emit(item.data(Qt.UserRole))
        self.close()

    def eventFilter(self, obj, event):
        # arrow keys in the search field move through the list
        if event.type() == event.Type.KeyPress and event.key() in (Qt.Key_Down, Qt.Key_Up):
            row = self.list.currentRow() + (1 if event.key() == Qt.Key_Down else -1)
            self.list.setCurrentRow(max(0, min(self.list.count() - 1, row)))
            return True
        return super().eventFilter(obj, event)

    def popup(self, global_pos) -> None:
        self.move(global_pos)
        self.show()
        self.field.setFocus()
