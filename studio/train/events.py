"""Training events: plain dicts given to a callback and appended to ``metrics.jsonl``.

Every event has ``"event"`` (``start``, ``step``, ``epoch``, ``snapshot``, ``samples``,
``warning``, ``test``, ``stopped``, ``error``, ``end``) and ``"time"`` (seconds since the run
started). The GUI's dashboard and a later reopening of the run read the same stream. Scalars are
also written to TensorBoard when the ``tensorboard`` package is installed.
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path


def _clean(value):
    """JSON-safe: NaN/inf become strings so every line parses with any JSON reader."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


FLUSH_S = 1.0


class EventStream:
    def __init__(self, path: Path | None, callback=None, enabled: bool = True):
        self.callback, self.enabled = callback, enabled
        self.start = time.perf_counter()
        self.flushed = 0.0
        self.file = open(path, "a", encoding="utf-8") if (path and enabled) else None
        self.board = self._tensorboard(path.parent) if (path and enabled) else None

    @staticmethod
    def _tensorboard(folder: Path):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # tensorboard is optional
            return None
        return SummaryWriter(str(folder / "tensorboard"))

    def emit(self, event_name: str, /, **data) -> dict:
        kind = event_name
        event = {"event": kind, "time": round(time.perf_counter() - self.start, 4), **data}
        if not self.enabled:
            return event
        if self.file:
            try:  # the C encoder alone, unless a value is NaN/inf (then _clean's Python walk)
                line = json.dumps(event, allow_nan=False)
            except ValueError:
                line = json.dumps(_clean(event))
            self.file.write(line + "\n")
            # step lines reach the disk at least every FLUSH_S (a flush per line was a
            # system call every few steps); every other event at once
            if kind != "step" or event["time"] - self.flushed >= FLUSH_S:
                self.file.flush()
                self.flushed = event["time"]
        if self.board and kind in ("step", "epoch"):
            self._board(event)
        if self.callback:
            self.callback(event)
        return event

    def _board(self, event):
        step = event.get("step", event.get("epoch", 0))
        for split in ("train", "val"):
            for k, v in (event.get(split) or {}).items():
                if isinstance(v, (int, float)):
                    self.board.add_scalar(f"{split}/{k}", v, step)
        for k in ("loss", "lr", "grad_norm"):
            if isinstance(event.get(k), (int, float)):
                self.board.add_scalar(f"step/{k}", event[k], step)

    def close(self):
        if self.file:
            self.file.close()
        if self.board:
            self.board.close()
