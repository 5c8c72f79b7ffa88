"""Live per-node previews: time of ``preview_outputs`` against a hand-written PyTorch baseline.

The editor refreshes every node's thumbnail after each edit, so a preview must fit the budget
of incremental shape inference (goal < 30 ms, bench/shapes.py). Measured for lenet5 and the
resnet18 template's small preset (1×32×32, 18 layers in 8 residual blocks). The baseline is
what one would write by hand: forward hooks on every child that copy the output to numpy, one
no-grad forward, no thumbnails. Also reported for reference: Grad-CAM and a 500-sample t-SNE.

Run: ``python bench/lab.py`` (single-threaded torch: the editor's process shares the CPU
with the GUI; the goal lines report CPU time, since the development machine is shared).
"""
from __future__ import annotations

import sys

import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

GOAL_MS = 30.0


def compiled_template(name: str, preset: str | None):
    from studio.compile.fx import compile_network
    from studio.core.templates import open_document
    from studio.core.variables import apply_preset
    doc, _, _ = open_document(name)
    doc = apply_preset(doc, preset)
    return compile_network(doc, "model", doc.variables, seed=0)


def baseline(module, probe):
    """Hand-written: hooks copying each child's output to numpy, one no-grad forward."""
    outs, handles = {}, []
    for name, child in module.named_children():
        handles.append(child.register_forward_hook(
            lambda m, i, o, name=name: outs.__setitem__(name, o.detach().numpy().copy())))
    module.eval()
    with torch.no_grad():
        module(probe)
    for h in handles:
        h.remove()
    return outs


def timed(fn, repeat: int = 30) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``fn()`` after two warm-up calls."""
    fn(), fn()
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3


def main() -> None:
    from studio.inspect.attribution import grad_cam
    from studio.inspect.embeddings import tsne
    from studio.inspect.preview import preview_outputs
    torch.set_num_threads(1)
    goals = []
    for name, preset in (("lenet5", None), ("resnet18", "small")):
        compiled = compiled_template(name, preset)
        probe = torch.rand(1, 1, 32, 32)
        nodes = len(preview_outputs(compiled, probe))
        base_wall, base_cpu = timed(lambda: baseline(compiled.module, probe))
        wall, cpu = timed(lambda: preview_outputs(compiled, probe))
        label = f"{name}{'-' + preset if preset else ''}"
        print(f"{label}: {nodes} thumbnails; preview {wall:.1f} ms wall, {cpu:.1f} ms CPU; "
              f"hand-written hooks {base_wall:.1f} ms wall, {base_cpu:.1f} ms CPU")
        goals.append(f"preview {label} ms (CPU): {cpu:.1f} (goal < {GOAL_MS:.0f})")
    compiled = compiled_template("resnet18", "small")
    x = torch.rand(1, 1, 32, 32)
    wall, _ = timed(lambda: grad_cam(compiled.module, "layer3", x), repeat=10)
    print(f"Grad-CAM resnet18-small layer3: {wall:.1f} ms")
    points = np.random.RandomState(0).randn(500, 64).astype(np.float32)
    t0 = time.perf_counter()
    tsne(points)
    print(f"t-SNE of 500×64: {time.perf_counter() - t0:.2f} s")
    for line in goals:
        print(line)


if __name__ == "__main__":
    main()
