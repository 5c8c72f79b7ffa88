"""Honest progress for ``netstudio train``: the training events as a person reads them.

On a terminal each epoch gets a tqdm bar (batches done, rate, ETA, loss); otherwise (a log file,
CI, a pipe) a plain line every ``PLAIN_EVERY_S`` seconds says the same, since a rewritten line
means nothing there. Every epoch ends with a summary line, every stop with its reason, and notes
(what a path was taken for, the label column, the fit to the data) come before training starts.
"""
from __future__ import annotations

import json
import sys
import time

PLAIN_EVERY_S = 5.0


def _scalars(values: dict) -> str:
    return "".join(f" {k} {v:.4f}" for k, v in values.items()
                   if isinstance(v, float) and "/" not in k)


class Printer:
    """The callback of a CLI run: events in, lines (or a bar) out."""

    def __init__(self, quiet: bool, events: bool, tty: bool | None = None):
        self.quiet, self.events = quiet, events
        self.tty = sys.stdout.isatty() if tty is None else tty
        self.bar = None
        self.last_line = 0.0
        self.epoch, self.epoch_start = None, time.monotonic()

    def note(self, message: str) -> None:
        if not (self.quiet or self.events):
            print(f"note: {message}", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __call__(self, e: dict) -> None:
        if self.events:
            print(json.dumps(e), flush=True)
            return
        kind = e["event"]
        if kind in ("warning", "error"):
            self.close()
            print(f"{kind}: {e['message']}", file=sys.stderr, flush=True)
        elif self.quiet:
            return
        elif kind == "note":
            self.note(e["message"])
        elif kind == "step":
            self._step(e)
        elif kind == "epoch":
            self.close()
            val = "".join(f" val {k} {v:.4f}" for k, v in (e.get("val") or {}).items()
                          if isinstance(v, float) and "/" not in k)
            print(f"epoch {e['epoch']}: train loss {e['train'].get('loss', float('nan')):.4f}"
                  f"{val} ({e['train'].get('samples_per_s', 0):.0f} samples/s)", flush=True)
        elif kind == "stopped":
            self.close()
            print(f"stopped: {e['reason']}", flush=True)
        elif kind == "test":
            print("test:" + _scalars(e["test"]), flush=True)

    def _step(self, e: dict) -> None:
        if self.tty:
            self._bar(e)
            return
        now = time.monotonic()
        if e["epoch"] != self.epoch:  # the first step event of an epoch
            self.epoch, self.epoch_start, self.last_line = e["epoch"], now, now
        if now - self.last_line < PLAIN_EVERY_S or e["batch"] == e["batches"]:
            return
        self.last_line = now
        done = e["batch"] / max(1, e["batches"])
        eta = (now - self.epoch_start) * (1 - done) / max(done, 1e-9)
        print(f"  epoch {e['epoch']} [{e['batch']}/{e['batches']}] loss {e['loss']:.4f} "
              f"{e['samples_per_s']:.0f} samples/s, epoch ETA {eta:.0f} s", flush=True)

    def _bar(self, e: dict) -> None:
        from tqdm import tqdm
        if self.bar is None:
            self.bar = tqdm(total=e["batches"], desc=f"epoch {e['epoch']}", unit="batch",
                            leave=False, file=sys.stdout, dynamic_ncols=True)
        self.bar.update(e["batch"] - self.bar.n)
        self.bar.set_postfix(loss=f"{e['loss']:.4f}", lr=f"{e['lr']:.2e}", refresh=False)
