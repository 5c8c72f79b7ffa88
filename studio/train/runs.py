"""The run folder: document snapshot, resolved config, metrics.jsonl and checkpoints.

::

    runs/lenet5-20250101-120000/
        document.nnet.json   the document as trained (preset and --var applied)
        config.json          the resolved training config
        metrics.jsonl        one event per line (see studio.train.events)
        checkpoints/last.safetensors     weights, optimizer state, RNG, with the rest as its
        checkpoints/best.safetensors     metadata (studio.train.checkpoints)

Tensors go to safetensors, everything else to JSON: no pickle anywhere, so a run folder from a
stranger is safe to open. What is read back is checked: a damaged file is a :class:`RunError`
naming it.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from studio.core.names import inside, safe_filename
from studio.core.serialize import atomic_write, dumps
from studio.train.checkpoints import (RunError, checkpoint_file,  # noqa: F401 (the run's API)
                                      load_checkpoint, read_checkpoint, resume_state,
                                      save_checkpoint)


def fresh_run_path(root: str | Path, name: str) -> Path:
    """``<root>/<name>-<time>``, made unique, not created. ``name`` comes from the document, so
    it passes through :func:`safe_filename` and the folder is checked to lie inside ``root``: a
    document named ``../../x`` or ``/tmp/x`` trains in ``runs/_._x-…`` / ``runs/_tmp_x-…``,
    never beside or above it."""
    stem = f"{safe_filename(name, 'run')}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, k = Path(root) / stem, 2
    while path.exists():
        path, k = Path(root) / f"{stem}-{k}", k + 1
    inside(root, path.name)
    return path


def new_run_dir(out: str | None, name: str, root: str | Path = "runs") -> Path:
    """``out`` itself when given (created: the user chose it), else a fresh folder under
    ``root`` (:func:`fresh_run_path`), created with its ``checkpoints`` folder."""
    path = Path(out) if out else fresh_run_path(root, name)
    (path / "checkpoints").mkdir(parents=True, exist_ok=True)
    return path


def write_snapshot(run: Path, doc, config: dict) -> None:
    atomic_write(run / "document.nnet.json", dumps(doc))
    atomic_write(run / "config.json", json.dumps(config, indent=1, sort_keys=True))


def read_run(run: str | Path) -> tuple[Path, dict]:
    """The run folder and its resolved config; :class:`RunError` names what is wrong."""
    run = Path(run)
    config = run / "config.json"
    if not config.is_file():
        raise RunError(f"{run}: not a run folder (no config.json)")
    try:
        saved = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise RunError(f"{config}: unreadable ({type(e).__name__}: {e})") from None
    if not isinstance(saved, dict):
        raise RunError(f"{config}: expected a JSON object (the resolved training config), "
                       f"got {type(saved).__name__}")
    return run, saved
