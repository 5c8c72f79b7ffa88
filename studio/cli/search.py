"""``netstudio search``: let Optuna search a document's variables and training settings.

``netstudio search DOC`` runs the document's ``search`` section as a study (SQLite in the study
folder unless ``--storage URL``); running it again resumes the study, and several machines given
the same ``--study`` and ``--storage`` share its trials. ``netstudio search --report STUDY``
prints the trials table and writes the best trial as a document (``--best-out``).
"""
from __future__ import annotations

import re
import sys

from studio.cli.common import add_document_args, load_configured, one_line
from studio.cli.errors import UserError

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """An argparse type: ``90``, ``90s``, ``30m``, ``1.5h`` -> seconds (> 0)."""
    import argparse
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match or float(match[1]) <= 0:
        raise argparse.ArgumentTypeError(f"expected a duration such as 90s, 30m or 2h, "
                                         f"got {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def add_parsers(sub) -> None:
    from studio.cli.train import _one_line_errors, whole_number
    p = sub.add_parser("search", help="search variables and training settings with Optuna "
                       "(the document's search section)")
    add_document_args(p, network=False)
    for action in p._actions:  # optional with --report, which reads a study instead
        if action.dest == "source":
            action.nargs, action.required = "?", False
    p.add_argument("--trials", type=whole_number(1), help="trials in the study (budget)")
    p.add_argument("--jobs", type=whole_number(1, 64), default=1,
                   help="trials trained at once, each in its own process")
    p.add_argument("--timeout", type=duration, help="stop starting trials after this long "
                   "(e.g. 30m, 2h)")
    p.add_argument("--study", help="study name (default: the document's name)")
    p.add_argument("--storage", metavar="URL", help="Optuna storage URL shared by several "
                   "machines (default: sqlite in the study folder)")
    p.add_argument("--out", metavar="DIR", help="study folder (default: searches/<study>)")
    p.add_argument("--heartbeat", type=duration, default=5.0, metavar="SECONDS",
                   help="how often running trials are marked alive; one silent for 3 times "
                        "this is taken as dead and queued again")
    p.add_argument("--report", metavar="STUDY", help="print the trials of a study folder (or a "
                   "study name on --storage) instead of searching")
    p.add_argument("--best-out", metavar="FILE", help="with --report: write the best trial "
                   "as a document")
    p.set_defaults(run=run_search)
    _one_line_errors(p)


def _progress_printer(metric: str, budget: int):
    last = [None]
    tty = sys.stderr.isatty()

    def show(counts: dict) -> None:
        best = "-" if counts["best"] is None else f"{counts['best']:.4g}"
        line = (f"trials {counts['counted']}/{budget}: {counts['done']} done, "
                f"{counts['running']} running, {counts['pruned']} pruned, "
                f"{counts['failed']} failed; best {metric} {best}")
        if line != last[0]:
            last[0] = line
            print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr,
                  flush=True)
    return show


def run_search(args) -> int:
    from studio.search.space import SearchError
    try:
        if args.report:
            return _report(args)
        if not args.source:
            raise UserError("search: give a document (NAME_OR_FILE) or --report STUDY")
        return _search(args)
    except SearchError as e:
        raise UserError(str(e)) from None


def _search(args) -> int:
    from pathlib import Path

    from studio.core.names import safe_filename
    from studio.search.runner import Search, SearchOptions
    doc, _, _ = load_configured(args)
    if not doc.search:
        raise UserError(f"{args.source}: the document has no search section (add dimensions "
                        "in the studio's Search tab, or see README: Search)")
    name = args.study or str(doc.meta.get("name") or "search")
    folder = Path(args.out) if args.out else Path("searches") / safe_filename(name, "search")
    options = SearchOptions(trials=args.trials, jobs=args.jobs, timeout=args.timeout,
                            heartbeat_s=args.heartbeat)
    search = Search(doc, folder, name, args.storage, options)
    search.progress = _progress_printer(search.metric, search.budget)
    counts = search.run()
    if sys.stderr.isatty():
        print(file=sys.stderr)
    stopped = search.stop.is_set()
    best = "no finished trial" if counts["best"] is None else \
        f"best {search.metric} {counts['best']:.4g} (trial {search.study.best_trial.number})"
    print(one_line(f"study {name}: {counts['done']} done, {counts['pruned']} pruned, "
                   f"{counts['failed']} failed; {best}"))
    print(f"report: netstudio search --report {folder}"
          + (" (interrupted: run the same command again to resume)" if stopped else ""))
    return 130 if stopped else 0


def _report(args) -> int:
    from studio.core.serialize import atomic_write, dumps
    from studio.search import report, study as S
    name, url, folder = S.read_folder(args.report, args.storage)
    storage = S.storage_for(url, heartbeat_s=5.0)
    try:
        import optuna
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        raise UserError(f"{url}: no study named {name!r}") from None
    print(report.table(study))
    if args.best_out:
        doc = S.folder_document(folder, study)
        try:
            best = report.best_document(study, doc)
        except ValueError as e:
            raise UserError(str(e)) from None
        atomic_write(args.best_out, dumps(best))
        print(f"best trial {study.best_trial.number} ({study.best_value:.4g}) written to "
              f"{args.best_out}")
    return 0
