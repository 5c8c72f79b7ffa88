"""Undo commands: each wraps one core op (often a ``Batch``) and the inverse it returned.

The op is applied before the command enters the stack (so an :class:`OpError` is reported to
the user instead of vanishing inside Qt's ``redo`` call); ``redo``/``undo`` afterwards just apply
the stored op or inverse. Nothing here touches a widget: the canvas follows document events.
"""
from __future__ import annotations

import time

from PySide6.QtGui import QUndoCommand

MERGE_SECONDS = 1.0  # consecutive changes of the same param within this window are one step
_PARAM_MERGE_ID = 1


class OpCommand(QUndoCommand):
    def __init__(self, doc, op, inverse, title: str, merge_key=None):
        super().__init__(title)
        self.doc, self.op, self.inverse = doc, op, inverse
        self.merge_key = merge_key
        self.stamp = time.monotonic()
        self._applied = True  # applied by the caller before push()

    def redo(self):
        if self._applied:
            return
        self.inverse = self.op.apply(self.doc)
        self._applied = True

    def undo(self):
        self.op = self.inverse.apply(self.doc)
        self._applied = False

    def id(self) -> int:
        return _PARAM_MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other) -> bool:
        """Dragging a spin box sends many values: keep the first inverse, take the last op."""
        if (not isinstance(other, OpCommand) or other.merge_key != self.merge_key
                or other.stamp - self.stamp > MERGE_SECONDS):
            return False
        self.op, self.stamp = other.op, other.stamp
        return True
