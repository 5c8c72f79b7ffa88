"""The Problems dock collapsed to a count in the status bar while there is nothing to show.

An empty problems list used to take a fifth of the window's height from the canvas. Now the
status bar says "No problems" (or "3 problems", click to open the list), and the dock opens by
itself when the first problem appears and folds away again when the last one is fixed — unless
the user opened it on purpose, then it stays.
"""
from __future__ import annotations

from PySide6.QtWidgets import QToolButton

from studio.gui.theme import ERROR_COLOUR


class ProblemsStatus(QToolButton):
    def __init__(self, window):
        super().__init__(window)
        self.window_, self.dock = window, window.problems_dock
        self.count = -1  # unknown until the first refresh
        self._pinned = False  # opened by the user: an empty list does not close it
        self.setAutoRaise(True)
        self.setToolTip("Show or hide the Problems panel (diagnostics of the network on view)")
        self.clicked.connect(self._toggle)
        window.statusBar().addPermanentWidget(self)
        window.problems.count_changed.connect(self.set_count)
        self.set_count(window.problems.count())

    def set_count(self, count: int) -> None:
        first, emptied = self.count <= 0 < count, self.count != 0 == count
        self.count = count
        self.setText(f"⚠ {count} problem{'s' * (count != 1)}" if count else "✓ No problems")
        style = f"color: {ERROR_COLOUR};" if count else ""
        if style != self.styleSheet():  # a new style sheet re-polishes: only on a change
            self.setStyleSheet(style)
        if first:
            self._show()
        elif emptied and not self._pinned:  # only when it empties: View > Problems still works
            self.dock.hide()

    def _show(self) -> None:
        self.dock.show()
        self.dock.raise_()

    def _toggle(self) -> None:
        if self.dock.isVisible() and not self.dock.visibleRegion().isEmpty():
            self._pinned = False
            self.dock.hide()
        else:
            self._pinned = True
            self._show()


def collapse_bottom_docks(window) -> None:
    """Start with the canvas taking the bottom panels' room: they open on demand (training
    shows the Dashboard, a problem the Problems list, the View menu any of them)."""
    for name in ("summary_dock", "code_dock", "dashboard_dock", "lab_dock", "data_dock",
                 "search_dock"):
        dock = getattr(window, name, None)
        if dock is not None:
            dock.hide()
