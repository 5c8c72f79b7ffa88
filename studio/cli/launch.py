"""``netstudio`` with no command: until the studio window exists, print the default template."""
from __future__ import annotations

import argparse


def launch(args) -> int:
    from studio.cli.documents import run_summary
    from studio.core.templates import DEFAULT_TEMPLATE
    print("NetStudio: the studio window is not part of this build yet; here is the default "
          f"template ({DEFAULT_TEMPLATE}). Headless commands: netstudio --help\n")
    return run_summary(argparse.Namespace(source=DEFAULT_TEMPLATE, preset=None, var=[],
                                          network=None, json=False))
