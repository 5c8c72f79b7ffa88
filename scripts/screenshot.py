"""Render the studio window with a template or file open to a PNG, then exit.

    python scripts/screenshot.py [NAME_OR_FILE] -o out.png [--size 1600x1000] [--theme light]

Runs offscreen unless a display is set (then it uses it, e.g. under Xvfb).
"""
from __future__ import annotations

import argparse
import os
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default=None, help="template name or document file")
    parser.add_argument("-o", "--output", default="studio.png")
    parser.add_argument("--size", default="1600x1000")
    parser.add_argument("--theme", choices=("dark", "light"), default="dark")
    parser.add_argument("--select", help="node id to select (shows the inspector)")
    parser.add_argument("--dock", help="dock to raise: Code, Summary, Variables...")
    args = parser.parse_args()
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from studio.gui.app import build_window, create_app
    from studio.gui.theme import apply_theme
    app = create_app()
    apply_theme(app, args.theme)
    window = build_window(args.source)
    width, height = map(int, args.size.lower().split("x"))
    window.resize(width, height)
    window.show()
    for _ in range(5):
        app.processEvents()
    window.session.flush()
    window.view.frame_start()
    if args.select:
        window.select_node(args.select)
    if args.dock:
        for dock in window.findChildren(type(window.code_dock)):
            if dock.windowTitle().lower() == args.dock.lower():
                dock.raise_()
    window.code.refresh()
    for _ in range(5):
        app.processEvents()
    ok = window.grab().save(args.output)
    window.session.undo.setClean()
    window.close()
    print(f"wrote {args.output}" if ok else f"could not write {args.output}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
