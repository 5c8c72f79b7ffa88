"""``netstudio train``: train a template or document headless (also under ``torchrun``).

Every training setting can be given on the command line: named flags for the common ones and
``--set KEY=VALUE`` for any key of the training section; they become one ``SetTraining`` edit of
the document, so ``--save-document OUT`` writes what ran and ``config.json`` records it.
``--data`` takes a dataset kind, options, or a path alone; ``--fit-data`` sets the Input shape
and the class count from the data. Progress: :mod:`studio.cli.progress`. Ctrl+C saves a
checkpoint and exits cleanly (resume with ``--resume RUN``; a second Ctrl+C waits for the
checkpoint). Numeric options are checked by argparse: a bad value is one line and exit status 2
before anything is loaded.
"""
from __future__ import annotations

import argparse
import math
import os
import sys

from studio.cli.common import add_document_args, load_configured
from studio.cli.errors import UserError


def whole_number(low: int, high: int | None = None):
    """An argparse type: an integer in [low, high]."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"from {low} to {high}"
            raise argparse.ArgumentTypeError(f"expected a whole number {bound}, got {text!r}")
        return value
    parse.__name__ = "whole number"  # what argparse names in its own messages
    return parse


def positive_number(text: str) -> float:
    """An argparse type: a finite float > 0 (a learning rate)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """argparse prints the whole usage before its error; the CLI promises one line."""
    def error(message: str):
        parser.exit(2, f"{parser.prog}: error: {message}\n")
    parser.error = error


def add_parsers(sub) -> None:
    p = sub.add_parser("train", help="train a document on its dataset (see its training section)")
    add_document_args(p, network=False)
    for action in p._actions:  # optional with --resume, which brings its own document
        if action.dest == "source":
            action.nargs, action.required = "?", False
    p.add_argument("--data", action="append", default=[], metavar="KIND|PATH|KEY=VALUE",
                   help="dataset kind, option or a path alone, e.g. --data photos/ or --data "
                        "mnist --data path=~/data (repeatable; `netstudio datasets` lists them)")
    p.add_argument("--fit-data", action="store_true",
                   help="set the Input shape and the number of classes from the data")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                   help="any training setting, dotted: --set optimizer.weight_decay=1e-4 "
                        "--set schedule.name=cosine (repeatable)")
    p.add_argument("--epochs", type=whole_number(1))
    p.add_argument("--batch-size", type=whole_number(1))
    p.add_argument("--lr", type=positive_number, help="learning rate")
    p.add_argument("--weight-decay", type=float, metavar="W", help="optimizer weight decay")
    p.add_argument("--optimizer", help="sgd, adagrad, rmsprop, adam or adamw")
    p.add_argument("--schedule", help="none, constant, step, exponential, cosine or plateau")
    p.add_argument("--early-stopping", type=whole_number(1), metavar="PATIENCE",
                   help="stop after this many epochs without improvement")
    p.add_argument("--clip", type=positive_number, metavar="NORM", help="clip gradient norm")
    p.add_argument("--augment", metavar="NAMES|JSON",
                   help="augmentation: RandomHorizontalFlip,GaussianNoise or a JSON list")
    p.add_argument("--freeze", metavar="NODES", help="node ids to freeze, comma-separated")
    p.add_argument("--seed", type=whole_number(0, 2 ** 32 - 1))
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument("--threads", type=whole_number(1), metavar="N",
                   help="intra-op CPU threads (default: the training section's threads, "
                        "\"auto\": one for a small model, else the cores not busy)")
    p.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--deterministic", action="store_true", help="deterministic algorithms")
    p.add_argument("--max-steps", type=whole_number(1),
                   help="stop after this many steps (checkpoint kept)")
    p.add_argument("--limit", type=whole_number(1),
                   help="use at most this many samples of each split")
    p.add_argument("--out", help="run folder (default: runs/<name>-<time>)")
    p.add_argument("--save-document", metavar="OUT",
                   help="write the document with these settings (and --fit-data) applied")
    p.add_argument("--resume", metavar="RUN", help="continue the run in this folder")
    p.add_argument("--quiet", action="store_true", help="only the final line")
    p.add_argument("--events", action="store_true", help="print every event as a JSON line")
    p.set_defaults(run=run_train)
    _one_line_errors(p)


def _value(key: str, text: str):
    from studio.core.variables import parse_overrides
    return parse_overrides([f"{key}={text}"])[key]


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _augment(text: str) -> list:
    value = _value("augment", text)
    if isinstance(value, list):
        return value
    return [{"name": n} for n in _names(text)]


def named_settings(args) -> list[tuple[str, object]]:
    """The named flags as (dotted key, value), in the order ``--set`` would take them."""
    pairs = [("epochs", args.epochs), ("batch_size", args.batch_size),
             ("optimizer.lr", args.lr), ("optimizer.weight_decay", args.weight_decay),
             ("optimizer.name", args.optimizer), ("schedule.name", args.schedule),
             ("early_stopping.patience", args.early_stopping), ("clip_grad_norm", args.clip),
             ("augment", _augment(args.augment) if args.augment else None),
             ("freeze", _names(args.freeze) if args.freeze else None),
             ("seed", args.seed), ("device", args.device),
             *((k, True) for k in ("amp", "compile", "deterministic") if getattr(args, k))]
    return [(k, v) for k, v in pairs if v is not None]


def training_edits(args, training: dict) -> dict:
    """Top-level training key -> new value, from the named flags then ``--set``."""
    from studio.train.settings import SettingError, set_key
    training = dict(training)
    pairs = list(named_settings(args))
    for item in args.settings:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise UserError(f"--set expects KEY=VALUE, got {item!r}")
        pairs.append((key.strip(), _value(key.strip(), text)))
    edits = {}
    for key, value in pairs:
        try:
            top, new = set_key(training, key, value)
        except SettingError as e:
            raise UserError(str(e)) from None
        training[top] = edits[top] = new
    return edits


def dataset_edit(items: list[str], current) -> tuple[dict | None, list[str]]:
    """The document's new dataset section from ``--data`` items, and what a path was taken
    for. A new kind keeps only the document's options it knows (a template's ``size`` for its
    digits is not an option of a CSV, and is not warned about); the user's own are all kept,
    so the loader warns about the ones the kind ignores."""
    from studio.train.data.detect import spec_from
    from studio.train.data.registry import TRAINER_KEYS, canonical, spec_of
    if not items:
        return None, []
    given, notes = spec_from(items, _value)
    given = canonical(given)
    current = {"name": current} if isinstance(current, str) else dict(current or {})
    name = given.get("name", current.get("name"))
    if name != current.get("name"):
        known = set(spec_of(name).options) | set(TRAINER_KEYS) | {"split"}
        current = {k: v for k, v in canonical(current).items() if k in known}
    return {**current, **given, "name": name}, notes


def _configured(args):
    """(document with the command line's settings applied, run-only overrides, notes)."""
    from studio.core.ops import SetTraining
    from studio.train.data import DataError
    overrides = {k: getattr(args, k) for k in ("max_steps", "limit")
                 if getattr(args, k) is not None}
    doc = None
    if args.resume:
        edits = training_edits(args, {})
    else:
        doc, _, _ = load_configured(args)
        edits = training_edits(args, doc.training or {})
    try:
        current = edits.get("dataset", (doc.training or {}).get("dataset") if doc else {})
        dataset, notes = dataset_edit(args.data, current)  # after --set dataset.KEY=...
    except DataError as e:
        raise UserError(str(e)) from None
    if dataset is not None:
        edits["dataset"] = dataset
    if doc is None:
        return None, {**edits, **overrides}, notes
    if edits:
        scope = next(iter(doc.networks), "model")
        SetTraining(scope, edits).apply(doc)
    return doc, overrides, notes


def run_train(args) -> int:
    from studio.core.op_args import OpError
    from studio.core.serialize import save
    from studio.train.data import DataError
    from studio.train.engine import Trainer
    from studio.train.optim import ConfigError
    from studio.train.runs import RunError
    from studio.cli.progress import Printer
    if not args.source and not args.resume:
        raise UserError("train: give a template name or document file (or --resume RUN)")
    if os.environ.get("RANK", "0") != "0":
        args.quiet, args.events = True, False
    doc, overrides, notes = _configured(args)
    if doc is not None and os.path.isfile(args.source):  # init_weights is beside the document
        from studio.train.init_weights import absolute_override
        overrides = {**absolute_override(doc.training, os.path.dirname(args.source)), **overrides}
    printer = Printer(args.quiet, args.events)
    for note in notes:
        printer.note(note)
    try:
        trainer = Trainer(doc, overrides, out=args.out, resume=args.resume, callback=printer,
                          fit_data=args.fit_data)
        trainer.setup()
        from studio.train.threads_policy import apply_thread_policy
        apply_thread_policy(trainer, args.threads)
        if args.save_document and trainer.dist.main:
            save(trainer.doc, args.save_document)
            printer.note(f"document with these settings written to {args.save_document}")
        result = trainer.run()
    except (DataError, ConfigError, RunError, OpError, ValueError) as e:
        raise UserError(str(e)) from None
    finally:
        printer.close()
    if trainer.dist.main:
        return report(result)
    return 0


def report(result) -> int:
    """The last line: how the run ended and why; the exit status."""
    where = f" in {result.run}" if result.run else ""
    if result.status == "interrupted":
        print(f"\ninterrupted at step {result.step}: checkpoint saved{where} "
              f"(continue with --resume {result.run})", file=sys.stderr)
        return 130
    if result.status == "nonfinite":
        print(f"netstudio: error: {result.reason}; last good checkpoint kept{where}",
              file=sys.stderr)
        return 1
    steps = f"{result.step} step{'s' if result.step != 1 else ''}"
    epochs = f"{result.epoch} epoch{'s' if result.epoch != 1 else ''}"
    print(f"{result.status} after {steps} ({epochs}): {result.reason}{where}")
    return 0
