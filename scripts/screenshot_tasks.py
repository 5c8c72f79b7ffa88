"""Train a U-Net on the bundled shapes and a VAE on digits (headless engine), open both run
folders in the studio's dashboard and save the Masks and Latent traversal panels as PNGs.

    python scripts/screenshot_tasks.py [-o docs/images] [--unet RUN --vae RUN]

Runs offscreen unless a display is set. The runs go to a temporary folder (about 5 minutes on
2 CPU cores: 8 U-Net epochs on 1,600 shapes, 30 VAE epochs on the digits).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def train(template: str, preset: str | None, overrides: dict, out: str) -> Path:
    from studio.core.templates import open_document
    from studio.core.variables import apply_preset
    from studio.train.engine import Trainer
    doc = open_document(template)[0]
    doc = apply_preset(doc, preset) if preset else apply_preset(doc)
    result = Trainer(doc, {"device": "cpu", **overrides}, out=f"{out}/{template}").run()
    val = result.metrics.get("val") or {}
    print(f"{template}: {result.status}, " + ", ".join(f"{k} {v:.4g}" for k, v in val.items()
                                                        if isinstance(v, float)))
    return result.run


def grab(app, window, folder: Path, tab: str, path: Path) -> None:
    run = window.open_run(str(folder))
    d = window.dashboard
    d.tabs.setCurrentWidget(getattr(d, tab))
    d.refresh(force=True)
    for _ in range(10):
        app.processEvents()
    ok = d.grab().save(str(path))
    print(f"wrote {path} ({run.name})" if ok else f"could not write {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="docs/images")
    parser.add_argument("--size", default="1400x680")
    parser.add_argument("--unet", help="an existing unet run folder (skips its training)")
    parser.add_argument("--vae", help="an existing vae run folder (skips its training)")
    args = parser.parse_args()
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    runs = tempfile.mkdtemp(prefix="netstudio-shots-")
    unet = Path(args.unet) if args.unet else train("unet", None, {"epochs": 8, "limit": 1600},
                                                   runs)
    vae = Path(args.vae) if args.vae else train("vae", "paper", {"epochs": 30, "batch_size": 64},
                                                runs)
    from studio.gui.app import build_window, create_app
    from studio.gui.theme import apply_theme
    app = create_app()
    apply_theme(app, "dark")
    window = build_window("unet")
    width, height = map(int, args.size.lower().split("x"))
    window.resize(1600, 1000)
    window.show()
    window.dashboard_dock.setFloating(True)  # the picture at its own size, not the dock's
    window.dashboard_dock.resize(width, height)
    window.dashboard_dock.show()
    grab(app, window, unet, "masks", out / "dashboard-masks.png")
    grab(app, window, vae, "samples", out / "dashboard-latent.png")
    window.session.undo.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
