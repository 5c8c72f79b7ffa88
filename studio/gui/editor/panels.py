"""Read-mostly panels: the problems list (click selects the node) and the summary table
(per node: type, output shape, parameters; total)."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTableWidget, QTableWidgetItem

from studio.core.diagnostics import ERROR
from studio.gui.theme import ERROR_COLOUR, WARNING_COLOUR


class ProblemsList(QListWidget):
    node_activated = Signal(str)
    count_changed = Signal(int)  # after each refresh: how many problems there are

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWordWrap(True)
        # validating every edge grows with the graph: batch it behind the edit
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.refresh)
        session.shapes_updated.connect(self._timer.start)
        session.document_replaced.connect(self.refresh)
        self.itemClicked.connect(self._clicked)

    def diagnostics(self) -> list:
        from studio.core.validate import check_edges, check_io
        doc, scope = self.session.doc, self.session.scope
        found = list(self.session.load_diagnostics)
        if scope in doc.networks:
            found += check_io(doc, scope)
        found += check_edges(doc, scope) + list(self.session.shapes.diagnostics)
        unique = []
        for d in found:
            if d not in unique:
                unique.append(d)
        return unique

    def refresh(self) -> None:
        self.clear()
        if self.session.doc is None:
            self.count_changed.emit(0)
            return
        for d in self.diagnostics():
            item = QListWidgetItem(f"{d.where()}: {d.message}")
            item.setForeground(QColor(ERROR_COLOUR if d.severity == ERROR else
                                      WARNING_COLOUR if d.severity == "warning" else "#9aa0a6"))
            item.setData(Qt.UserRole, d.node)
            item.setToolTip(str(d))
            self.addItem(item)
        self.count_changed.emit(self.count())

    def _clicked(self, item) -> None:
        node = item.data(Qt.UserRole)
        if node:
            self.node_activated.emit(node)


class SummaryTable(QTableWidget):
    HEADERS = ("node", "type", "output", "params")

    def __init__(self, session, parent=None):
        super().__init__(0, 4, parent)
        self.session = session
        self.setHorizontalHeaderLabels(self.HEADERS)
        self.verticalHeader().hide()
        self.setEditTriggers(QTableWidget.NoEditTriggers)
        self.horizontalHeader().setStretchLastSection(True)
        self._stale = True
        session.shapes_updated.connect(self.mark_stale)

    def mark_stale(self) -> None:
        """A 1,000-row table costs tens of ms: refill only while it is on screen."""
        self._stale = True
        if self.isVisible() and not self.visibleRegion().isEmpty():
            self.refresh()

    def showEvent(self, event):
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def rows(self) -> list[tuple]:
        shapes, graph = self.session.shapes, self.session.graph
        out = []
        for nid in shapes.order:
            outs = shapes.outputs.get(nid) or {}
            label = " ".join(s.label() for s in outs.values() if s) or "—"
            out.append((nid, graph.nodes[nid].type, label, shapes.param_counts.get(nid, 0)))
        return out

    def refresh(self) -> None:
        if self.session.doc is None:
            return
        rows = self.rows()
        self.setRowCount(len(rows) + 1)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(f"{value:,}" if c == 3 else str(value))
                if c == 3:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.setItem(r, c, item)
        total = QTableWidgetItem(f"{self.session.shapes.total_params:,}")
        total.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.setItem(len(rows), 0, QTableWidgetItem("total"))
        for c in (1, 2):
            self.setItem(len(rows), c, QTableWidgetItem(""))
        self.setItem(len(rows), 3, total)
        self.resizeColumnsToContents()
        self._stale = False
