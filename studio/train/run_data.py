"""One run's numbers as growing numpy buffers, filled from training events (live or from a run
folder's ``metrics.jsonl``). No Qt: the views read these buffers on their own timer, so a burst
of events costs one redraw, not one per event.

Per-step scalars (``loss``, ``grad_norm``, ``lr``, ``samples_per_s``, ...) are keyed by name;
per-epoch values are keyed ``train.loss``, ``val.accuracy``, ... and placed at the step where the
epoch ended, so they overlay the per-step curves.
"""
from __future__ import annotations

import csv
import json
import math
from collections import deque
from pathlib import Path

import numpy as np

from studio.train.metric_registry import MAX, direction

FINISHED = ("finished", "stopped", "interrupted", "nonfinite", "crashed")
STEP_SKIP = ("event", "time", "step", "epoch", "batch", "batches")
SMOOTHING = 0.9


def as_float(value) -> float | None:
    """Numbers and the ``"nan"``/``"inf"`` strings the event writer uses; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return float(value)
    return None


class Series:
    """x/y float buffers that double when full (amortised O(1) append, no list -> array copies)."""

    def __init__(self, capacity: int = 256):
        self.data = np.empty((2, capacity), np.float64)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == self.data.shape[1]:
            self.data = np.concatenate([self.data, np.empty_like(self.data)], axis=1)
        self.data[0, self.n], self.data[1, self.n] = x, y
        self.n += 1

    @property
    def x(self) -> np.ndarray:
        return self.data[0, :self.n]

    @property
    def y(self) -> np.ndarray:
        return self.data[1, :self.n]


def smooth(y: np.ndarray, weight: float = SMOOTHING) -> np.ndarray:
    """Exponential moving average with TensorBoard's start-up debiasing."""
    out = np.empty_like(y)
    acc, norm = 0.0, 0.0
    for i, v in enumerate(y):
        if not math.isfinite(v):
            out[i] = v
            continue
        acc = acc * weight + (1 - weight) * v
        norm = norm * weight + (1 - weight)
        out[i] = acc / norm
    return out


class RunData:
    def __init__(self, name: str, folder: str | Path | None = None):
        self.name, self.folder = name, Path(folder) if folder else None
        self.steps: dict[str, Series] = {}
        self.smoothed = Series()  # the loss, exponentially smoothed (TensorBoard's debiasing)
        self._ema = self._ema_norm = 0.0
        self.epochs: dict[str, Series] = {}
        self.config: dict = {}
        self.status, self.error = "starting", None
        self.log: deque[str] = deque(maxlen=300)
        self.snapshot: dict | None = None
        self.samples: dict | None = None
        self.confusion: list | None = None
        self.test: dict | None = None
        self.monitor, self.best = None, None
        self.info: dict = {}  # the start event: device, sizes, steps per epoch
        self.last_step = self.last_epoch = 0
        self.version = 0  # bumped by every change; views redraw when it moved

    # ---- events ------------------------------------------------------------------------------
    def add_all(self, events) -> None:
        for event in events:
            self.add(event)

    def add(self, event: dict) -> None:
        kind = event.get("event")
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(event)
        self.version += 1

    def _on_start(self, e):
        self.info = {k: v for k, v in e.items() if k != "config"}
        self.config = e.get("config") or self.config
        self.status = "running"
        self.log.append(f"start on {e.get('device')}: {e.get('train_size')} training samples, "
                        f"{e.get('steps_per_epoch')} steps per epoch")

    def _on_step(self, e):
        step = int(e.get("step", self.last_step + 1))
        self.last_step, self.last_epoch = step, int(e.get("epoch", self.last_epoch))
        for key, value in e.items():
            number = as_float(value)
            if key not in STEP_SKIP and number is not None:
                self.steps.setdefault(key, Series()).append(step, number)
        loss = as_float(e.get("loss"))
        if loss is not None:  # smoothed as it arrives: a redraw never re-smooths the history
            if math.isfinite(loss):
                self._ema = self._ema * SMOOTHING + (1 - SMOOTHING) * loss
                self._ema_norm = self._ema_norm * SMOOTHING + (1 - SMOOTHING)
            self.smoothed.append(step, self._ema / self._ema_norm if self._ema_norm else loss)
        if self.status == "starting":
            self.status = "running"

    def _on_epoch(self, e):
        step = float(e.get("step", self.last_step))
        self.last_epoch = int(e.get("epoch", self.last_epoch))
        for split in ("train", "val"):
            for key, value in (e.get(split) or {}).items():
                number = as_float(value)
                if number is not None:
                    self.epochs.setdefault(f"{split}.{key}", Series(64)).append(step, number)
        confusion = (e.get("val") or {}).get("confusion")
        if isinstance(confusion, list):
            self.confusion = confusion
        self.monitor, self.best = e.get("monitor"), as_float(e.get("best"))
        val = e.get("val") or {}
        shown = "  ".join(f"{k} {v:.4g}" for k, v in val.items() if isinstance(v, float))
        self.log.append(f"epoch {self.last_epoch}: {shown or 'no validation split'}")

    def _on_snapshot(self, e):
        self.snapshot = e

    def _on_samples(self, e):
        self.samples = e

    def _on_warning(self, e):
        self.log.append(f"warning: {e.get('message')}")

    def _on_note(self, e):  # what the run inferred, or a recipe's stage (layerwise)
        self.log.append(f"note: {e.get('message')}")

    def _on_test(self, e):
        self.test = e.get("test")
        shown = "  ".join(f"{k} {v:.4g}" for k, v in (self.test or {}).items()
                          if isinstance(v, float))
        self.log.append(f"test: {shown}")

    def _on_stopped(self, e):
        self.log.append(f"stopped: {e.get('reason')}")

    def _on_error(self, e):
        where = f" (node {e['node']})" if e.get("node") else ""
        self.error = f"{e.get('message')}{where}"
        self.log.append(f"error: {self.error}")

    def _on_crash(self, e):
        self.status, self.error = "crashed", e.get("message") or "the training process failed"
        self.log.extend((e.get("traceback") or "").rstrip().splitlines()[-8:])

    def _on_end(self, e):
        self.status = e.get("status", "finished")
        self.log.append(f"end: {self.status} at step {e.get('step')}, epoch {e.get('epoch')}")

    def fail(self, message: str, lines=()) -> None:
        """The child died without a word (killed, segfault): record why and its last output."""
        self.status, self.error = "crashed", message
        self.log.extend(lines)
        self.log.append(f"error: {message}")
        self.version += 1

    # ---- views of the data -----------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def hyper(self) -> dict:
        """The hyper-parameters the run list shows."""
        c = self.config or {}
        opt, sched, data = c.get("optimizer") or {}, c.get("schedule") or {}, c.get("dataset") or {}
        return {"dataset": data.get("name"), "optimizer": opt.get("name"), "lr": opt.get("lr"),
                "schedule": sched.get("name"), "epochs": c.get("epochs"),
                "batch": c.get("batch_size"), "seed": c.get("seed")}

    def best_value(self) -> tuple[str | None, float | None]:
        if self.monitor and self.best is not None:
            return self.monitor, self.best
        for key in ("val.accuracy", "val.loss", "train.loss"):  # what a run without a monitor
            if key in self.epochs and self.epochs[key].n:    # is most likely judged by
                pick = max if direction(key) == MAX else min
                return key, float(pick(self.epochs[key].y))
        return None, None

    def write_csv(self, path: str | Path) -> Path:
        """Every series as long-format rows: kind, name, step, value."""
        path = Path(path)
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["kind", "name", "step", "value"])
            for kind, table in (("step", self.steps), ("epoch", self.epochs)):
                for name, series in table.items():
                    writer.writerows((kind, name, int(x), repr(float(y)))
                                     for x, y in zip(series.x, series.y))
        return path

    # ---- run folders ----------------------------------------------------------------------
    @classmethod
    def from_folder(cls, folder: str | Path) -> "RunData":
        """A finished (or CLI/torchrun) run: ``config.json`` + every line of ``metrics.jsonl``.
        Unreadable lines are noted in the log, never fatal: a crashed run may end mid-line."""
        folder = Path(folder)
        run = cls(folder.name, folder)
        try:
            run.config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            run.log.append(f"config.json: {e}")
        metrics = folder / "metrics.jsonl"
        if not metrics.is_file():
            raise FileNotFoundError(f"{folder}: not a run folder (no metrics.jsonl)")
        with open(metrics, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                try:
                    event = json.loads(line)
                except ValueError:
                    run.log.append(f"metrics.jsonl line {number}: not JSON, skipped")
                    continue
                if isinstance(event, dict):
                    run.add(event)
        if not run.finished:
            run.status = "incomplete"  # no end event: killed, or still being written
        return run

    def checkpoints(self) -> list[str]:
        folder = (self.folder / "checkpoints") if self.folder else None
        if not folder or not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.safetensors"))
