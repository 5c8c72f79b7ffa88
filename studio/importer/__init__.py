"""Bring models in: a PyTorch module (torchvision, timm, the user's own class) or an ONNX file
becomes an ordinary, editable NetStudio document with its weights, proven equal to the original.

    result = import_model("torchvision:resnet18", input_shape=(1, 3, 224, 224))
    doc_path, weights_path = write_import(result, "resnet18.nnet.json")

Sources: ``torchvision:NAME[?k=v&k=v]``, ``timm:NAME``, ``python:path/file.py:Class``,
``package.module:factory``, or a path ending in ``.onnx``. Every failure is an
:class:`ImportFailed` with a one-line message.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from studio.importer.result import ImportFailed, ImportReport, ImportResult

__all__ = ["ImportFailed", "ImportReport", "ImportResult", "import_model", "import_module",
           "write_import"]

Progress = Callable[[float, str], bool]


def import_model(source: str, *, input_shape: tuple[int, ...] | None = None,
                 weights: str | None = None, kwargs: dict | None = None, trust: bool = False,
                 progress: Progress | None = None) -> ImportResult:
    """Import ``source`` as a document plus weights; see the module doc for the source forms.
    ``progress(fraction, what) -> bool`` is called along the way; False cancels (ImportFailed)."""
    if not isinstance(source, str) or not source.strip():
        raise ImportFailed("source: expected text such as 'torchvision:resnet18' or 'model.onnx'")
    source = source.strip()
    if source.lower().endswith(".onnx"):
        from studio.importer.onnx_import import import_onnx  # lazy: onnx is heavy to import
        return import_onnx(source, input_shape=input_shape, progress=progress)
    from studio.importer.torch_import import import_torch
    return import_torch(source, input_shape=input_shape, weights=weights, kwargs=kwargs,
                        trust=trust, progress=progress)


def import_module(module, *, input_shape: tuple[int, ...], name: str = "model",
                  trust: bool = False) -> ImportResult:
    """Import an ``nn.Module`` object (built and with its weights) for inputs of
    ``input_shape`` (batch first): what tests and notebooks use instead of a source string."""
    from studio.importer.torch_import import import_instance
    return import_instance(module, input_shape, name=name, trust=trust)


def write_import(result: ImportResult, out_path) -> tuple[Path, Path]:
    """Write ``NAME.nnet.json`` and ``NAME.safetensors`` beside it; the document's training
    section records the weights as ``"init_weights": "NAME.safetensors"`` (relative to it)."""
    from studio.importer.writing import write_import as write
    return write(result, out_path)
