"""Render the Lab with results to PNGs (for the README), then exit.

    python scripts/screenshot_lab.py [--out docs/images] [--steps 300] [--theme dark]

Trains the ``fcn`` template briefly on its shapes dataset with a plain PyTorch loop (a few
seconds), saves the weights as safetensors, points the Lab at them and captures: the window
with Grad-CAM and node previews, a targeted attack, and the t-SNE of the pooled features.
Runs offscreen unless a display is set.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def train_fcn(doc, steps: int, path: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    from studio.inspect.load import dataset_samples, open_network
    torch.manual_seed(0)
    module = open_network(doc).module
    data = dataset_samples(doc, 1200, "train")
    x, y = data.inputs.float(), data.labels
    opt = torch.optim.Adam(module.parameters(), lr=3e-3)
    module.train()
    for _ in range(steps):
        idx = torch.randint(len(x), (32,))
        loss = torch.nn.functional.cross_entropy(module(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(path))
    return path


def settle(app, lab=None, seconds: float = 120.0) -> None:
    end = time.time() + seconds
    while (lab is not None and lab.busy) and time.time() < end:
        app.processEvents()
        time.sleep(0.02)
    for _ in range(10):
        app.processEvents()


def run(app, lab, key: str, **values) -> None:
    form = lab.select_tool(key)
    for name, value in values.items():
        form.set_value(name, value)
    lab.run()
    settle(app, lab)
    if lab.error:
        print(f"{key}: {lab.error}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/images")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--theme", choices=("dark", "light"), default="dark")
    args = parser.parse_args()
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt

    from studio.gui.app import build_window, create_app
    from studio.gui.theme import apply_theme
    app = create_app()
    apply_theme(app, args.theme)
    window = build_window("fcn")
    window.resize(1600, 1000)
    window.show()
    settle(app)
    window.session.flush()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = train_fcn(window.session.doc, args.steps,
                        Path(tempfile.mkdtemp(prefix="lab-shot-")) / "fcn.safetensors")
    lab = window.lab
    lab.set_weights(str(weights))
    lab.set_input(sample=4)
    window.lab_dock.raise_()
    window.resizeDocks([window.lab_dock], [430], Qt.Vertical)
    window.node_previews.set_enabled(True)
    run(app, lab, "attribution", method="Grad-CAM")
    window.view.frame()  # nothing selected: the whole network, thumbnails included
    settle(app)
    window.grab().save(str(out / "lab-gradcam.png"))
    run(app, lab, "attack", mode="Targeted", target=0, steps=20)
    lab.grab().save(str(out / "lab-attack.png"))
    run(app, lab, "tsne", count=400, layer="gap")
    lab.scatter.show_sample(4)  # as if the mouse rested on a point: its picture shows below
    settle(app)
    lab.grab().save(str(out / "lab-tsne.png"))
    run(app, lab, "maximize", index=1, steps=150)
    lab.grab().save(str(out / "lab-maximize.png"))
    window.session.undo.setClean()
    window.close()
    print(f"wrote lab-gradcam.png, lab-attack.png, lab-tsne.png, lab-maximize.png to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
