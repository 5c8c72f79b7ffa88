"""Helpers for the template tests: configured documents, synthetic batches, declared shapes.

Kept out of the test modules so test_templates.py and test_template_counts.py share them.
"""
from __future__ import annotations

import json
from functools import lru_cache

import torch

from studio.compile.fx import Compiled, compile_network
from studio.core.document import Document
from studio.core.templates import open_document, template_names, template_path
from studio.core.variables import apply_preset

BATCH = 3  # not the batch size of shape inference (2), so nothing can depend on it


def presets_of(name: str) -> list[str]:
    return list(json.loads(template_path(name).read_text(encoding="utf-8"))["presets"])


def cases() -> list[tuple[str, str]]:
    return [(name, preset) for name in template_names() for preset in presets_of(name)]


@lru_cache(maxsize=None)
def _loaded(name: str) -> Document:
    doc, diagnostics, _ = open_document(name)
    assert not diagnostics, [str(d) for d in diagnostics]
    return doc


def configured(name: str, preset: str = "small") -> Document:
    return apply_preset(_loaded(name), preset)


def compile_on(doc: Document, network: str, device: str = "cpu", **kw) -> Compiled:
    """Compile with modules built on ``device`` (meta: no memory, no arithmetic)."""
    with torch.device(device):
        return compile_network(doc, network, **kw)


def _node_spec(compiled: Compiled, placeholder: str):
    node_id = compiled.node_map[placeholder]
    return compiled.shapes.outputs[node_id]["y"]


def sample(spec, device: str = "cpu", generator=None) -> torch.Tensor:
    """A tensor for ``spec`` with batch BATCH: int64 holds 0/1 (valid classes and tokens)."""
    shape = (BATCH, *spec.shape[1:])
    if device == "meta":
        return torch.empty(shape, dtype=getattr(torch, spec.dtype), device="meta")
    if spec.dtype == "int64":
        return torch.randint(0, 2, shape, generator=generator)
    return torch.rand(shape, generator=generator)


def inputs_for(compiled: Compiled, device: str = "cpu", seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [sample(_node_spec(compiled, p), device, g) for p in compiled.inputs]


def targets_for(compiled: Compiled, inputs: list, seed: int = 1) -> list[torch.Tensor]:
    """Random targets, except a float (N, 1) target of a 2-D point input, which gets a linearly
    separable label (x0 + x1 > 1) so the perceptron has something it can learn."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for p in compiled.targets:
        spec = _node_spec(compiled, p)
        points = [x for x in inputs if x.dtype == torch.float32 and x.shape[1:] == (2,)]
        if spec.dtype == "float32" and spec.shape[1:] == (1,) and points:
            out.append((points[0].sum(1, keepdim=True) > 1).float())
        else:
            out.append(sample(spec, generator=g))
    return out


def declared_outputs(doc: Document, network: str, compiled: Compiled) -> dict:
    """Output name -> the shape inference declares for it (batch replaced by BATCH)."""
    out = {}
    for node in doc.networks[network].nodes.values():
        if node.type == "io.Output":
            spec = compiled.shapes.inputs[node.id][0]
            out[compiled.shapes.params[node.id]["name"]] = (BATCH, *spec.shape[1:])
    return out


def as_dict(compiled: Compiled, result) -> dict:
    values = result if isinstance(result, tuple) else (result,)
    return dict(zip(compiled.outputs, values))
