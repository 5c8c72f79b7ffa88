"""Where the main window opens: maximized the first time (the canvas is what people come for,
and a network needs room), then where the user left it (saved when the studio quits)."""
from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication

from studio.gui import files

KEY = "window/geometry"
SCREEN_SHARE = 0.9  # of the screen's free area, at most, for the window's normal size


def show_main_window(window) -> None:
    """Show ``window`` maximized on a first start, else with the geometry saved last time."""
    saved = files.settings().value(KEY)
    if saved and window.restoreGeometry(saved):
        window.show()
    else:
        # the normal size fits the screen too: it is what un-maximizing gives, and all there
        # is where nothing maximizes (a desktop without a window manager); 1500x900 overflowed
        # a laptop's 1280x800 there
        fit_to_screen(window)
        window.showMaximized()


def fit_to_screen(window) -> None:
    """Shrink ``window`` to fit its screen's free area (with a margin) and centre it there."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    room = screen.availableGeometry()
    width = min(window.width(), int(room.width() * SCREEN_SHARE))
    height = min(window.height(), int(room.height() * SCREEN_SHARE))
    window.resize(width, height)
    window.move(room.center() - QPoint(width // 2, height // 2))


def remember_geometry(window) -> None:
    files.settings().setValue(KEY, window.saveGeometry())
