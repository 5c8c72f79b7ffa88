"""Colours and the application palette: dark by default, light on request.

Category colours are chosen once here so the canvas, the palette and the quick-add list agree.
"""
from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QPalette

CATEGORY_COLOURS = {
    "Input/Output": "#4caf50", "Linear": "#2196f3", "Convolution": "#9c27b0",
    "Pooling": "#00acc1", "Activation": "#ff9800", "Normalization": "#795548",
    "Regularization": "#607d8b", "Reshape": "#8bc34a", "Merge": "#e91e63",
    "Recurrent": "#3f51b5", "Generative": "#009688", "Loss": "#f44336", "Blocks": "#ffc107",
}

DARK = {"canvas": "#1e1f22", "grid": "#2a2c30", "grid_major": "#34373c", "node": "#2d2f34",
        "node_border": "#45484f", "text": "#e6e6e6", "dim": "#9aa0a6", "edge": "#8a9099",
        "label": "#b8c7e0", "select": "#4fc3f7", "window": "#25262a", "base": "#1b1c1f",
        "button": "#2f3136", "highlight": "#3d6fb4", "minimap": "#d914161a"}
LIGHT = {"canvas": "#f4f5f7", "grid": "#e4e6ea", "grid_major": "#d3d6dc", "node": "#ffffff",
         "node_border": "#b9bdc5", "text": "#1e1f22", "dim": "#5f6368", "edge": "#7a808a",
         "label": "#30507a", "select": "#1e88e5", "window": "#eceef1", "base": "#ffffff",
         "button": "#e2e4e8", "highlight": "#5b8fd6", "minimap": "#e6ffffff"}

ERROR_COLOUR, WARNING_COLOUR, OK_COLOUR = "#ef5350", "#ffb300", "#66bb6a"

_current = dict(DARK)


def colours() -> dict:
    """The colours of the active theme (the canvas reads these when it paints)."""
    return _current


def category_colour(category: str) -> QColor:
    return QColor(CATEGORY_COLOURS.get(category, "#9e9e9e"))


def apply_theme(app, name: str = "dark") -> None:
    """Set the Fusion style and a palette for ``name`` ("dark" or "light")."""
    _current.clear()
    _current.update(LIGHT if name == "light" else DARK)
    app.setStyle("Fusion")
    c = _current
    pal = QPalette()
    roles = {QPalette.Window: c["window"], QPalette.WindowText: c["text"],
             QPalette.Base: c["base"], QPalette.AlternateBase: c["window"],
             QPalette.Text: c["text"], QPalette.Button: c["button"],
             QPalette.ButtonText: c["text"], QPalette.Highlight: c["highlight"],
             QPalette.HighlightedText: "#ffffff", QPalette.ToolTipBase: c["base"],
             QPalette.ToolTipText: c["text"], QPalette.PlaceholderText: c["dim"]}
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.Disabled, QPalette.Text, QColor(c["dim"]))
    pal.setColor(QPalette.Disabled, QPalette.ButtonText, QColor(c["dim"]))
    app.setPalette(pal)
    plot_defaults(name)


def plot_defaults(name: str):
    """pyqtgraph draws its own background (black by default): plots made from now on follow the
    theme. pyqtgraph is imported here only for the light theme (its defaults are the dark look),
    so a dark start does not pay for it. Returns pyqtgraph, or None when it is not needed."""
    if name != "light" and "pyqtgraph" not in sys.modules:
        return None
    import pyqtgraph as pg
    light = name == "light"
    background, foreground = (_current["base"], _current["dim"]) if light else ("k", "d")
    pg.setConfigOptions(background=background, foreground=foreground)
    return pg


def theme_plots(root, name: str) -> None:
    """Recolour the plots that already exist under ``root`` (a window switching theme).

    Only a live window's own children: walking ``QApplication.allWidgets()`` also meets widgets
    of closed windows whose deletion is pending, and touching one of those crashed the process.
    """
    pg = plot_defaults(name)
    if pg is None:
        return
    background, foreground = pg.getConfigOption("background"), pg.getConfigOption("foreground")
    pen = pg.mkPen(foreground)
    for widget in root.findChildren(pg.GraphicsView):
        widget.setBackground(background)
        for item in widget.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen(pen)
                item.setTextPen(pen)
