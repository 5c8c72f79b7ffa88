"""Shipping a compiled network: ONNX checked against onnxruntime, torch.export programs, and
standalone bundles (code + safetensors weights + README + document).

Every writer stages its output beside the target and renames it into place only after every
check passed, so a failed export never leaves a half-written file behind. No Qt here.
"""
from studio.export.errors import ExportError
from studio.export.inputs import example_inputs, pick_network
from studio.export.job import ExportRequest, run_export
from studio.export.weights import load_weights, weights_bytes

__all__ = ["ExportError", "ExportRequest", "run_export", "example_inputs", "pick_network",
           "load_weights", "weights_bytes"]
