"""Crash-recovery files: one per studio instance and document, owned through a kernel file lock.

The recovery folder (``files.recovery_dir()``) holds, per live studio window ("instance"):

    <instance>.lock                  locked by the instance for its whole life
    <instance>-<key>.nnet.json       its unsaved document, with an owner record under "recovery"

The instance id is random (uuid4) and the key a hash of the document's path, so no user text
reaches a file name and nothing is ever written outside the folder. The lock is an OS lock
(``flock``, or ``msvcrt.locking`` on Windows, through ``filelock``) that the kernel drops when
its process ends however it ends, SIGKILL included, and that a process reusing the pid does not
hold. So "the lock can be taken" means exactly "the owner is gone": its files are orphans, and
:func:`claim_orphans` hands them out to one starting instance at a time. A live instance removes
only its own files (clean close, successful save, another document opened).
"""
from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path

from filelock import FileLock, Timeout

from studio.core.names import inside
from studio.core.serialize import atomic_write, document_from_json

SUFFIX = ".nnet.json"
_FILE = re.compile(r"([0-9a-f]{32})-([0-9a-f]{16})\.nnet\.json")
_TEMP = re.compile(r"\.([0-9a-f]{32})-.+")  # atomic_write's temp file beside a recovery file
_ID = re.compile(r"[0-9a-f]{32}")
# A lock file is created a moment before it is locked; one this young is never swept as stale.
FRESH_S = 10.0


def _lock(path: Path) -> FileLock:
    # thread_local=False: a claim may be released by the autosave thread after its write;
    # no soft-lock fallback: a lock left by a dead process must never look alive.
    return FileLock(path, thread_local=False, fallback_to_soft=False)


def document_key(path: str | None, serial: int) -> str:
    """16 hex digits naming one document of an instance: its path, or the n-th untitled one."""
    text = os.path.abspath(path) if path else f"untitled-{serial}"  # no filesystem call
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class Owner:
    """This instance's claim on the recovery folder: the lock, held until :meth:`close`."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.id = uuid.uuid4().hex
        self.started = time.time()
        self._lock = _lock(folder / f"{self.id}.lock")
        self._lock.acquire(timeout=0)  # a fresh uuid: only an unusable folder can refuse it

    def target(self, key: str) -> Path:
        return inside(self.folder, f"{self.id}-{key}{SUFFIX}")  # hex digits only, checked anyway

    def write(self, raw: dict, path: str | None, target: Path) -> None:
        """Write the document ``raw`` (from ``Document.to_json``) with the owner record."""
        raw["recovery"] = {"instance": self.id, "pid": os.getpid(), "started": self.started,
                           "path": path, "saved": time.time()}
        # ensure_ascii: a name the document file cannot be encoded with (a lone surrogate)
        # still reaches the recovery file as a JSON escape. iterencode is json's Python
        # encoder: slower than json.dumps's C one, but it gives the GIL back between chunks,
        # so the GUI thread never waits for a whole large document (bench/autosave.py).
        atomic_write(target, "".join(json.JSONEncoder(ensure_ascii=True).iterencode(raw)))

    def files(self) -> list[Path]:
        return sorted(self.folder.glob(f"{self.id}-*{SUFFIX}"))

    def close(self) -> None:
        """Remove this instance's files, then give up the lock (a clean end)."""
        for file in self.files():
            file.unlink(missing_ok=True)
        self._lock.release()
        (self.folder / f"{self.id}.lock").unlink(missing_ok=True)


@dataclass
class _Claim:
    """The lock of a dead instance, held by this one while its files are decided on."""
    lock: FileLock
    path: Path
    pending: set = field(default_factory=set)

    def done(self, file: Path | None = None) -> None:
        self.pending.discard(file)
        if self.pending:
            return
        self.lock.release()
        if not any(self.path.parent.glob(f"{self.path.stem}-*{SUFFIX}")):
            self.path.unlink(missing_ok=True)  # nothing of that instance is left


@dataclass
class Orphan:
    """A recovery file whose instance is gone, claimed until restored, discarded or released."""
    file: Path
    path: str | None  # the document's file when it was autosaved; None: never saved
    saved: float | None
    pid: int | None
    started: float | None
    doc: object | None  # the Document, or None when the file cannot be read (see problem)
    problem: str | None
    claim: _Claim = field(repr=False)
    diagnostics: list = field(default_factory=list)  # from loading doc, shown once restored

    def discard(self) -> None:
        """Delete the file (after a restore has written its own copy, or on the user's word)."""
        self.file.unlink(missing_ok=True)
        self.claim.done(self.file)

    def release(self) -> None:
        """Keep the file for the next start."""
        self.claim.done(self.file)


def _read(file: Path, claim: _Claim) -> Orphan:
    info, doc, problem, diagnostics = {}, None, None, []
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
        info = raw.pop("recovery", None)
        doc, diagnostics = document_from_json(raw)
    except Exception as e:  # any damage: shown in the offer (discardable), never a crash at start
        problem = f"{file.name} cannot be read: {type(e).__name__}: {e}"[:300]
    info = info if isinstance(info, dict) else {}

    def typed(key, kind):
        return info.get(key) if isinstance(info.get(key), kind) else None
    saved = typed("saved", (int, float)) or _mtime(file)  # a damaged record: the file's time
    return Orphan(file, typed("path", str), saved, typed("pid", int),
                  typed("started", (int, float)), doc, problem, claim, diagnostics)


def claim_orphans(folder: Path) -> list[Orphan]:
    """Every recovery file in ``folder`` whose instance is gone, oldest first, each claimed by
    this process (another instance starting now does not see it). Lock files and temp files
    (of a write cut short) left by instances that are gone are removed on the way."""
    if not folder.is_dir():
        return []
    owned: dict[str, tuple[list, list]] = {}  # instance id -> (recovery files, temp files)
    for file in folder.iterdir():
        if m := _FILE.fullmatch(file.name):
            owned.setdefault(m.group(1), ([], []))[0].append(file)
        elif m := _TEMP.fullmatch(file.name):
            owned.setdefault(m.group(1), ([], []))[1].append(file)
        elif file.suffix == ".lock" and _ID.fullmatch(file.stem) and _age(file) > FRESH_S:
            owned.setdefault(file.stem, ([], []))  # a lock alone: swept below if stale
    orphans = []
    for owner, (recoveries, temps) in owned.items():
        claim = _claim(folder / f"{owner}.lock")
        if claim is None:
            continue  # its instance is alive (or another one starting now claimed it)
        for temp in temps:
            temp.unlink(missing_ok=True)
        claim.pending = {f for f in recoveries if f.exists()}
        orphans += [_read(f, claim) for f in sorted(claim.pending)]
        if not claim.pending:
            claim.done()
    return sorted(orphans, key=lambda o: o.saved or 0)


def _mtime(file: Path) -> float | None:
    try:
        return file.stat().st_mtime
    except OSError:
        return None


def _age(file: Path) -> float:
    mtime = _mtime(file)
    return 0.0 if mtime is None else time.time() - mtime


def _claim(lock_path: Path) -> _Claim | None:
    lock = _lock(lock_path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return _Claim(lock, lock_path)
