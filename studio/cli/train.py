"""``netstudio train``: train a template or document headless (also under ``torchrun``).

Prints a progress line while an epoch runs and one line per epoch; Ctrl+C saves a checkpoint
and exits cleanly (resume with ``--resume RUN``; a second Ctrl+C waits for the checkpoint).
Events also go to the run's metrics.jsonl. Numeric options are checked by argparse: a bad value
is one line and exit status 2 before anything is loaded.
"""
from __future__ import annotations

import argparse
import json
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
    p.add_argument("--data", action="append", default=[], metavar="NAME|KEY=VALUE",
                   help="dataset name or option, e.g. --data mnist --data root=~/data "
                        "(repeatable)")
    p.add_argument("--epochs", type=whole_number(1))
    p.add_argument("--batch-size", type=whole_number(1))
    p.add_argument("--lr", type=positive_number, help="learning rate")
    p.add_argument("--optimizer", help="sgd, adagrad, rmsprop, adam or adamw")
    p.add_argument("--seed", type=whole_number(0, 2 ** 32 - 1))
    p.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--deterministic", action="store_true", help="deterministic algorithms")
    p.add_argument("--max-steps", type=whole_number(1),
                   help="stop after this many steps (checkpoint kept)")
    p.add_argument("--limit", type=whole_number(1),
                   help="use at most this many samples of each split")
    p.add_argument("--out", help="run folder (default: runs/<name>-<time>)")
    p.add_argument("--resume", metavar="RUN", help="continue the run in this folder")
    p.add_argument("--quiet", action="store_true", help="only the final line")
    p.add_argument("--events", action="store_true", help="print every event as a JSON line")
    p.set_defaults(run=run_train)
    _one_line_errors(p)


def _data_overrides(items: list[str]) -> dict:
    from studio.core.variables import parse_overrides
    out = {}
    for item in items:
        if "=" in item:
            out.update(parse_overrides([item]))
        else:
            out["name"] = item
    return out


def overrides_from(args) -> dict:
    out = {}
    for key in ("epochs", "batch_size", "seed", "device", "max_steps", "limit"):
        if getattr(args, key) is not None:
            out[key] = getattr(args, key)
    for key in ("amp", "compile", "deterministic"):
        if getattr(args, key):
            out[key] = True
    if args.lr is not None or args.optimizer:
        out["optimizer"] = {k: v for k, v in (("lr", args.lr), ("name", args.optimizer))
                            if v is not None}
    if args.data:
        out["dataset"] = _data_overrides(args.data)
    return out


class Printer:
    """Progress on one rewritten line when attached to a terminal; epoch lines always."""

    def __init__(self, quiet: bool, events: bool):
        self.quiet, self.events = quiet, events
        self.tty = sys.stdout.isatty()

    def __call__(self, e: dict) -> None:
        if self.events:
            print(json.dumps(e), flush=True)
            return
        if self.quiet:
            return
        kind = e["event"]
        if kind == "step" and self.tty:
            print(f"\r  epoch {e['epoch']} [{e['batch']}/{e['batches']}] loss {e['loss']:.4f} "
                  f"lr {e['lr']:.2e} {e['samples_per_s']:.0f} samples/s", end="", flush=True)
        elif kind == "epoch":
            val = e.get("val") or {}
            extra = "".join(f" val {k} {v:.4f}" for k, v in val.items()
                            if isinstance(v, float) and "/" not in k)
            print(("\r" if self.tty else "") + f"epoch {e['epoch']}: train loss "
                  f"{e['train'].get('loss', float('nan')):.4f}{extra} "
                  f"({e['train'].get('samples_per_s', 0):.0f} samples/s)", flush=True)
        elif kind in ("warning", "error"):
            print(f"{kind}: {e['message']}", file=sys.stderr, flush=True)
        elif kind == "test":
            print("test:" + "".join(f" {k} {v:.4f}" for k, v in e["test"].items()
                                    if isinstance(v, float) and "/" not in k), flush=True)


def run_train(args) -> int:
    from studio.train.data import DataError
    from studio.train.engine import Trainer
    from studio.train.optim import ConfigError
    from studio.train.runs import RunError
    if not args.source and not args.resume:
        raise UserError("train: give a template name or document file (or --resume RUN)")
    doc = None
    if not args.resume:
        doc, _, _ = load_configured(args)
    if os.environ.get("RANK", "0") != "0":
        args.quiet, args.events = True, False
    try:
        trainer = Trainer(doc, overrides_from(args), out=args.out, resume=args.resume,
                          callback=Printer(args.quiet, args.events))
        result = trainer.run()
    except (DataError, ConfigError, RunError, ValueError) as e:
        raise UserError(str(e)) from None
    if trainer.dist.main:
        where = f" in {result.run}" if result.run else ""
        if result.status == "interrupted":
            print(f"\ninterrupted at step {result.step}: checkpoint saved{where} "
                  f"(continue with --resume {result.run})", file=sys.stderr)
            return 130
        if result.status == "nonfinite":
            print(f"netstudio: error: {result.error}; last good checkpoint kept{where}",
                  file=sys.stderr)
            return 1
        print(f"{result.status} after {result.step} steps ({result.epoch} epochs){where}")
    return 0
