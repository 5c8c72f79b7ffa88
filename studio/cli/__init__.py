"""The ``netstudio`` command: the studio's engine, headless.

Each sub-command lives in its own module with ``add_parsers(subparsers)``; errors a user can fix
are one line on stderr and exit status 2, never a traceback. A bug of ours is one line too (exit
status 1), naming the file that holds its traceback for a report; ``NETSTUDIO_DEBUG=1`` shows it.

Start-up: ``--help`` and usage errors answer without importing torch (seconds). Every module named
in ``COMMAND_MODULES`` is imported to build the parser, so its top level imports only the standard
library and ``studio.cli`` helpers (``common``, ``errors``); torch, ``studio.core`` and the rest are
imported inside the function that runs the command. A new command: a module with
``add_parsers(sub)`` and its path added to the list; ``tests/cli/test_cli_lazy.py`` checks it.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback

from studio.cli.errors import UserError  # also importable from here, as before

COMMAND_MODULES = ["studio.cli.documents", "studio.cli.export", "studio.cli.train",
                   "studio.cli.datasets", "studio.cli.inspect", "studio.cli.importing",
                   "studio.cli.search"]
COMMAND_MODULES.append("studio.cli.fc_to_conv")  # issue 20: FC layers as convolutions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netstudio", description="Build, train, inspect and export neural networks. "
        "Without a command, opens the studio window.")
    parser.add_argument("--open", metavar="NAME_OR_FILE",
                        help="template or document to show in the studio window")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parsers(sub)
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
