"""Run one node on ``device="meta"`` tensors: exact output shapes without computing anything.

This is the single primitive behind shape inference; nothing here is a hand-written formula.
"""
from __future__ import annotations

import torch

from nodes.base import BuildContext, NodeType, TensorSpec


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def spec_of(tensor: torch.Tensor) -> TensorSpec:
    return TensorSpec(tuple(tensor.shape), dtype_name(tensor.dtype))


def trim(inputs: list) -> list:
    """Drop trailing open optional ports so modules see only what is connected."""
    inputs = list(inputs)
    while inputs and inputs[-1] is None:
        inputs.pop()
    return inputs


def example(spec: TensorSpec | None, device: str):
    if spec is None:
        return None
    dtype = getattr(torch, spec.dtype)
    if device == "meta":
        return torch.empty(spec.shape, dtype=dtype, device="meta")
    return torch.zeros(spec.shape, dtype=dtype)


def outputs_of(result) -> list[TensorSpec]:
    if isinstance(result, torch.Tensor):
        return [spec_of(result)]
    return [spec_of(t) for t in result]


def count_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def stand_in(spec: TensorSpec, rule: str) -> TensorSpec:
    """The smallest tensor that exercises a same-shape node exactly like ``spec`` would."""
    keep = 2 if rule == "channelwise" else 1
    return TensorSpec((*spec.shape[:keep], *(1 for _ in spec.shape[keep:])), spec.dtype)


def infer_node(node_type: NodeType, params: dict, inputs: list) -> tuple[list[TensorSpec], int]:
    """Output specs and trainable parameter count of ``node_type`` built for ``inputs``."""
    if node_type.same_shape and len(inputs) == 1 and inputs[0] is not None:
        # a CPU run on a stand-in is exact here and ~20x faster than meta's Python kernels
        small = stand_in(inputs[0], node_type.same_shape)
        module = node_type.build(BuildContext(params, [small])).eval()
        with torch.no_grad():
            out = module(example(small, "cpu"))
        return [TensorSpec(inputs[0].shape, dtype_name(out.dtype))], count_params(module)
    ctx = BuildContext(params, list(inputs))
    args = trim(inputs)
    try:
        with torch.device("meta"):
            module = node_type.build(ctx)
        module.eval()
        with torch.no_grad():
            return outputs_of(module(*[example(s, "meta") for s in args])), count_params(module)
    except (NotImplementedError, RuntimeError) as error:
        if "meta" not in str(error).lower() and isinstance(error, RuntimeError):
            raise  # a real shape error, not a missing meta kernel
        module = node_type.build(ctx).eval()
        with torch.no_grad():
            return outputs_of(module(*[example(s, "cpu") for s in args])), count_params(module)


def infer_node_outputs(node_type: NodeType, params: dict, inputs: list) -> list[TensorSpec]:
    """Build ``node_type`` for ``inputs`` and run it on meta tensors; return its output specs.

    A few kernels have no meta implementation; those run once on small zero tensors on the CPU
    instead (still exact). Errors propagate: the caller turns them into diagnostics."""
    return infer_node(node_type, params, inputs)[0]
