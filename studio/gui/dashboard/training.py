"""The GUI side of a training run: start the child process on a snapshot of the document, drain
its events into :class:`RunData` buffers from a timer (~30 Hz until the first step arrives, so
Train answers at once, then 10 Hz: a steady run's curves move a few times a second anyway, and
each wake-up costs the studio CPU the training could use), pause/stop/resume, notice a dead
child, and mark the run stale when the document is edited meanwhile (the run never changes).

Nothing here draws: after each drain :attr:`tick` fires once and the dashboard redraws what is
visible, so a thousand events in one tick cost one redraw.
"""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from studio.gui.guard import guarded
from studio.train.run_data import RunData
from studio.train.run_process import TrainingProcess, exit_reason, last_log_lines
from studio.train.watch import dashboard_overrides, input_shape, watched_nodes

TICK_MS = 33  # until the run's first step
STEADY_TICK_MS = 100  # then


class TrainingController(QObject):
    started = Signal(object)  # RunData
    finished = Signal(object)  # RunData
    state_changed = Signal()  # running / paused / idle: toolbar actions follow
    stale_changed = Signal(bool)
    tick = Signal()  # once per timer tick that brought events

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.process: TrainingProcess | None = None
        self.run: RunData | None = None
        self.history: list[RunData] = []
        self.runs_root: Path | None = None
        self.overrides: dict = {}  # added to every run (tests: limit, max_steps)
        self.stale = False
        self.threads: int | None = None  # None: studio.train.threads_policy decides
        self.timer = QTimer(self, interval=TICK_MS)
        self.timer.timeout.connect(self._tick)
        session.document_event.connect(self._document_changed)

    # ---- state ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.process is not None

    @property
    def paused(self) -> bool:
        return bool(self.process and self.process.paused)

    def can_resume(self) -> bool:
        run = self.run
        return self.paused or (not self.running and run is not None and run.folder is not None
                               and run.status in ("interrupted", "stopped", "crashed",
                                                  "incomplete")
                               and "last" in run.checkpoints())

    def root(self) -> Path:
        if self.runs_root:
            return Path(self.runs_root)
        if self.session.path:
            return Path(self.session.path).resolve().parent / "runs"
        return Path.home() / "NetStudio" / "runs"

    # ---- commands ------------------------------------------------------------------------------
    def start(self, overrides: dict | None = None) -> RunData | None:
        """Train a snapshot of the open document; None when a run is already going."""
        if self.running:
            return None
        doc = self.session.doc
        snapshot = json.dumps(doc.to_json())  # the run trains this; later edits only mark stale
        name = str(doc.meta.get("name") or doc.meta.get("title") or "run")
        from studio.train.runs import fresh_run_path  # torch: only once a run starts
        folder = fresh_run_path(self.root(), name)
        merged = {**dashboard_overrides(doc), **self.overrides, **(overrides or {})}
        if self.session.path:  # the child does not know the folder init_weights is relative to
            from studio.train.init_weights import absolute_override
            merged = {**absolute_override(doc.training, Path(self.session.path).parent), **merged}
        run = RunData(folder.name, folder)
        run.input_shape = input_shape(doc)
        run.watched = watched_nodes(doc)
        # what the editor inferred already, so the child's set-up does not infer it again
        shapes = self.session.inference.entries_for(doc)
        self._launch(TrainingProcess(snapshot, merged, str(folder), threads=self.threads,
                                     shapes=shapes), run)
        return run

    def resume(self) -> bool:
        """Un-pause, or continue a stopped/crashed run from its last checkpoint."""
        if self.paused:
            self.process.pause(False)
            self.run.status = "running"
            self.state_changed.emit()
            return True
        if not self.can_resume():
            return False
        run = self.run
        overrides = {**self.overrides, "snapshot": dashboard_overrides(self.session.doc)["snapshot"]}
        overrides.pop("max_steps", None)
        run.status, run.error = "starting", None
        self._launch(TrainingProcess("", overrides, str(run.folder), resume=True,
                                     threads=self.threads), run)
        return True

    def _launch(self, process: TrainingProcess, run: RunData) -> None:
        self.process, self.run = process, run
        if run not in self.history:
            self.history.insert(0, run)
        self._set_stale(False)
        process.start()
        self.timer.start(TICK_MS)
        self.started.emit(run)
        self.state_changed.emit()

    def pause(self, on: bool = True) -> None:
        if self.process:
            self.process.pause(on)
            self.run.status = "paused" if on else "running"
            self.run.version += 1
            self.state_changed.emit()

    def stop(self) -> None:
        if self.process:
            self.process.stop()
            self.run.status = "stopping"
            self.run.version += 1
            self.state_changed.emit()

    def kill(self) -> None:
        """Kill the child without a word (what an OOM killer does); the tick reports it."""
        if self.process:
            self.process.kill()

    def open_run(self, folder) -> RunData:
        """A past run folder (GUI, CLI or torchrun) into the history; raises on a non-run."""
        run = RunData.from_folder(folder)
        doc = self._run_document(run.folder)
        if doc is not None:
            run.input_shape = input_shape(doc)
            run.watched = watched_nodes(doc)
        self.history.insert(0, run)
        if not self.running:
            self.run = run
        return run

    @staticmethod
    def _run_document(folder: Path):
        try:
            from studio.core.serialize import load
            return load(folder / "document.nnet.json")[0]
        except Exception:  # noqa: BLE001 - the curves still open without the document
            return None

    # ---- the timer -----------------------------------------------------------------------------
    @guarded
    def _tick(self) -> None:
        process, run = self.process, self.run
        if process is None:
            self.timer.stop()
            return
        events = process.drain()
        if events:
            run.add_all(events)
            if run.last_step and self.timer.interval() != STEADY_TICK_MS:
                self.timer.setInterval(STEADY_TICK_MS)
        process.enforce_stop()
        if not process.alive():
            run.add_all(process.drain(limit=100000))  # what was still in the pipe
            if not run.finished:
                run.fail(exit_reason(process.exitcode), last_log_lines(run.folder))
            elif run.status == "crashed":
                run.log.extend(last_log_lines(run.folder, 8))
            process.close()
            self.process = None
            self.timer.stop()
            self.tick.emit()
            self.finished.emit(run)
            self.state_changed.emit()
            return
        if events:
            self.tick.emit()

    def report_error(self, text: str) -> None:
        self.session.message.emit(f"training: {text}")

    # ---- staleness -----------------------------------------------------------------------------
    def _document_changed(self, _event: str, _info: dict) -> None:
        """Any edit, or another document opened (the run is not of it): the run is stale."""
        if self.running and not self.stale:
            self._set_stale(True)

    def _set_stale(self, on: bool) -> None:
        self.stale = on
        self.stale_changed.emit(on)

    def shutdown(self) -> None:
        self.timer.stop()
        if self.process:
            self.process.close()
            self.process = None
