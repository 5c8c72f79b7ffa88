"""The start-up offer of unsaved work: one row per orphaned recovery file (document, its file,
when it was autosaved, which studio wrote it) with a choice of restore, discard or decide later.
A file that cannot be read shows why and can only be discarded or kept."""
from __future__ import annotations

import time

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

ACTIONS = {"restore": "Restore", "discard": "Discard", "later": "Decide later"}


def when(stamp: float | None, now: float | None = None) -> str:
    """``14:05:31 (3 min ago)``; the date too when it was not today."""
    if stamp is None:
        return "unknown time"
    now = time.time() if now is None else now
    local = time.localtime(stamp)
    text = time.strftime("%H:%M:%S" if local[:3] == time.localtime(now)[:3] else
                         "%Y-%m-%d %H:%M:%S", local)
    minutes = max(0, int(now - stamp) // 60)
    ago = "just now" if minutes == 0 else f"{minutes} min ago" if minutes < 120 else \
        f"{minutes // 60} h ago"
    return f"{text} ({ago})"


def describe(orphan) -> tuple[str, str]:
    """(document, file) columns for one orphan."""
    if orphan.doc is None:
        return "unreadable", orphan.problem or str(orphan.file)
    name = orphan.doc.meta.get("name") if isinstance(orphan.doc.meta, dict) else None
    title = f"Untitled ({name})" if name and not orphan.path else \
        (orphan.path.replace("\\", "/").rsplit("/", 1)[-1] if orphan.path else "Untitled")
    return title, orphan.path or "never saved"


class RecoveryDialog(QDialog):
    def __init__(self, orphans, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Restore unsaved work?")
        self.orphans = list(orphans)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(
            f"{len(self.orphans)} document(s) had unsaved changes when a NetStudio window ended "
            "without closing (a crash or a kill). Restored documents open as unsaved work.",
            wordWrap=True))
        self.table = QTableWidget(len(self.orphans), 4, self)
        self.table.setHorizontalHeaderLabels(["Document", "File", "Autosaved", "Action"])
        self.table.verticalHeader().hide()
        self.combos: list[QComboBox] = []
        for row, orphan in enumerate(self.orphans):
            title, where = describe(orphan)
            for col, text in enumerate((title, where, when(orphan.saved))):
                item = QTableWidgetItem(text)
                item.setToolTip(orphan.problem or f"{where}\nwritten by process {orphan.pid}, "
                                f"started {when(orphan.started)}")
                self.table.setItem(row, col, item)
            combo = QComboBox()
            for key, label in ACTIONS.items():
                if key != "restore" or orphan.doc is not None:
                    combo.addItem(label, key)
            # an unreadable file is not deleted by one click on Apply: its default is "later"
            combo.setCurrentIndex(combo.findData("restore" if orphan.doc is not None else "later"))
            self.combos.append(combo)
            self.table.setCellWidget(row, 3, combo)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        for col in (0, 2, 3):
            header.setSectionResizeMode(col, QHeaderView.ResizeToContents)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Apply")
        buttons.button(QDialogButtonBox.Cancel).setText("Decide later")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 160 + 30 * min(len(self.orphans), 10))

    def choices(self) -> list[str]:
        return [combo.currentData() for combo in self.combos]
