"""Writes templates/*.nnet.json from the definitions in scripts/templates_src.

The JSON files are what users and the app open; this script is how we author them (a test checks
that the committed files equal what it generates, so they never drift apart).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def main() -> int:
    from studio.core.serialize import dumps
    from templates_src import TEMPLATES
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    args = parser.parse_args()
    stale = []
    for name, make in TEMPLATES.items():
        path = ROOT / "templates" / f"{name}.nnet.json"
        text = dumps(make())
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date: " + ", ".join(stale) + " (run python scripts/make_templates.py)")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
