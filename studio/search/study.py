"""A study: Optuna's record of every trial, in a SQLite file in the study folder by default.

::

    searches/mlp/
        study.json           the study's name and storage URL (what --report reads)
        document.nnet.json   the searched document
        study.db             Optuna's storage (SQLite) unless --storage names another
        trials/trial-0003/   each trial's run folder (openable in the dashboard)

Any database URL Optuna supports works as storage, so processes on several machines can share
one study; each keeps its trials' run folders in its own study folder. Running trials record a
heartbeat: a trial whose process died is failed after a grace period and its values queued again
(:class:`optuna.storages.RetryHeartbeatStaleTrialCallback`), so a killed search resumes with them.
"""
from __future__ import annotations

import contextlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import optuna

from studio.core.names import safe_filename
from studio.core.serialize import atomic_write, dumps, load
from studio.search.space import SearchError, grid

COUNTED = "counted"  # user attr: the trial uses up budget (a broken config does; a re-queue not)
MESSAGE = "message"  # user attr: why it failed or was pruned
RUN_DIR, EPOCHS, WORKER = "run_dir", "epochs", "worker"
State = optuna.trial.TrialState



@contextlib.contextmanager
def quiet_optuna():
    """The heartbeat (Optuna's way to find trials whose process died) is marked experimental
    and expected from Study.optimize; our loop records it itself, on purpose: no warnings."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used")
        yield


def default_storage(folder: Path) -> str:
    return f"sqlite:///{(Path(folder) / 'study.db').resolve()}"


def storage_for(url: str, heartbeat_s: float) -> optuna.storages.RDBStorage:
    try:
        with quiet_optuna():
            return optuna.storages.RDBStorage(
                url, heartbeat_interval=max(1, round(heartbeat_s)),
                grace_period=max(2, round(3 * heartbeat_s)),
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=2))
    except Exception as e:  # noqa: BLE001 - SQLAlchemy raises many kinds for a bad URL
        raise SearchError(f"--storage {url}: cannot open ({type(e).__name__}: "
                          f"{str(e).splitlines()[0] if str(e) else ''})") from None


class _GridSampler(optuna.samplers.GridSampler):
    """Optuna's grid sampler, minus its call to ``Study.stop`` when the grid is used up: that
    works only inside ``Study.optimize``, and our loop stops at its budget (the grid's size at
    most, :func:`budget_of`)."""

    def after_trial(self, study, trial, state, values) -> None:
        pass


def budget_of(section: dict, trials: int | None) -> int:
    """Trials in the study: the command line's, else the section's, else 20; a grid's size at
    most (a grid sampler repeats itself past that)."""
    budget = int(trials or section.get("trials") or 20)
    if section.get("sampler") == "grid":
        size = 1
        for values in grid(section).values():
            size *= len(values)
        budget = min(budget, size)
    return budget


def sampler_for(section: dict, existing: int = 0) -> optuna.samplers.BaseSampler:
    """The section's sampler, seeded with its seed on a new study (a fresh search repeats
    itself). Resuming, or joining another process's study, mixes in the trial count and this
    process: the same seed again would propose the same values as the first run did."""
    seed, name = section.get("seed", 0), section.get("sampler") or "tpe"
    if existing:
        seed = int(np.random.SeedSequence([seed, existing, os.getpid()]).generate_state(1)[0])
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "grid":
        return _GridSampler(grid(section), seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def pruner_for(section: dict, epochs: int | None = None) -> optuna.pruners.BasePruner:
    name = section.get("pruner") or "median"
    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "hyperband":
        # The budget in epochs is known unless the search varies it: with Optuna's "auto" the
        # brackets only form once a trial has finished, so the first trials would never enter
        # a rung and the next ones would compete against nobody.
        searched = any(d.get("name") == "epochs" for d in section.get("dimensions") or [])
        top = epochs if isinstance(epochs, int) and epochs > 0 and not searched else "auto"
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=top)
    return optuna.pruners.MedianPruner(
        n_startup_trials=section.get("pruner_startup_trials", 5),
        n_warmup_steps=section.get("pruner_warmup_epochs", 0))


def open_study(name: str, storage, section: dict, direction: str,
               epochs: int | None = None) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our progress line says it
    study = optuna.create_study(
        study_name=name, storage=storage, sampler=sampler_for(section),
        pruner=pruner_for(section, epochs), load_if_exists=True,
        direction="maximize" if direction == "max" else "minimize")
    study.sampler = sampler_for(section, len(study.get_trials(deepcopy=False)))
    wanted = "maximize" if direction == "max" else "minimize"
    if study.direction.name.lower() != wanted:
        raise SearchError(f"study {name!r} already exists and {study.direction.name.lower()}s "
                          f"its objective; this document asks to {wanted} it")
    return study


def write_folder(folder: Path, name: str, storage_url: str, doc) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "study.json", json.dumps({"study": name, "storage": storage_url},
                                                    indent=1))
    atomic_write(folder / "document.nnet.json", dumps(doc))


def read_folder(study: str, storage: str | None) -> tuple[str, str, Path | None]:
    """(study name, storage URL, folder or None) for ``--report STUDY``: a study folder, or a
    study name on ``--storage``."""
    folder = Path(study)
    if (folder / "study.json").is_file():
        try:
            info = json.loads((folder / "study.json").read_text(encoding="utf-8"))
            return str(info["study"]), storage or str(info["storage"]), folder
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SearchError(f"{folder / 'study.json'}: unreadable ({type(e).__name__})") \
                from None
    if storage:
        return study, storage, None
    raise SearchError(f"{study}: not a study folder (no study.json); give a folder made by "
                      "`netstudio search` or a study name with --storage URL")


def folder_document(folder: Path | None, study: optuna.Study):
    """The searched document: the study folder's copy, else the one the study recorded."""
    from studio.core.serialize import document_from_json
    if folder is not None and (folder / "document.nnet.json").is_file():
        return load(folder / "document.nnet.json")[0]
    raw = study.user_attrs.get("document")
    if raw is None:
        raise SearchError(f"study {study.study_name!r} holds no document")
    return document_from_json(json.loads(raw))[0]


def counted(trial: optuna.trial.FrozenTrial) -> bool:
    """Whether a trial uses up budget: done, pruned, broken, or running now."""
    if trial.state in (State.COMPLETE, State.PRUNED, State.RUNNING):
        return True
    return trial.state == State.FAIL and bool(trial.user_attrs.get(COUNTED))


def tally(study: optuna.Study) -> dict:
    trials = study.get_trials(deepcopy=False)
    out = {"done": 0, "running": 0, "pruned": 0, "failed": 0, "counted": 0}
    for t in trials:
        key = {State.COMPLETE: "done", State.RUNNING: "running", State.PRUNED: "pruned"}.get(
            t.state, "failed" if t.state == State.FAIL and t.user_attrs.get(COUNTED) else None)
        if key:
            out[key] += 1
        out["counted"] += counted(t)
    out["best"] = best_value(study)
    return out


def best_value(study: optuna.Study) -> float | None:
    try:
        return study.best_value
    except ValueError:  # no complete trial yet
        return None


def trial_dir(folder: Path, number: int) -> Path:
    return folder / "trials" / safe_filename(f"trial-{number:04d}")
