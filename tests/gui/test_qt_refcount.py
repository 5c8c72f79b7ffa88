"""PySide6 6.12.0 on Python < 3.12 drops a reference to None on every void Qt call, and a real
window aborts with "Fatal Python error: none_dealloc" (PLATFORM-NOTES.md). Many void calls here
must leave None's refcount where it was, so a bad PySide6/Python pair fails CI, not a session."""
import sys

from PySide6.QtCore import QObject, QRect
from PySide6.QtGui import QImage, QPainter


def test_void_qt_calls_keep_the_refcount_of_none():
    obj = QObject()
    image = QImage(16, 16, QImage.Format_ARGB32)
    painter = QPainter(image)
    before = sys.getrefcount(None)
    for _ in range(2000):
        obj.setObjectName("x")
        painter.drawRect(QRect(1, 1, 4, 4))
    after = sys.getrefcount(None)
    painter.end()
    # immortal None (3.12+) reports a huge constant; mortal None must not have lost references
    assert after - before >= -10, f"None lost {before - after} references to void Qt calls"
