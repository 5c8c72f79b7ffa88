"""ResNet-50 ONNX export + onnxruntime parity time, against a hand-written PyTorch baseline.

Goal (issue 5): export + checks < 15 s on the 2-core development machine, for the resnet50
template with its paper preset (3x224x224, 25.6 M parameters) and a dynamic batch, checked at
batch 1 and 7. The NetStudio path is what ``netstudio export resnet50 --preset paper --onnx F
--dynamic-batch`` does: compile the document, dynamo export, metadata, onnx.checker (full),
onnxruntime parity. The baseline is what a user would write by hand for torchvision's
resnet50: torch.onnx.export (dynamo, dynamic batch) and the same two onnxruntime runs.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

GOAL_S = 15.0


def load_resnet50():
    """The resnet50 template configured with its paper preset (or the default, said so)."""
    from studio.core.templates import open_document, template_names
    from studio.core.variables import apply_preset
    if "resnet50" not in template_names():
        raise SystemExit("no resnet50 template in templates/ (run scripts/make_templates.py)")
    doc, _, _ = open_document("resnet50")
    preset = "paper" if "paper" in doc.presets else None
    if preset is None:
        print("note: resnet50 has no paper preset; timing its default configuration")
    return apply_preset(doc, preset), preset


def netstudio_export(doc) -> tuple[float, float, list, tuple]:
    from studio.compile.fx import compile_network
    from studio.export.onnx_export import export_onnx
    from studio.export.parity import check_model, onnx_parity
    start, cpu = time.perf_counter(), time.process_time()
    compiled = compile_network(doc, "model", doc.variables, seed=0)
    result = export_onnx(compiled, doc, "model", dynamic_batch=True)
    check_model(result.model)
    parity = onnx_parity(result.model, compiled, doc, "model", dynamic_batch=True)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    from studio.export.inputs import input_spec
    return elapsed, cpu, parity, input_spec(compiled, compiled.inputs[0]).shape[1:]


def baseline_export(shape) -> tuple[float, float]:
    """torchvision resnet50 exported and checked by hand, the way the docs show it."""
    import contextlib
    import io
    import warnings
    import onnxruntime as ort
    import torchvision
    start = time.perf_counter()
    model = torchvision.models.resnet50().eval()
    example = torch.randn(2, *shape)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (example,), None, dynamo=True, verbose=False,
                                    dynamic_shapes=({0: torch.export.Dim("batch")},))
    session = ort.InferenceSession(program.model_proto.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    worst = 0.0
    for batch in (1, 7):
        x = torch.randn(batch, *shape)
        with torch.no_grad():
            expected = model(x).numpy()
        got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
        worst = max(worst, float(np.abs(expected - got).max()))
    return time.perf_counter() - start, worst


def main() -> int:
    doc, preset = load_resnet50()
    print(f"resnet50 template, preset {preset or 'default'}, torch threads "
          f"{torch.get_num_threads()}")
    # First run in a fresh process, as `netstudio export` pays it (lazy imports of the
    # exporter, onnxscript and onnxruntime included); then both paths again, warm, to compare.
    ours, ours_cpu, parity, shape = netstudio_export(doc)
    for p in parity:
        print(f"  netstudio {p.line()}")
    print(f"  netstudio, first export in the process: {ours:.1f} s wall, {ours_cpu:.1f} s CPU")
    base, base_diff = baseline_export(shape)
    print(f"  hand-written torchvision baseline (warm): {base:.1f} s (max abs difference "
          f"{base_diff:.1e})")
    warm, warm_cpu, _, _ = netstudio_export(doc)
    print(f"  netstudio (warm): {warm:.1f} s wall, {warm_cpu:.1f} s CPU "
          f"({warm / base:.2f}x the baseline); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    print(f"resnet50 export+parity s: {ours:.1f} (goal < {GOAL_S:g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
