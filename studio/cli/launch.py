"""``netstudio`` with no command: open the studio window (on the default template, or on
``--open NAME_OR_FILE``). Without a display it says so in one line and points to the headless
commands instead of letting Qt abort."""
from __future__ import annotations


def launch(args) -> int:
    from studio.gui.app import main
    source = getattr(args, "open", None)
    return main([source] if source else [])
