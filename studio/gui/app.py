"""Start the studio: check for a display, show a window at once, then load PyTorch and the
node catalogue behind it (``import torch`` takes about a second; PLATFORM-NOTES.md).

Qt is imported inside the functions, not at module level, so a process spawned for training
that re-imports this module does not load Qt, and so the display check runs before Qt can abort.
"""
from __future__ import annotations

import os
import sys

HEADLESS_HINT = ("netstudio: no display found (DISPLAY and WAYLAND_DISPLAY are not set), so the "
                 "studio window cannot open; use the headless commands instead: netstudio "
                 "templates | summary | validate | code (see netstudio --help), or set "
                 "QT_QPA_PLATFORM=offscreen")


def display_problem(env=None) -> str | None:
    """A one-line reason the window cannot open here, or None."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return None  # offscreen, vnc, eglfs...: no X server needed
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return HEADLESS_HINT


def create_app():
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    from studio.gui.theme import apply_theme
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "netstudio"])
    app.setApplicationName("NetStudio")
    app.setOrganizationName("NetStudio")
    apply_theme(app, str(QSettings("NetStudio", "NetStudio").value("theme", "dark")))
    return app


def show_splash(app):
    """A small window shown before torch loads, so start-up is visibly under way."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel
    splash = QLabel("<h2>NetStudio</h2><p>Loading PyTorch and the layer catalogue…</p>")
    splash.setWindowFlags(Qt.SplashScreen | Qt.FramelessWindowHint)
    splash.setAlignment(Qt.AlignCenter)
    splash.setMargin(30)
    splash.resize(420, 160)
    splash.show()
    for _ in range(3):  # let the window manager map and paint it before the long import
        app.processEvents()
    return splash


def build_window(source: str | None = None):
    """The main window with ``source`` (template name or file) open; default template if None."""
    from studio.core.diagnostics import DocumentError
    from studio.core.templates import DEFAULT_TEMPLATE, open_document
    from studio.gui.window import MainWindow
    window = MainWindow()
    try:
        doc, diags, where = open_document(source or DEFAULT_TEMPLATE)
        path = None if where.startswith("template ") else where
    except DocumentError as e:
        window.statusBar().showMessage(str(e))
        doc, diags, _ = open_document(DEFAULT_TEMPLATE)
        path = None
        window.notify_later = str(e)
    window.set_document(doc, path, diags)
    return window


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    app = create_app()
    splash = show_splash(app)
    window = build_window(argv[0] if argv else None)
    from studio.gui.window_geometry import remember_geometry, show_main_window
    show_main_window(window)  # maximized on a first start, else as the user left it
    app.aboutToQuit.connect(lambda: remember_geometry(window))
    splash.close()
    from PySide6.QtCore import QTimer

    def after_show():
        window.view.frame_start()
        if getattr(window, "notify_later", None):
            window.notify("Cannot open", window.notify_later)
        window.offer_recovery()

    QTimer.singleShot(0, after_show)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
