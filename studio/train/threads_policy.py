"""How many intra-op threads a training process uses: never more cores than are free for it.

torch's default is one thread per core of the machine. On a 2-core machine where another
process keeps a core busy, that default made ``netstudio train`` 8-14x slower than one thread:
each op's threads wait at a barrier for the one that shares a core with the other process. The
policy, in order:

- an explicit count (``--threads N``, the training section's ``threads``) is used as given;
- a small model (under ``SMALL_MODEL_PARAMS`` trainable parameters: its ops are microseconds,
  shorter than a wake-up of the thread pool) gets one thread;
- otherwise the cores this process may run on (``os.sched_getaffinity``), shared among the ranks
  of a DDP job on this host, less the cores other processes keep busy now (runnable tasks in
  ``/proc/loadavg``, sampled over a few ms, and the one-minute load average), less ``reserve``
  (the studio keeps one for its window), and at least one.
"""
from __future__ import annotations

import os
import statistics
import time

SMALL_MODEL_PARAMS = 1_000_000
AUTO = "auto"


class ThreadsError(ValueError):
    """A ``threads`` setting that is neither ``"auto"`` nor a whole number >= 1."""


def usable_cores() -> int:
    """Cores this process may run on (a container's or ``taskset``'s limit included)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _running_now(samples: int = 7, gap_s: float = 0.004) -> float | None:
    """Runnable tasks on the machine other than this thread (median of a few readings)."""
    counts = []
    for _ in range(samples):
        try:
            with open("/proc/loadavg", encoding="ascii") as f:
                running = f.read().split()[3].split("/")[0]
        except (OSError, IndexError):
            return None
        counts.append(int(running) - 1)  # the reading thread itself is running
        time.sleep(gap_s)
    return statistics.median(counts)


def busy_cores() -> int:
    """Cores that other processes keep busy: the larger of what runs now and the 1-minute
    load average (which also counts a competitor that was just waiting for its turn)."""
    now = _running_now()
    try:
        recent = os.getloadavg()[0]
    except (AttributeError, OSError):
        recent = 0.0
    # rounded: this process's own start-up adds a fraction of a core to the load, not a rival
    return max(round(now or 0), round(recent))


def parse_threads(value) -> int | None:
    """None for automatic, else the count; :class:`ThreadsError` naming the bad value."""
    if value is None or value == AUTO:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise ThreadsError(f"training.threads: expected \"auto\" or a whole number >= 1, "
                       f"got {value!r:.60}")


def choose_threads(setting, model_params: int, *, ranks_here: int = 1, reserve: int = 0,
                   busy: int | None = None) -> int:
    """The intra-op thread count for a model of ``model_params`` trainable parameters."""
    given = parse_threads(setting)
    if given is not None:
        return given
    if model_params < SMALL_MODEL_PARAMS:
        return 1
    share = usable_cores() // max(1, ranks_here)
    rivals = busy_cores() if busy is None else busy
    return max(1, share - rivals - reserve)


def apply_thread_policy(trainer, setting=None, reserve: int = 0) -> int:
    """Set torch's intra-op threads for a set-up ``trainer``; ``setting`` (the command line's
    ``--threads``) wins over the training section's ``threads``. Returns the count."""
    import torch
    if setting is None:
        setting = trainer.config.get("threads", AUTO)
    params = sum(p.numel() for m in trainer.modules().values() for p in m.parameters()
                 if p.requires_grad)
    ranks_here = int(os.environ.get("LOCAL_WORLD_SIZE", "1") or 1)
    threads = choose_threads(setting, params, ranks_here=ranks_here, reserve=reserve)
    torch.set_num_threads(threads)
    return threads
