"""Training in a spawned child process, so a crash, an OOM or a CUDA fault never takes the editor
down. No Qt here: this module is what the child imports (``spawn`` re-imports only the target's
module), and the parent side is plain ``multiprocessing`` that the dashboard polls from a timer.

The child runs :class:`studio.train.engine.Trainer` on a JSON snapshot of the document and puts
every event (plain dicts) on a queue. Stop and pause are two ``multiprocessing.Event`` flags read
by the event callback: stop raises :class:`StopRequested` (a ``KeyboardInterrupt``, which the
engine already turns into "save the last checkpoint, emit ``end``"), pause blocks the loop. The
child's stdout/stderr go to ``child.log`` in the run folder (file descriptors, so a C-level abort
message is kept too) and the dashboard shows its last lines when the child dies.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import queue as queue_module
import signal
import sys
import time
import traceback
from pathlib import Path

LOG_NAME = "child.log"
STOPPABLE = ("step", "epoch", "snapshot")  # events emitted inside the engine's try block


class StopRequested(KeyboardInterrupt):
    """The user pressed Stop: the engine saves ``last`` and ends with status "interrupted"."""


def _redirect_output(run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


NICE = 5  # the training child yields the CPU to the GUI when both want it


def _lower_priority() -> None:
    """Training runs a little below the studio: on a machine with few cores an idle CPU still
    goes to training in full, but a paint or a click no longer waits for the scheduler to
    take a core from it (where ``os.nice`` exists; Windows keeps the normal priority)."""
    try:
        os.nice(NICE)
    except (AttributeError, OSError):
        pass


def child_main(doc_json: str, overrides: dict, out: str | None, resume: str | None,
               events, stop, pause, threads: int | None = None,
               shapes: dict | None = None) -> None:
    """The child's entry point: train and stream events; report a crash as a ``crash`` event.
    ``threads``: intra-op threads once set up; None asks the policy, which keeps a core for
    the studio (:mod:`studio.train.threads_policy`). ``shapes``: the studio's inferred shapes
    (``ShapeInference.entries_for``), so set-up does not infer them again."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is for the GUI
    try:
        _redirect_output(Path(resume or out))
        import torch
        torch.set_num_threads(1)  # set-up next to a starting GUI (PLATFORM-NOTES)
        from studio.core.serialize import document_from_json
        from studio.train.engine import Trainer
        doc = None
        if not resume:
            doc, _ = document_from_json(json.loads(doc_json))

        def callback(event: dict) -> None:
            events.put(event)
            if event.get("event") not in STOPPABLE:
                return
            while pause.is_set() and not stop.is_set():
                time.sleep(0.05)
            if stop.is_set():
                raise StopRequested()

        from studio.train.threads_policy import apply_thread_policy
        trainer = Trainer(doc, overrides, out=None if resume else out, resume=resume,
                          callback=callback, shapes=shapes)
        trainer.setup()
        # lowered only now: set-up is what a Train press waits for (the studio idles meanwhile),
        # and on a busy machine a niced set-up took seconds longer (issue 19)
        _lower_priority()
        apply_thread_policy(trainer, threads, reserve=1)
        trainer.run()
    except BaseException as e:  # noqa: BLE001 - every failure must reach the dashboard
        text = traceback.format_exc()
        print(text, file=sys.stderr, flush=True)
        events.put({"event": "crash", "message": f"{type(e).__name__}: {e}", "traceback": text})
        events.close()
        events.join_thread()  # the crash event must leave before the process does
        sys.exit(1)
    events.close()
    events.join_thread()


class TrainingProcess:
    """The parent's handle on one training child: start, pause, stop, kill, drain events."""

    def __init__(self, doc_json: str, overrides: dict, run_dir: str, resume: bool = False,
                 threads: int | None = None, shapes: dict | None = None):
        self.ctx = mp.get_context("spawn")
        self.run_dir = Path(run_dir)
        self.queue = self.ctx.Queue()
        self.stop_flag, self.pause_flag = self.ctx.Event(), self.ctx.Event()
        args = (doc_json, overrides, None if resume else str(run_dir),
                str(run_dir) if resume else None, self.queue, self.stop_flag, self.pause_flag,
                threads, shapes)
        self.process = self.ctx.Process(target=child_main, args=args, daemon=True,
                                        name="netstudio-train")
        self.stop_asked_at: float | None = None

    def start(self) -> None:
        self.process.start()
        # The parent only reads. With its copy of the pipe's write end closed, a child killed
        # halfway through sending an event leaves an end of file behind, which drain() stops
        # at; with it open, reading the rest of that message waited forever (the studio hung).
        # (multiprocessing.Queue has no public way to say "this side never writes".)
        self.queue._writer.close()

    def drain(self, limit: int = 2000) -> list[dict]:
        """Events waiting in the queue (at most ``limit``, so one tick stays short)."""
        out = []
        while len(out) < limit:
            try:
                out.append(self.queue.get_nowait())
            except (queue_module.Empty, EOFError, OSError):
                break
        return out

    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def exitcode(self) -> int | None:
        return self.process.exitcode

    def pause(self, on: bool) -> None:
        (self.pause_flag.set if on else self.pause_flag.clear)()

    @property
    def paused(self) -> bool:
        return self.pause_flag.is_set()

    def stop(self) -> None:
        """Ask for a clean stop (checkpoint kept); :meth:`enforce_stop` kills a child that hangs."""
        self.stop_flag.set()
        self.pause_flag.clear()
        self.stop_asked_at = self.stop_asked_at or time.monotonic()

    def enforce_stop(self, grace_s: float = 5.0) -> bool:
        """Terminate a child that has not stopped ``grace_s`` after Stop (e.g. still loading)."""
        if self.stop_asked_at and self.alive() and time.monotonic() - self.stop_asked_at > grace_s:
            self.process.terminate()
            return True
        return False

    def kill(self) -> None:
        if self.alive():
            self.process.kill()

    def close(self) -> None:
        self.kill()
        self.process.join(timeout=2)
        self.queue.cancel_join_thread()
        self.queue.close()


def exit_reason(code: int | None) -> str:
    """Words for a child's exit status (negative: killed by that signal)."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory? the system kills the largest process)" if -code == 9 else ""
        return f"the training process was killed by {name}{hint}"
    return f"the training process exited with code {code}"


def last_log_lines(run_dir: Path, count: int = 20) -> list[str]:
    path = Path(run_dir) / LOG_NAME
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[-count:]
