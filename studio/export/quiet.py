"""Silence exporters' progress prints, warnings and log lines while keeping them for errors.

The dynamo exporter logs translation notes, torch warns about legacy paths, and the TorchScript
exporter prints its whole IR graph from C++ when it fails; a command's output should be the
result, not pages of library chatter. Python-level streams and the process's file descriptors
1 and 2 are both redirected, so C++ prints are caught too.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
import tempfile
import warnings


@contextlib.contextmanager
def _descriptors_to(sink):
    """Point fds 1 and 2 at ``sink`` for the duration; restored even on error."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = []
    try:
        for fd in (1, 2):
            saved.append((fd, os.dup(fd)))
            os.dup2(sink.fileno(), fd)
        yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)


@contextlib.contextmanager
def quiet():
    """Everything printed inside goes to the yielded StringIO (C++ output is appended at exit)."""
    captured = io.StringIO()
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with tempfile.TemporaryFile(mode="w+b") as sink:
            try:
                with warnings.catch_warnings(), _descriptors_to(sink), \
                        contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
                    warnings.simplefilter("ignore")
                    yield captured
            finally:
                sink.seek(0)
                captured.write(sink.read().decode("utf-8", "replace"))
    finally:
        logging.disable(previous)
