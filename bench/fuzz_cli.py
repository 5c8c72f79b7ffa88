"""The CLI slice of ``bench/fuzz.py``: fuzz documents through ``netstudio validate`` and
``summary`` in real subprocesses, as a user would run them.

A run fails when its stderr holds a Python traceback or when it has to be killed (past the time
limit, or by a signal). The CLI promises one line and exit 2 for a document it refuses; errors
longer than that are counted too, without a goal. Each subprocess gets the address-space limit
the fuzz workers get (this process's size plus the budget).
"""
from __future__ import annotations

import collections
import re
import resource
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from fuzzing.pipeline import project_frame

COMMANDS = ("validate", "summary")
TRACEBACK = "Traceback (most recent call last)"
INTERNAL = "netstudio: internal error:"
_FRAME = re.compile(r'File "(.+)", line \d+, in (\S+)')


@dataclass
class CliTally:
    runs: int = 0
    tracebacks: int = 0
    killed: int = 0
    long_errors: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    examples: dict = field(default_factory=dict)  # signature -> (count, case, command, line)

    def failed(self, signature: str, case, command: str, line: str) -> None:
        count, *first = self.examples.get(signature, (0, case, command, line))
        self.examples[signature] = (count + 1, *first)

    def report(self) -> None:
        print(f"\ncli: {self.runs} runs ({', '.join(COMMANDS)}): exit statuses "
              f"{dict(sorted(self.statuses.items()))}; errors over one line: {self.long_errors}")
        for signature, (count, case, command, line) in sorted(
                self.examples.items(), key=lambda kv: -kv[1][0]):
            print(f"{count:>6}  {signature}")
            print(f"{'':>8}first: netstudio {command} on case {case.index} "
                  f"(--write-case {case.index}): {case.label()[:200]}")
            print(f"{'':>8}says: {line[:200]}")
        print(f"cli runs killed: {self.killed} (goal == 0)")
        print(f"cli errors over one line: {self.long_errors} (goal == 0)")


def _address_space() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmSize:")) * 1024


def _run(path: Path, command: str, timeout: float, limit: int):
    def limited():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        done = subprocess.run([sys.executable, "-m", "studio", command, str(path)],
                              capture_output=True, text=True, errors="replace",
                              timeout=timeout, preexec_fn=limited)
    except subprocess.TimeoutExpired:
        return None, ""
    return done.returncode, done.stderr


def _judge(tally: CliTally, case, command: str, status, stderr: str) -> None:
    tally.runs += 1
    tally.statuses["killed" if status is None else str(status)] += 1
    lines = [line for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if status is None or status < 0:
        tally.killed += 1
        how = "past the time limit" if status is None else f"signal {-status}"
        tally.failed(f"killed ({how}) in {command}", case, command, last)
    elif status == 1 and INTERNAL in last:  # the CLI's one-line report of a bug: a crash
        tally.tracebacks += 1
        tally.failed(f"internal error {last.split(INTERNAL)[-1].split(':')[0].strip()} "
                     f"({command})", case, command, last)
    elif TRACEBACK in stderr:
        tally.tracebacks += 1
        where = project_frame(_FRAME.findall(stderr.split(TRACEBACK)[-1]))
        tally.failed(f"traceback {last.split(':')[0]} in {where} ({command})", case, command,
                     last)
    elif status == 2 and len(lines) > 1:
        tally.long_errors += 1
        tally.failed(f"error over {len(lines)} lines ({command})", case, command,
                     " | ".join(lines)[:400])


def run_cli_slice(cases, jobs: int, timeout: float, memory_mb: int) -> CliTally:
    tally = CliTally()
    limit = _address_space() + memory_mb * 2 ** 20
    with tempfile.TemporaryDirectory(prefix="netstudio-fuzz-cli-") as folder:
        work = []
        for case in cases:
            path = Path(folder) / f"case{case.index}.nnet.json"
            path.write_bytes(case.data)
            work += [(case, path, command) for command in COMMANDS]
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(lambda w: _run(w[1], w[2], timeout, limit), work)
            for (case, _, command), (status, stderr) in zip(work, results):
                _judge(tally, case, command, status, stderr)
    return tally
