"""Errors of the inspection lab: one line that names the node, the file or the value."""
from __future__ import annotations


class InspectError(ValueError):
    """A problem the user can fix (unknown node, wrong layer kind, image of the wrong size)."""
