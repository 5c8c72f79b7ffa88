"""Why a run stops, in one line each, and the Ctrl+C handling around a checkpoint write.

Every stop has its reason in the ``stopped``/``end`` events and the CLI's last line: early
stopping names the monitored value and the epochs without improvement, the step limit its value,
a Ctrl+C the step, a non-finite value the step and the node where it first appeared.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


def early_stopping(monitor, bad_epochs: int, best) -> str:
    watched = monitor[0] if monitor else "the monitored value"
    best_text = f" (best {best:.4g})" if isinstance(best, float) else ""
    epochs = f"{bad_epochs} epoch{'s' if bad_epochs != 1 else ''}"
    return f"early stopping: {watched} did not improve for {epochs}{best_text}"


def nonfinite(e) -> str:
    """A :class:`~studio.train.guard.NonFiniteError` as a reason."""
    where = f"node {e.node!r} of network {e.network!r}" if e.node else "the loss terms"
    return f"non-finite {e.where} (NaN or inf) at step {e.step} in {where}"


@contextmanager
def interrupts_deferred():
    """SIGINT recorded instead of raised inside the block (a checkpoint half-way through its
    write would be dropped, and a second Ctrl+C printed a traceback). Only where Python's own
    handler is installed: the studio's worker ignores SIGINT and keeps doing so."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield caught
        return
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)
