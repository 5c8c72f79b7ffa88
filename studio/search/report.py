"""What a study tells: its trials as table rows, the best trial as a document, and Optuna's
parameter importances. Used by ``netstudio search --report`` and the studio's Search tab."""
from __future__ import annotations

import math

import optuna

from studio.search import study as S
from studio.search.space import apply_values


def rows(study: optuna.Study) -> list[dict]:
    """One dict per trial: number, state, value, epochs, duration, params, message, run."""
    out = []
    for t in study.get_trials(deepcopy=False):
        if t.state == S.State.FAIL and not t.user_attrs.get(S.COUNTED):
            state = "requeued" if "interrupted" in t.user_attrs.get(S.MESSAGE, "") or \
                t.user_attrs.get(S.MESSAGE) is None else "skipped"
        else:
            state = t.state.name.lower()
        out.append({"number": t.number, "state": state, "value": t.value,
                    "epochs": t.user_attrs.get(S.EPOCHS, len(t.intermediate_values)),
                    "duration_s": t.user_attrs.get("duration_s"), "params": dict(t.params),
                    "message": t.user_attrs.get(S.MESSAGE, ""),
                    "run_dir": t.user_attrs.get(S.RUN_DIR), "worker": t.user_attrs.get(S.WORKER),
                    "baseline": bool(t.user_attrs.get("baseline"))})
    return out


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


def table(study: optuna.Study) -> str:
    """The trials as aligned text columns, one parameter per column."""
    trials = rows(study)
    names = sorted({k for r in trials for k in r["params"]})
    head = ["#", "state", "value", "epochs", "seconds", *names, "note"]
    lines = [[str(r["number"]), r["state"], _cell(r["value"]), str(r["epochs"]),
              _cell(r["duration_s"]), *(_cell(r["params"].get(n)) for n in names),
              ("baseline " if r["baseline"] else "") + " ".join(r["message"].split())[:80]]
             for r in trials]
    widths = [max(len(x) for x in col) for col in zip(head, *lines)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip()
                     for line in [head, *lines])


def best_document(study: optuna.Study, doc):
    """``doc`` with the best trial's values applied (a :class:`ValueError` when none is done)."""
    try:
        best = study.best_trial
    except ValueError:
        raise ValueError(f"study {study.study_name!r} has no finished trial yet") from None
    out = apply_values(doc, best.params)
    out.meta["search"] = {"study": study.study_name, "trial": best.number, "value": best.value}
    return out


def importances(study: optuna.Study) -> dict[str, float]:
    """Optuna's parameter importances (fANOVA); empty until two trials are complete."""
    done = [t for t in study.get_trials(deepcopy=False) if t.state == S.State.COMPLETE]
    if len(done) < 2 or not any(len(set(map(repr, (t.params.get(k) for t in done)))) > 1
                                for k in done[0].params):
        return {}
    try:
        return optuna.importance.get_param_importances(study)
    except (RuntimeError, ValueError):  # e.g. every value of the objective equal
        return {}
