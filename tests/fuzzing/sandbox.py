"""Worker processes that run fuzz cases under a per-case time limit and memory limit.

Each worker is forked from the caller (no re-import of torch per worker), limits its own
address space with ``RLIMIT_AS`` to what it had after the fork plus ``memory_mb``, uses one
torch thread (the machine is shared, and a forked child must not touch the parent's OpenMP
pool), and serves cases over a pipe. A case past ``timeout`` seconds of CPU (or ``WALL_FACTOR``
times that in wall time: on a shared machine a worker waits for a core, which is no hang) is a
hang: the worker is asked for
its Python stack (``faulthandler`` on SIGUSR1, which works even inside a long C call such as a
huge ``**``), then killed and replaced. A worker that dies is a memory blow-up when the kernel
killed it (SIGKILL, the OOM killer) and a crash otherwise. Linux only (``/proc``, ``RLIMIT_AS``).
"""
from __future__ import annotations

import faulthandler
import multiprocessing
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import warnings
from multiprocessing.connection import wait

from .pipeline import CRASH, HANG, MEMORY, Outcome, classify, project_frame, run_document

_CTX = multiprocessing.get_context("fork")  # explicit: 3.14 changes the default on Linux
_FRAME = re.compile(r'File "(.+)", line \d+ in (\S+)')
WALL_FACTOR = 6
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("inf")  # gone: the pipe reports its end
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14, 15)


def _address_space() -> int:
    """This process's current virtual memory size in bytes (VmSize)."""
    with open("/proc/self/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    return kb * 1024


def _serve(conn, target, memory_bytes: int, stack_file: str, scratch: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C belongs to the parent, which kills us
    tempfile.tempdir = scratch  # what a killed case leaves behind goes when the sandbox closes
    warnings.simplefilter("ignore")
    devnull = os.open(os.devnull, os.O_WRONLY)  # cases print nothing the report needs
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    faulthandler.register(signal.SIGUSR1, file=open(stack_file, "w"), all_threads=False)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = _address_space() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            args = conn.recv()
        except EOFError:
            return
        if args is None:
            return
        sequence, args = args
        try:
            outcome = target(*args)
        except Exception as e:  # noqa: BLE001  (a target that does not classify its own ends)
            outcome = classify(e, "worker")
        conn.send((sequence, outcome))


class _Worker:
    def __init__(self, target, memory_bytes: int, scratch: str):
        fd, self.stack_file = tempfile.mkstemp(prefix="stack-", dir=scratch)
        os.close(fd)
        self.conn, child = _CTX.Pipe()
        self.process = _CTX.Process(target=_serve, daemon=True,
                                    args=(child, target, memory_bytes, self.stack_file, scratch))
        self.process.start()
        child.close()
        self.served, self.key, self.deadline = 0, None, 0.0
        self.started, self.cpu_at_start = 0.0, 0.0

    def begin(self, key, timeout: float) -> None:
        self.key, self.started = key, time.monotonic()
        self.deadline, self.cpu_at_start = self.started + timeout, _cpu_seconds(self.process.pid)

    def still_working(self, timeout: float) -> bool:
        """At the deadline: True (with a later deadline) while the case has used less than
        ``timeout`` of CPU and less than WALL_FACTOR times it of wall time."""
        now = time.monotonic()
        used = _cpu_seconds(self.process.pid) - self.cpu_at_start
        if used >= timeout or now - self.started >= timeout * WALL_FACTOR:
            return False
        self.deadline = min(now + timeout - used, self.started + timeout * WALL_FACTOR)
        return True

    def hung_at(self) -> str:
        """Where the worker is stuck: its Python stack, dumped on request."""
        os.kill(self.process.pid, signal.SIGUSR1)
        found = []
        for _ in range(20):  # the dump takes milliseconds; give a busy machine two seconds
            time.sleep(0.1)
            with open(self.stack_file) as f:
                found = _FRAME.findall(f.read())
            if found:
                break
        return project_frame(reversed(found))  # faulthandler lists the innermost first

    def died(self) -> Outcome:
        self.process.join(2)
        code = self.process.exitcode
        if code == -signal.SIGKILL:
            return Outcome(MEMORY, "worker killed (SIGKILL: out of memory)")
        name = signal.Signals(-code).name if code and code < 0 else f"exit status {code}"
        return Outcome(CRASH, f"worker died ({name})")

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)  # asks the worker to return
            except OSError:  # it is gone already: the join below finds it ended
                pass
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()
        os.unlink(self.stack_file)


class Sandbox:
    """``jobs`` workers; :meth:`map` yields ``(key, Outcome)`` as cases finish (any order)."""

    def __init__(self, jobs: int = 1, timeout: float = 10.0, memory_mb: int = 2048,
                 recycle: int = 100, target=run_document):
        self.jobs, self.timeout, self.recycle, self.target = jobs, timeout, recycle, target
        self.memory_bytes = memory_mb * 2 ** 20
        self._workers: list[_Worker] = []
        self._scratch = tempfile.mkdtemp(prefix="netstudio-fuzz-")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()
        self._workers = []
        shutil.rmtree(self._scratch, ignore_errors=True)

    def _fresh(self) -> _Worker:
        if not os.path.isdir(self._scratch):  # used again after close()
            self._scratch = tempfile.mkdtemp(prefix="netstudio-fuzz-")
        return _Worker(self.target, self.memory_bytes, self._scratch)

    def _replace(self, worker: _Worker, kill: bool) -> None:
        worker.stop(kill)
        self._workers[self._workers.index(worker)] = self._fresh()

    def run(self, *args) -> Outcome:
        """One case, in a worker."""
        return next(self.map([(None, args)]))[1]

    def map(self, tasks):
        """``tasks``: iterable of ``(key, args)``; each case is ``target(*args)`` in a worker."""
        tasks = iter(tasks)
        while len(self._workers) < self.jobs:
            self._workers.append(self._fresh())
        busy: dict[object, _Worker] = {}
        try:
            yield from self._serve_all(tasks, busy)
        finally:  # stopped early: results still on their way would answer the wrong case
            for worker in busy.values():
                self._replace(worker, kill=True)

    def _serve_all(self, tasks, busy):
        more = True
        while more or busy:
            for worker in [w for w in self._workers if w.conn not in busy]:
                task = next(tasks, None) if more else None
                if task is None:
                    more = False
                    break
                worker.begin(task[0], self.timeout)
                worker.conn.send((worker.served, task[1]))
                busy[worker.conn] = worker
            if not busy:
                break
            left = min(w.deadline for w in busy.values()) - time.monotonic()
            for conn in wait(list(busy), timeout=max(left, 0)):
                worker = busy.pop(conn)
                try:
                    sequence, outcome = conn.recv()
                    replace = False
                except (EOFError, OSError):
                    (sequence, outcome), replace = (worker.served, worker.died()), True
                if sequence != worker.served:
                    raise RuntimeError(f"fuzz worker answered case {sequence}, expected "
                                       f"{worker.served} (harness out of step)")
                worker.served += 1
                # replaced before the yield: a caller may stop iterating at any yield
                if replace or worker.served >= self.recycle:
                    self._replace(worker, kill=replace)
                yield worker.key, outcome
            now = time.monotonic()
            for conn, worker in list(busy.items()):
                if worker.deadline <= now and not worker.still_working(self.timeout):
                    del busy[conn]
                    where = worker.hung_at()
                    self._replace(worker, kill=True)
                    yield worker.key, Outcome(HANG, f"hang in {where}", f"over {self.timeout:g} s "
                                              "of CPU", seconds=self.timeout)
