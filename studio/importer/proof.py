"""The proof that an import computes what the original does.

The original module and the compiled document run in eval mode on the same random input; the
largest absolute difference of their outputs is the import's error. Above the limit the import
fails naming the first node whose own output differs, found by comparing every node's output
(hooks on the compiled module) with the value recorded while tracing the original.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.utils._pytree import tree_leaves

from studio.compile.fx import CompileError, compile_network
from studio.core.shapes import ShapeInference
from studio.importer.result import ImportFailed

LIMIT = 1e-5  # float32


def _tensors(value) -> list:
    return [v for v in tree_leaves(value) if isinstance(v, torch.Tensor)]


def _diff(a, b) -> float:
    xs, ys = _tensors(a), _tensors(b)
    if len(xs) != len(ys) or any(x.shape != y.shape for x, y in zip(xs, ys)):
        return math.inf
    return max((float((x.double() - y.double()).abs().max()) for x, y in zip(xs, ys)
                if x.numel()), default=0.0)


def compiled_module(doc, state: dict) -> nn.Module:
    # Built on meta, then given the imported tensors: random initialization of weights that
    # are overwritten anyway costs more than the rest of an import of VGG or ResNet-50.
    inference = ShapeInference()
    try:
        inference.infer(doc, "model")  # shapes on their own terms, outside the meta context
        with torch.device("meta"):
            module = compile_network(doc, inference=inference).module
    except CompileError as e:
        raise ImportFailed(f"the imported document does not compile: {e}") from None
    try:
        module.load_state_dict(state, strict=True, assign=True)
        if any(t.is_meta for t in (*module.parameters(), *module.buffers())):
            module = compile_network(doc).module  # non-persistent buffers: build for real
            module.load_state_dict(state, strict=True)
    except RuntimeError as e:
        raise ImportFailed("the imported weights do not fit the document: "
                           + " ".join(str(e).split())[:300]) from None
    return module.eval()


def prove(model: nn.Module, doc, state: dict, items, keypaths: dict, real_values,
          example: torch.Tensor) -> float:
    """Max abs difference between ``model`` and the compiled ``doc``; ImportFailed above
    :data:`LIMIT`, naming the first differing node (``real_values()``: every traced node's
    value, computed only then)."""
    module = compiled_module(doc, state)
    captured, hooks = {}, []
    for item in items:
        path = ".".join(keypaths.get(item.name, ()))
        if not path:
            continue
        try:
            sub = module.get_submodule(path)
        except AttributeError:
            continue

        def hook(_m, _args, out, name=item.name):
            captured[name] = out
        hooks.append(sub.register_forward_hook(hook))
    try:
        with torch.no_grad():
            expected = model.eval()(example)
            got = module(example)
    except Exception as e:  # noqa: BLE001
        raise ImportFailed(f"running the imported document failed: {type(e).__name__}: "
                           + " ".join(str(e).split())[:300]) from None
    finally:
        for h in hooks:
            h.remove()
    diff = _diff(expected, got)
    if diff > LIMIT:
        values = real_values()
        for item in items:
            if item.name in captured and _diff(values[item.name], captured[item.name]) > LIMIT:
                where = ".".join(keypaths[item.name])
                origin = item.owner or str(item.name)
                raise ImportFailed(f"outputs differ by {diff:.3g} (limit {LIMIT:g}); the first "
                                   f"node that differs is {where} ({item.type_id}, from "
                                   f"{origin})")
        raise ImportFailed(f"outputs differ by {diff:.3g} (limit {LIMIT:g})")
    return diff
