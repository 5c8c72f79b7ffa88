"""``guarded``: a slot decorator that turns an exception into a message instead of letting it
reach Qt (an exception escaping a Qt callback later crashed PySide6 6.11 / Python 3.11's GC)."""
from __future__ import annotations

import functools
import traceback


def guarded(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as e:  # noqa: BLE001 - reported, never raised into Qt
            report = getattr(self, "report_error", None)
            text = f"{type(e).__name__}: {e}" if not isinstance(e, ValueError) else str(e)
            if report is not None:
                report(text)
            else:
                traceback.print_exc()
            return None
    return wrapper
