"""Files replaced in one step: a temp file beside the target, fsync, rename.

A crash or SIGKILL at any moment leaves the old file or the new one, never half of one. What a
kill can leave is the temp file itself, so every temp name carries its writer
(``.<name>.<pid>-<host>.<random>.tmp``) and the next write in that folder removes the temp files
of writers that no longer run. A temp file of a live writer (another studio saving the same
document at this moment) is never touched, so its rename still finds it.
"""
from __future__ import annotations

import glob
import hashlib
import os
import re
import socket
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

_UMASK = os.umask(0o022)  # read once at import (os.umask can only be read by setting it)
os.umask(_UMASK)
# pid and host: a pid alone says nothing about a writer on another machine sharing the folder
_HOST = hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]
_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)-(?P<host>[0-9a-f]{8})\.[A-Za-z0-9_]+\.tmp")
# mkstemp's part of an untagged temp name (older versions); removed only once surely abandoned
_UNTAGGED = re.compile(r"\.[A-Za-z0-9_]{8}\.tmp")
_UNTAGGED_AGE_S = 24 * 3600


def _owner() -> str:
    return f"{os.getpid()}-{_HOST}"  # at call time: a forked child is a different writer


def _running(pid: int) -> bool:
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it there; assume it runs
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _abandoned(entry: Path, name: str | None, now: float) -> bool:
    match = _TEMP.fullmatch(entry.name)
    if match is None:  # an untagged temp file of an older version: only when surely abandoned
        return name is not None and _UNTAGGED.fullmatch(entry.name[len(name) + 1:]) is not None \
            and now - entry.stat().st_mtime > _UNTAGGED_AGE_S
    if (name is not None and match["name"] != name) or match["host"] != _HOST:
        return False
    pid = int(match["pid"])
    return pid != os.getpid() and not _running(pid)


def remove_stale_temps(folder: str | os.PathLike, name: str | None = None) -> list[Path]:
    """Delete the temp files that killed writers left in ``folder`` (for the target ``name``
    only, when given); returns them."""
    folder = Path(folder)
    pattern = f".{glob.escape(name)}.*.tmp" if name else ".*.tmp"
    removed = []
    try:
        entries = list(folder.glob(pattern))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        try:
            if _abandoned(entry, name, now):
                entry.unlink()
                removed.append(entry)
        except OSError:  # gone already, or not ours to delete: the save itself matters more
            continue
    return removed


@contextmanager
def atomic_target(path: str | os.PathLike):
    """A temp path beside ``path`` for writers that need a file name (safetensors' save_file):
    fsynced and renamed over ``path`` when the block ends, removed if it raises."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    remove_stale_temps(folder, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_owner()}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "r+b") as f:
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would have
        # (or the replaced file's), so saved documents and exports stay shareable.
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` (str as UTF-8) so that a crash leaves the old file or the new one."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_target(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(payload)
