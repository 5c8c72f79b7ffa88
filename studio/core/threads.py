"""Run small tensor work on one thread.

Shape inference and the editor's previews run many tiny ops; on a busy 2-core machine a thread
pool's wake-ups cost more than the work (7 ms instead of 0.1 ms for one batch norm).
"""
from __future__ import annotations

from contextlib import contextmanager

import torch


@contextmanager
def single_threaded():
    threads = torch.get_num_threads()
    if threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
