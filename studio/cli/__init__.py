"""The ``netstudio`` command: the studio's engine, headless.

Each sub-command lives in its own module with ``add_parser(subparsers)``; errors a user can fix
are one line on stderr and exit status 2, never a traceback. A bug of ours is one line too (exit
status 1), naming the file that holds its traceback for a report; ``NETSTUDIO_DEBUG=1`` shows it.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback

from studio.cli import documents, export, inspect, train
from studio.cli.errors import UserError  # also importable from here, as before

COMMAND_MODULES = [documents, export, train, inspect]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netstudio", description="Build, train, inspect and export neural networks. "
        "Without a command, opens the studio window.")
    parser.add_argument("--open", metavar="NAME_OR_FILE",
                        help="template or document to show in the studio window")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from studio.cli.launch import launch
        return launch(args)
    from studio.core.diagnostics import DocumentError
    from studio.core.params import ParamError
    from studio.compile.fx import CompileError
    from studio.cli.common import diagnostics_line, one_line
    try:
        return args.run(args) or 0
    except (DocumentError, ParamError, UserError, OSError) as e:
        print(f"netstudio: error: {one_line(e)}", file=sys.stderr)
        return 2
    except CompileError as e:  # one line too: `netstudio validate` lists every diagnostic
        print(f"netstudio: error: {diagnostics_line(e.diagnostics)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("netstudio: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if os.environ.get("NETSTUDIO_DEBUG"):
            raise
        print(f"netstudio: internal error: {type(e).__name__}: {one_line(e)} (a bug in "
              f"NetStudio; the traceback is in {crash_report(argv)})", file=sys.stderr)
        return 1


def crash_report(argv: list[str]) -> str:
    """Write the traceback being handled, with the command line, to a file; its path."""
    fd, path = tempfile.mkstemp(prefix=f"netstudio-crash-{time.strftime('%Y%m%d-%H%M%S')}-",
                                suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as f:
        f.write(f"netstudio {' '.join(argv)}\n\n{traceback.format_exc()}")
    return path
