"""Recent files (QSettings) and crash recovery: the open document is written every 30 s to a
recovery file while it has unsaved changes; a clean close removes it, so a recovery file found
at start-up means the last session ended without saving and is offered for restore."""
from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer

from studio.core.serialize import atomic_write, document_from_json

MAX_RECENT = 10
AUTOSAVE_MS = 30_000


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


def recovery_path() -> Path:
    return state_dir() / "recovery.nnet.json"


def write_recovery(doc, path: str | None) -> Path:
    raw = doc.to_json()
    raw["recovery"] = {"path": path, "saved": time.time()}  # ignored by the loader
    target = recovery_path()
    atomic_write(target, json.dumps(raw, indent=1))
    return target


def read_recovery():
    """(document, original path, when) from a leftover recovery file, or None."""
    target = recovery_path()
    if not target.is_file():
        return None
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
        info = raw.pop("recovery", {}) or {}
        doc, _ = document_from_json(raw)
    except Exception:  # an unreadable recovery file is not worth a crash at start-up
        return None
    return doc, info.get("path"), info.get("saved")


def clear_recovery() -> None:
    recovery_path().unlink(missing_ok=True)


class Autosave(QObject):
    """Writes the session's document to the recovery file on a timer while it is modified."""

    def __init__(self, session, interval_ms: int = AUTOSAVE_MS, parent=None):
        super().__init__(parent)
        self.session = session
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def tick(self) -> bool:
        if self.session.doc is None or self.session.undo.isClean():
            return False
        try:
            write_recovery(self.session.doc, self.session.path)
        except OSError as e:
            self.session.message.emit(f"Autosave failed: {e}")
            return False
        return True

    def stop(self) -> None:
        self.timer.stop()
