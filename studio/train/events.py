"""Training events: plain dicts given to a callback and appended to ``metrics.jsonl``.

A callback gets each event as it happens and must not change it (step events reach the file up
to a second later, see :meth:`EventStream.emit`).

Every event has ``"event"`` (``start``, ``step``, ``epoch``, ``snapshot``, ``samples``,
``warning``, ``test``, ``stopped``, ``error``, ``end``) and ``"time"`` (seconds since the run
started). The GUI's dashboard and a later reopening of the run read the same stream. Scalars are
also written to TensorBoard when the ``tensorboard`` package is installed.

One rule keeps a resumed run's file free of duplicate steps: resuming cuts ``metrics.jsonl`` back
to the checkpoint it continues from (:func:`cut_after_step`), so every step appears once and a
reader can take the lines as they come.
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
# made once (json.dumps with allow_nan=False would make an encoder per call)
_STRICT = json.JSONEncoder(allow_nan=False)


class EventStream:
    def __init__(self, path: Path | None, callback=None, enabled: bool = True):
        self.callback, self.enabled = callback, enabled
        self.start = time.perf_counter()
        self.flushed, self.pending = 0.0, []  # events not yet in the file
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
            # Step lines are written together at least every FLUSH_S, every other event at
            # once (with the step lines before it): encoding lines one by one between training
            # steps runs each on cold caches, a measurable share of a small network's step.
            self.pending.append(event)
            if kind != "step" or event["time"] - self.flushed >= FLUSH_S:
                self._write()
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

    def _write(self) -> None:
        lines = []
        for event in self.pending:
            try:  # the C encoder alone, unless a value is NaN/inf (then _clean's Python walk)
                lines.append(_STRICT.encode(event))
            except ValueError:
                lines.append(json.dumps(_clean(event)))
        self.file.write("\n".join(lines) + "\n")
        self.file.flush()
        self.pending.clear()
        self.flushed = time.perf_counter() - self.start

    def close(self):
        if self.file and not self.file.closed:
            if self.pending:
                self._write()
            self.file.close()
        if self.board:
            self.board.close()


def cut_after_step(path: Path, step: int) -> int:
    """Cut ``metrics.jsonl`` back to the end of step ``step``: from the first line about a later
    step (or a torn line a kill left) on, everything goes. Returns the number of lines removed.

    A run killed after its checkpoint at ``step`` logged steps it will redo when resumed; left
    in the file they would appear twice. Events of ``step`` itself written after the checkpoint
    (the epoch summary, samples) stay: a resume does not repeat them."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    offset = 0
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break  # torn by the kill
        try:
            event = json.loads(line)
        except ValueError:
            break
        later = event.get("step") if isinstance(event, dict) else None
        if isinstance(later, (int, float)) and later > step:
            break
        offset += len(line)
    if offset == len(data):
        return 0
    removed = data[offset:].count(b"\n") + (not data.endswith(b"\n"))
    with open(path, "r+b") as f:
        f.truncate(offset)
    return removed
