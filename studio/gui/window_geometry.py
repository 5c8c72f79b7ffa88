"""Where the main window opens: maximized the first time (the canvas is what people come for,
and a network needs room), then where the user left it (saved when the studio quits)."""
from __future__ import annotations

from studio.gui import files

KEY = "window/geometry"


def show_main_window(window) -> None:
    """Show ``window`` maximized on a first start, else with the geometry saved last time."""
    saved = files.settings().value(KEY)
    if saved and window.restoreGeometry(saved):
        window.show()
    else:
        window.showMaximized()


def remember_geometry(window) -> None:
    files.settings().setValue(KEY, window.saveGeometry())
