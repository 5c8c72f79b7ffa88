"""The canvas's background grid: minor lines every STEP scene units, major ones every fifth.

Drawn in device pixels (the painter's transform reset, each line's position rounded): a
cosmetic line under a scaling transform takes Qt's general stroking path, and antialiased
hairlines only blur; one-pixel integer lines cost a tenth of that (bench/editor.py).
"""
from __future__ import annotations

from PySide6.QtCore import QLine, QPointF
from PySide6.QtGui import QColor, QPainter, QPen

STEP = 20
MIN_ZOOM = 0.35  # a grid finer than a few pixels is noise and costs paint time


def _lines(first: float, last: float) -> list[tuple[int, bool]]:
    """(scene coordinate, major?) of each grid line between ``first`` and ``last``."""
    at = int(first) - int(first) % STEP
    out = []
    while at < last:
        out.append((at, at % (STEP * 5) == 0))
        at += STEP
    return out


def draw_grid(painter: QPainter, rect, colours: dict) -> None:
    transform = painter.worldTransform()
    if transform.m11() < MIN_ZOOM or transform.m12() or transform.m21():
        return
    top_left = transform.map(QPointF(rect.left(), rect.top()))
    bottom_right = transform.map(QPointF(rect.right(), rect.bottom()))
    left, top = int(top_left.x()), int(top_left.y())
    right, bottom = int(bottom_right.x()) + 1, int(bottom_right.y()) + 1
    minor, major = [], []
    for x, is_major in _lines(rect.left(), rect.right()):
        dx = round(transform.map(QPointF(x, 0)).x())
        (major if is_major else minor).append(QLine(dx, top, dx, bottom))
    for y, is_major in _lines(rect.top(), rect.bottom()):
        dy = round(transform.map(QPointF(0, y)).y())
        (major if is_major else minor).append(QLine(left, dy, right, dy))
    painter.save()
    painter.resetTransform()
    painter.setRenderHint(QPainter.Antialiasing, False)
    painter.setPen(QPen(QColor(colours["grid"]), 0))
    painter.drawLines(minor)
    painter.setPen(QPen(QColor(colours["grid_major"]), 0))
    painter.drawLines(major)
    painter.restore()
