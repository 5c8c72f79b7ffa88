"""Docks that views add to the main window from outside it (the Data and Search tabs)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget


def add_bottom_dock(window, title: str, widget) -> QDockWidget:
    """A bottom dock tabified with the Dashboard (or Problems), listed in the View menu."""
    dock = QDockWidget(title, window)
    dock.setObjectName(title)
    dock.setWidget(widget)
    window.addDockWidget(Qt.BottomDockWidgetArea, dock)
    anchor = getattr(window, "dashboard_dock", None) or getattr(window, "problems_dock", None)
    if anchor is not None:
        window.tabifyDockWidget(anchor, dock)
    view = next((a.menu() for a in window.menuBar().actions() if a.text() == "&View"), None)
    if view is not None:
        view.addAction(dock.toggleViewAction())
    return dock
