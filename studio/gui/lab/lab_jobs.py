"""Run one Lab computation off the GUI thread: a QThread around ``work(progress)``.

The inspection functions report ``progress(fraction) -> bool`` and stop when it returns False,
so cancelling is a flag the next progress call reads; nothing is killed half-way. Results and
errors come back as queued signals on the GUI thread. ``run`` catches everything: an exception
escaping a Qt override later crashed PySide6 6.11 / Python 3.11's garbage collector.
"""
from __future__ import annotations

import traceback

from PySide6.QtCore import QThread, Signal


def describe(error: Exception) -> str:
    """One line for the user: the message of a problem they can fix, else the exception kind."""
    if isinstance(error, ValueError):  # InspectError, ParamError, ...: already says what/where
        return str(error)
    return f"{type(error).__name__}: {error}"


class LabJob(QThread):
    progressed = Signal(float)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, work, parent=None):
        super().__init__(parent)
        self.work = work
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def _progress(self, fraction: float) -> bool:
        self.progressed.emit(float(fraction))
        return not self.cancelled

    def run(self) -> None:
        try:
            result = self.work(self._progress)
        except Exception as e:  # noqa: BLE001 - reported through the signal, never raised
            if not isinstance(e, ValueError):
                traceback.print_exc()
            self.failed.emit(describe(e))
        else:
            self.succeeded.emit(result)
