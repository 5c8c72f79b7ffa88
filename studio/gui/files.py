"""Recent files (QSettings), the studio's state folder, and autosave.

Autosave writes the open document to this window's own recovery file (see
:mod:`studio.gui.recovery`) shortly after the edits stop: ``QUIET_MS`` after the last edit, and
at the latest ``MAX_DELAY_MS`` after the first unsaved one while editing goes on, so a crash loses
at most a few seconds of work. Only the snapshot (``Document.to_json``) is taken on the GUI
thread; encoding and the fsync'ed write run on one worker thread, in order, so a big document
does not stall typing (bench/autosave.py measures both). The file goes when the document is
saved or back at its saved state, when another document replaces it, and at a clean close.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from filelock import Timeout
from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer, Signal

from studio.gui import recovery

MAX_RECENT = 10
QUIET_MS = 1_000  # the pause after which edits count as finished
MAX_DELAY_MS = 3_000  # continuous editing is still written this often


def settings() -> QSettings:
    return QSettings("NetStudio", "NetStudio")


def recent_files() -> list[str]:
    value = settings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [p for p in (value or []) if isinstance(p, str)]


def add_recent(path: str) -> None:
    path = str(Path(path).resolve())
    files = [path, *(p for p in recent_files() if p != path)][:MAX_RECENT]
    settings().setValue("recent", files)


def state_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.GenericDataLocation)
    folder = Path(base or Path.home() / ".local/share") / "netstudio"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def recovery_dir() -> Path:
    return state_dir() / "recovery"


class Autosave(QObject):
    """Keeps the session's unsaved document in this window's recovery file (debounced)."""

    failed = Signal(str)  # emitted from the worker thread; Qt queues it to the GUI thread

    def __init__(self, session, folder: Path | None = None, quiet_ms: int = QUIET_MS,
                 max_delay_ms: int = MAX_DELAY_MS, parent=None):
        super().__init__(parent)
        self.session = session
        self.failed.connect(session.message)
        folder = folder or recovery_dir()
        try:
            self.owner = recovery.Owner(folder)
        except (OSError, Timeout) as e:  # the studio still works, only without a safety net
            self.owner = None
            session.message.emit(f"Autosave is off: cannot lock a recovery file in {folder}: {e}")
        self.target: Path | None = None  # the file last written for the current document
        self._serial = 0  # tells untitled documents of this window apart
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="autosave")
        self.quiet = QTimer(self, singleShot=True, interval=quiet_ms)
        self.deadline = QTimer(self, singleShot=True, interval=max_delay_ms)
        self.quiet.timeout.connect(self.save_now)
        self.deadline.timeout.connect(self.save_now)
        session.undo.indexChanged.connect(self.changed)
        session.undo.cleanChanged.connect(self.changed)
        session.document_replaced.connect(self.replaced)

    # ---- reactions ----------------------------------------------------------------------
    def changed(self, *_) -> None:
        if self.owner is None:  # closed (the undo stack still signals while it is destroyed)
            return
        if self.session.undo.isClean():  # saved, or undone back to what the file holds
            self._cancel()
            self._drop_target()
            return
        self.quiet.start()  # restarts: written once the edits pause
        if not self.deadline.isActive():
            self.deadline.start()

    def replaced(self) -> None:
        """Another document is open: the previous one was saved or discarded by the user."""
        self._cancel()
        self._drop_target()
        self._serial += 1

    # ---- writing ------------------------------------------------------------------------
    def save_now(self, then=None) -> bool:
        """Queue a write of the unsaved document now; ``then()`` runs on the worker after it
        succeeded. False when there is nothing to write or autosave is off."""
        self._cancel()
        doc = self.session.doc
        if self.owner is None or doc is None or self.session.undo.isClean():
            return False
        raw = doc.to_json()  # here, on the GUI thread: edits must not change it mid-encoding
        path = self.session.path
        target = self.owner.target(recovery.document_key(path, self._serial))
        previous, self.target = self.target, target
        self._worker.submit(self._write, raw, path, target,
                            previous if previous != target else None, then)
        return True

    def _write(self, raw, path, target: Path, previous: Path | None, then) -> None:
        try:
            self.owner.write(raw, path, target)
        except Exception as e:  # nothing else would report it from this thread
            self.failed.emit(f"Autosave failed: cannot write {target}: {e}")
            return
        if previous is not None:
            previous.unlink(missing_ok=True)  # the document was renamed by a save-as
        if then is not None:
            then()

    def wait(self) -> None:
        """Block until every queued write or removal is done."""
        self._worker.submit(lambda: None).result()

    def close(self) -> None:
        """A clean end: finish queued work, remove this window's files, release its lock."""
        self._cancel()
        undo = self.session.undo
        for signal, slot in ((undo.indexChanged, self.changed), (undo.cleanChanged, self.changed),
                             (self.session.document_replaced, self.replaced)):
            signal.disconnect(slot)
        self._worker.shutdown(wait=True)
        if self.owner is not None:
            self.owner.close()
            self.owner = None

    def _cancel(self) -> None:
        self.quiet.stop()
        self.deadline.stop()

    def _drop_target(self) -> None:
        if self.target is not None and self.owner is not None:
            self._worker.submit(self.target.unlink, missing_ok=True)
        self.target = None
