"""Does the exported file compute what the PyTorch module computes?

``onnx.checker`` first (with shape inference), then onnxruntime against the module in evaluation
mode on the same random inputs, at batch 1 and, for a dynamic batch, 7 — a size the exporter
never saw, so a frozen batch dimension cannot pass. Float32 outputs must agree within 1e-4.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from studio.compile.fx import Compiled
from studio.export.errors import ExportError
from studio.export.inputs import example_inputs

TOLERANCE = 1e-4
PARITY_BATCHES = (1, 7)


@dataclass
class Parity:
    batch: int
    max_abs_diff: float
    worst_output: str

    def line(self, tolerance: float = TOLERANCE) -> str:
        return (f"parity batch {self.batch}: max abs difference {self.max_abs_diff:.2e} "
                f"(limit {tolerance:.0e}, worst output {self.worst_output!r})")


def check_model(model) -> None:
    """``onnx.checker`` with full shape inference; a failure is an :class:`ExportError`."""
    import onnx
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as e:
        raise ExportError(f"onnx.checker rejected the exported model: {str(e).strip()[:500]}")


def as_tuple(result) -> tuple:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def max_abs_diff(expected: np.ndarray, got: np.ndarray) -> float:
    """Largest |a - b|; NaN in both at the same place agrees, NaN in one is infinitely off."""
    if expected.shape != got.shape:
        return float("inf")
    a, b = expected.astype(np.float64), got.astype(np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    diff = np.where(both_nan, 0.0, np.abs(a - b))
    diff = np.where(np.isnan(diff), np.inf, diff)
    return float(diff.max()) if diff.size else 0.0


def compare(compiled: Compiled, doc, network: str, run, batches, label: str,
            tolerance: float = TOLERANCE) -> list[Parity]:
    """Run ``run(inputs) -> list of arrays`` against the module at each batch size."""
    module = compiled.module.eval()
    results = []
    for batch in batches:
        inputs = example_inputs(compiled, doc, network, batch, seed=batch)
        with torch.no_grad():
            expected = [t.detach().numpy() for t in as_tuple(module(*inputs))]
        try:
            got = run(inputs)
        except Exception as e:  # a runtime refusing the file is a failed check, not a crash
            raise ExportError(f"{label} could not run the exported model at batch {batch}: "
                              f"{str(e).strip()[:400]}") from None
        diffs = {name: max_abs_diff(e, np.asarray(g))
                 for name, e, g in zip(compiled.outputs, expected, got)}
        worst = max(diffs, key=diffs.get)
        results.append(Parity(batch, diffs[worst], worst))
        for name, e, g in zip(compiled.outputs, expected, got):
            if e.shape != np.asarray(g).shape:
                raise ExportError(f"{label}: output {name!r} at batch {batch}: expected shape "
                                  f"{e.shape}, got {np.asarray(g).shape}")
        if diffs[worst] > tolerance:
            raise ExportError(f"{label}: output {worst!r} differs from PyTorch by "
                              f"{diffs[worst]:.2e} at batch {batch} (limit {tolerance:.0e})")
    return results


def onnx_parity(model, compiled: Compiled, doc, network: str, dynamic_batch: bool,
                tolerance: float = TOLERANCE) -> list[Parity]:
    """onnxruntime (CPU) against the PyTorch module on random inputs."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only; warnings about unused initializers are noise
    try:
        session = ort.InferenceSession(model.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
    except Exception as e:
        raise ExportError(f"onnxruntime cannot load the exported model: {str(e)[:400]}") from None
    # an input the graph never reads may be dropped by the exporter: feed only what it kept
    accepted = {i.name for i in session.get_inputs()}

    def run(inputs):
        feed = {n: t.numpy() for n, t in zip(compiled.inputs, inputs) if n in accepted}
        return session.run(compiled.outputs, feed)

    batches = PARITY_BATCHES if dynamic_batch else PARITY_BATCHES[:1]
    return compare(compiled, doc, network, run, batches, "onnxruntime", tolerance)
