"""One trial's training child: :mod:`studio.train.run_process`'s child, plus a watchdog that ends
it when the search that started it is gone (killed with SIGKILL, its machine's session closed),
so no orphan keeps training a trial the study has already given to someone else. No Qt here."""
from __future__ import annotations

import os
import threading
import time

from studio.train.run_process import TrainingProcess, child_main

WATCH_S = 1.0


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(WATCH_S)
        if os.getppid() != parent:  # re-parented: the search process died
            os._exit(3)


def trial_main(parent: int, *args) -> None:
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    child_main(*args)


class TrialProcess(TrainingProcess):
    """A :class:`TrainingProcess` whose child runs :func:`trial_main`."""

    def __init__(self, doc_json: str, run_dir: str, threads: int):
        super().__init__(doc_json, {}, run_dir, threads=threads)
        args = (os.getpid(), doc_json, {}, str(run_dir), None, self.queue, self.stop_flag,
                self.pause_flag, threads)
        self.process = self.ctx.Process(target=trial_main, args=args, daemon=True,
                                        name="netstudio-trial")
