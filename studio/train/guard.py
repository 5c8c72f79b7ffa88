"""Non-finite detection: stop at the step where the loss or a gradient stops being finite, and
name the first node whose output (forward) or gradient (backward) went NaN/inf.

Checking is one ``isfinite`` per step; the search only runs after a failure, by running the
same batch again with forward hooks on the compiled module's children (each child is a node,
:attr:`Compiled.node_map` gives its id) and tensor hooks on their outputs for the backward.
"""
from __future__ import annotations

import torch


class NonFiniteError(RuntimeError):
    def __init__(self, step: int, node: str | None, where: str, network: str):
        self.step, self.node, self.where, self.network = step, node, where, network
        at = f"node {node!r}" if node else "no single node (the loss terms themselves)"
        super().__init__(f"step {step}: the {where} went non-finite (NaN or inf); first at "
                         f"{at} of network {network!r}")


def _finite(value) -> bool:
    if torch.is_tensor(value):
        return not value.is_floating_point() or bool(torch.isfinite(value).all())
    if isinstance(value, (tuple, list)):
        return all(map(_finite, value))
    if isinstance(value, dict):
        return all(map(_finite, value.values()))
    return True


def locate(compiled, args, backward: bool) -> str | None:
    """Node id of the first non-finite output in execution order (or gradient, in backward
    order); ``args`` is the batch that failed."""
    module = compiled.module
    found: list[str] = []
    handles = []

    def forward_hook(name):
        def hook(_module, _inputs, output):
            if not backward and not found and not _finite(output):
                found.append(compiled.node_map.get(name, name))
            if backward and torch.is_tensor(output) and output.requires_grad:
                output.register_hook(lambda g: found.append(compiled.node_map.get(name, name))
                                     if not found and not _finite(g) else None)
        return hook

    for name, child in module.named_children():
        handles.append(child.register_forward_hook(forward_hook(name)))
    try:
        with torch.enable_grad():
            result = module(*args)
            if backward:
                total = sum(result["losses"].values())
                if torch.is_tensor(total) and total.requires_grad:
                    total.backward()
                if not found:  # a parameter gradient went bad without any output gradient
                    for name, child in module.named_children():
                        if not _finite([p.grad for p in child.parameters() if p.grad is not None]):
                            found.append(compiled.node_map.get(name, name))
                            break
                module.zero_grad(set_to_none=True)
    finally:
        for h in handles:
            h.remove()
    return found[0] if found else None


def check_loss(loss, step, compiled, args, network) -> None:
    if not bool(torch.isfinite(loss.detach())):
        raise NonFiniteError(step, locate(compiled, args, backward=False), "loss", network)


def check_gradient(norm, step, compiled, args, network) -> None:
    if not bool(torch.isfinite(norm)):
        raise NonFiniteError(step, locate(compiled, args, backward=True), "gradient", network)
