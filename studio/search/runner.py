"""Running a search: Optuna asks for trials, each trains as a normal run in a child process.

The loop lives in the search process, which alone talks to the study: it asks Optuna for a
trial, checks that the configuration builds (a width that breaks a shape fails the trial with
the shape message, nothing spawned), starts a training child (``jobs`` at a time, one intra-op
thread each when several share the cores), reports each epoch's objective for pruning (a NaN
prunes), and tells Optuna how the trial ended. ``stop`` (Ctrl+C, the studio's Stop) stops the
children cleanly; their trials end as failed and their values are queued again, so running the
same search again resumes it with them.
"""
from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import optuna

from studio.core.diagnostics import errors
from studio.core.validate import validate_document
from studio.search import study as S
from studio.search.space import apply_values, current_values, distributions, objective, \
    section_of
from studio.search.trial_process import TrialProcess
from studio.train.run_process import exit_reason
from studio.train.stops import interrupts_deferred

POLL_S = 0.05


@dataclass
class Running:
    trial: optuna.trial.Trial
    process: TrialProcess
    started: float = field(default_factory=time.monotonic)
    values: list = field(default_factory=list)  # the objective after each epoch
    outcome: str | None = None  # "pruned" / "failed" once decided while it runs
    message: str = ""


@dataclass
class SearchOptions:
    trials: int | None = None  # None: the section's (default 20)
    jobs: int = 1
    timeout: float | None = None  # seconds; None: the section's
    heartbeat_s: float = 5.0
    threads: int | None = None  # per trial; None: the cores shared among the jobs


class Search:
    """One search process on a study; :meth:`run` until the budget is used or ``stop`` is set."""

    def __init__(self, doc, folder, name: str | None = None, storage: str | None = None,
                 options: SearchOptions | None = None, progress=None, stop=None):
        self.doc, self.folder = doc, Path(folder)
        self.section = section_of(doc)
        self.options = options or SearchOptions()
        self.metric, self.direction = objective(doc)
        self.name = name or str(doc.meta.get("name") or "search")
        self.storage_url = storage or S.default_storage(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.storage = S.storage_for(self.storage_url, self.options.heartbeat_s)
        self.study = S.open_study(self.name, self.storage, self.section, self.direction,
                                  doc.training.get("epochs"))
        S.write_folder(self.folder, self.name, self.storage_url, doc)
        self.budget = S.budget_of(self.section, self.options.trials)
        timeout = self.options.timeout or self.section.get("timeout")
        self.deadline = time.monotonic() + float(timeout) if timeout else None
        self.progress, self.stop = progress or (lambda counts: None), stop or threading.Event()
        self.running: dict[int, Running] = {}
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.baseline = current_values(doc, self.section)
        self._first_trials()

    def _first_trials(self) -> None:
        """A new study records its document and starts with the document's own values, so the
        table shows what the search gained over it."""
        if self.study.get_trials(deepcopy=False):
            return
        self.study.set_user_attr("document", json.dumps(self.doc.to_json()))
        self.study.set_user_attr("objective", self.metric)
        # (a grid holds the document's values already, and Optuna's grid sampler does not
        # count a queued trial as one of its points: it would train them twice)
        if len(self.baseline) == len(self.section["dimensions"]) and \
                self.section.get("sampler") != "grid":
            self.study.enqueue_trial(self.baseline, skip_if_exists=True)

    # ----- the loop ---------------------------------------------------------------------------
    def run(self) -> dict:
        # Ctrl+C is recorded and acted on between two storage calls: raised inside one, it
        # left the process's SQLite transaction open and every later write "database is locked"
        with S.quiet_optuna(), interrupts_deferred() as self._interrupted:
            return self._run()

    def _run(self) -> dict:
        beat = 0.0
        try:
            while not self.stop.is_set():
                if self._interrupted:
                    self.stop.set()
                    break
                now = time.monotonic()
                if now - beat >= self.options.heartbeat_s:
                    beat = now
                    for r in self.running.values():
                        self.storage.record_heartbeat(r.trial._trial_id)
                    # (a stale trial of this process is failed by the call below too, and
                    # then dropped by _poll)
                    optuna.storages.fail_stale_trials(self.study)
                counts = S.tally(self.study)
                open_time = self.deadline is None or now < self.deadline
                while open_time and len(self.running) < self.options.jobs and \
                        counts["counted"] < self.budget and not self.stop.is_set():
                    started = self._start_one()
                    counts = S.tally(self.study)
                    self.progress(counts)
                    if started is False:
                        break
                changed = self._poll()
                if changed:
                    self.progress(S.tally(self.study))
                others = counts["running"] - len(self.running)
                if not self.running and (not open_time or (counts["counted"] >= self.budget
                                                           and others <= 0)):
                    break
                time.sleep(POLL_S)
        except KeyboardInterrupt:
            self.stop.set()
        if self.stop.is_set():
            self._interrupt()
        counts = S.tally(self.study)
        self.progress(counts)
        return counts

    def _start_one(self) -> bool:
        """Ask for a trial and start it; False when it was skipped (ask again next tick)."""
        trial = self.study.ask(distributions(self.section))
        # alive from the start: a trial whose process dies before its first beat would
        # otherwise never be found stale, and the study would wait for it forever
        self.storage.record_heartbeat(trial._trial_id)
        earlier = [t for t in self.study.get_trials(deepcopy=False)
                   if t.number < trial.number and S.counted(t)]
        if len(earlier) >= self.budget:  # another process took the last one meanwhile
            trial.set_user_attr(S.MESSAGE, "not run: the budget was used by other processes")
            self.study.tell(trial, state=S.State.FAIL)
            if "fixed_params" in self.storage.get_trial_system_attrs(trial._trial_id):
                self.study.enqueue_trial(trial.params)  # a queued one: keep it queued
            return
        if self.section.get("sampler") == "grid" and any(
                t.params == trial.params for t in self.study.get_trials(deepcopy=False)
                if t.number != trial.number and S.counted(t)):
            # two processes asked at the same moment and Optuna's grid sampler gave both the
            # same point: a grid trains each point once
            trial.set_user_attr(S.MESSAGE, "not run: another process took these values")
            self.study.tell(trial, state=S.State.FAIL)
            return False
        trial.set_user_attr(S.WORKER, self.worker)
        if trial.params == self.baseline:  # the document's own values: what the search beats
            trial.set_user_attr("baseline", True)
        doc = apply_values(self.doc, trial.params)
        problems = errors(validate_document(doc))
        if problems:  # a configuration that does not build: a failed trial with its message
            self._finish(trial, "failed", f"does not build: {problems[0]}", epochs=0)
            return
        run_dir = S.trial_dir(self.folder, trial.number)
        trial.set_user_attr(S.RUN_DIR, str(run_dir.resolve()))
        threads = self.options.threads or max(1, (os.cpu_count() or 1) // self.options.jobs)
        process = TrialProcess(json.dumps(doc.to_json()), str(run_dir), threads)
        process.start()
        self.running[trial.number] = Running(trial, process)

    def _poll(self) -> bool:
        changed = False
        for number, r in list(self.running.items()):
            try:
                ended = self._follow(r)
            except optuna.exceptions.UpdateFinishedTrialError:
                # another process took this trial for dead (this one starved past the grace
                # period) and queued it again: it trains there, so stop it here
                r.process.close()
                ended = True
            if ended:
                del self.running[number]
                changed = True
        return changed

    def _follow(self, r: Running) -> bool:
        """Pass a trial's events on; True once its process has ended and Optuna knows."""
        for event in r.process.drain():
            self._on_event(r, event)
        if r.outcome and r.process.alive():
            r.process.enforce_stop(grace_s=10)
        if r.process.alive():
            return False
        for event in r.process.drain():  # what it sent just before it ended
            self._on_event(r, event)
        self._end(r)
        return True

    def _on_event(self, r: Running, event: dict) -> None:
        kind = event.get("event")
        if kind == "crash" and not r.outcome:
            r.outcome, r.message = "failed", event.get("message", "the training crashed")
        elif kind == "error" and not r.outcome:  # non-finite loss or gradient
            self._prune(r, f"non-finite values: {event.get('message', '')}")
        elif kind == "epoch" and not r.outcome:
            split, _, key = self.metric.partition(".")
            value = (event.get(split) or {}).get(key)
            if value is None:
                known = sorted(f"{s}.{k}" for s in ("train", "val") for k in event.get(s) or {})
                r.outcome = "failed"
                r.message = f"the run reports no {self.metric} (it has: {', '.join(known)})"
                r.process.stop()
                return
            value = float(value)
            if math.isnan(value):
                self._prune(r, f"{self.metric} is NaN at epoch {event['epoch']}")
                return
            r.values.append(value)
            r.trial.report(value, int(event["epoch"]))
            if r.trial.should_prune():
                self._prune(r, f"pruned at epoch {event['epoch']} ({self.metric} {value:.4g})")

    def _prune(self, r: Running, message: str) -> None:
        r.outcome, r.message = "pruned", message
        r.process.stop()

    def _end(self, r: Running) -> None:
        epochs = len(r.values)
        duration = time.monotonic() - r.started
        if r.outcome is None and not r.values:
            r.outcome = "failed"
            r.message = f"ended before its first epoch ({exit_reason(r.process.exitcode)})"
        r.process.close()
        self._finish(r.trial, r.outcome, r.message, epochs, duration, r.values)

    def _finish(self, trial, outcome: str | None, message: str, epochs: int,
                duration: float = 0.0, values: list | None = None) -> None:
        trial.set_user_attr(S.EPOCHS, epochs)
        trial.set_user_attr("duration_s", round(duration, 3))
        if message:
            trial.set_user_attr(S.MESSAGE, message[:2000])
        if outcome == "pruned":
            self.study.tell(trial, state=S.State.PRUNED)
        elif outcome == "failed":
            trial.set_user_attr(S.COUNTED, True)
            self.study.tell(trial, state=S.State.FAIL)
        else:
            best = max(values) if self.direction == "max" else min(values)
            self.study.tell(trial, best)

    def _interrupt(self) -> None:
        """Stop every child cleanly; their trials fail uncounted and are queued again."""
        for r in self.running.values():
            r.process.stop()
        end = time.monotonic() + 15
        while any(r.process.alive() for r in self.running.values()) and time.monotonic() < end:
            time.sleep(POLL_S)
        for r in self.running.values():
            r.process.close()
            r.trial.set_user_attr(S.MESSAGE, "interrupted; queued again")
            self.study.tell(r.trial, state=S.State.FAIL)
            self.study.enqueue_trial(r.trial.params, skip_if_exists=False)
        self.running.clear()
