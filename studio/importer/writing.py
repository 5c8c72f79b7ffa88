"""Writing an import: ``NAME.nnet.json`` and ``NAME.safetensors`` beside it, both atomically.

The document's training section records the weights file by a path relative to the document
(``"init_weights": "NAME.safetensors"``), so the pair can be moved together.
"""
from __future__ import annotations

from pathlib import Path

from studio.core.atomic import atomic_write
from studio.core.serialize import save
from studio.importer.result import ImportFailed, ImportResult

SUFFIX = ".nnet.json"


def weights_path_for(doc_path: Path) -> Path:
    """``model.nnet.json`` -> ``model.safetensors``; ``model.json`` -> ``model.safetensors``."""
    name = doc_path.name
    stem = name[:-len(SUFFIX)] if name.endswith(SUFFIX) else doc_path.stem
    return doc_path.with_name(stem + ".safetensors")


def write_import(result: ImportResult, out_path) -> tuple[Path, Path]:
    from safetensors.torch import save as st_save
    doc_path = Path(out_path)
    if doc_path.is_dir() or not doc_path.name:
        raise ImportFailed(f"{out_path}: expected a file name such as model.nnet.json")
    if not doc_path.parent.is_dir():
        raise ImportFailed(f"{out_path}: the folder {doc_path.parent} does not exist")
    weights = weights_path_for(doc_path)
    doc = result.document
    doc.training = {**doc.training, "init_weights": weights.name}
    # copied and contiguous: tensors of one module may share storage (tied weights, views)
    tensors = {k: v.detach().clone().contiguous() for k, v in result.state_dict.items()}
    try:
        atomic_write(weights, st_save(tensors, metadata={"format": "netstudio-import"}))
        save(doc, doc_path)
    except OSError as e:
        raise ImportFailed(f"{doc_path}: cannot write ({e.strerror or e})") from None
    return doc_path, weights
