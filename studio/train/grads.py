"""An optimizer's gradients as views of one buffer, so a step checks and measures them in one op.

Every step the engine needs the gradient norm (a logged metric, and the per-step non-finite
check). Over separate ``.grad`` tensors that is a ``_foreach_norm`` plus a stack, and the
gradients themselves are thrown away (``zero_grad(set_to_none=True)``, a Python loop over the
parameters) and made again by every backward. With each ``.grad`` a view of one flat buffer,
zeroing is one ``zero_()``, backward accumulates into the views in place and the squared norm
is one dot product of the buffer. On the CPU a checked LSTM step is then as fast as a bare one
that zeroes with ``set_to_none`` (the separate-tensor check cost ~5 % of it; bench/overhead.py).

A parameter that a backward does not reach keeps a zero gradient instead of None, so the
optimizer steps it with zeros (PyTorch's behaviour before ``set_to_none`` became the default):
no change for plain Adam or SGD, but weight decay still applies to it.

Only for dense parameters of one dtype, each contiguous or channels-last (a view then gets the
parameter's own strides, which fused and foreach optimizer kernels want), and only on the CPU,
where it is measured and tested: on CUDA (fused kernels, GradScaler, NCCL buckets) it waits for
a run of scripts/gpu_check.py on a card. Any other optimizer keeps separate gradients:
:meth:`GradientBuffer.of` returns None.
"""
from __future__ import annotations

import torch


def _dense(p: torch.Tensor) -> bool:
    return p.layout == torch.strided and (
        p.is_contiguous() or p.dim() == 4 and p.is_contiguous(memory_format=torch.channels_last)
        or p.dim() == 5 and p.is_contiguous(memory_format=torch.channels_last_3d))


class GradientBuffer:
    def __init__(self, params: list):
        self.params = params
        first = params[0]
        self.buffer = torch.zeros(sum(p.numel() for p in params), dtype=first.dtype,
                                  device=first.device)
        self.views, offset = [], 0
        for p in params:
            self.views.append(self.buffer.as_strided(p.shape, p.stride(), offset))
            offset += p.numel()
        self.attach()

    @classmethod
    def of(cls, optimizer: torch.optim.Optimizer) -> GradientBuffer | None:
        params = [p for g in optimizer.param_groups for p in g["params"]]
        if not params or len({(p.dtype, p.device) for p in params}) > 1 or \
                params[0].device.type != "cpu" or not all(map(_dense, params)):
            return None
        return cls(params)

    def attach(self) -> None:
        for p, view in zip(self.params, self.views):
            p.grad = view

    def zero(self) -> None:
        """All gradients to zero, each ``.grad`` a view again: code that sets gradients to
        None (a node search after a non-finite step, ``zero_grad``) cannot detach them."""
        # such code sets all of them: the first and the last tell (a check per tensor cost
        # ~3 us a step on the LSTM template)
        if self.params[0].grad is not self.views[0] or self.params[-1].grad is not self.views[-1]:
            self.attach()
        self.buffer.zero_()

    def norm(self) -> torch.Tensor:
        """The 2-norm over every gradient (NaN or inf when any element is)."""
        return torch.linalg.vector_norm(self.buffer)

    def squared_norm(self) -> torch.Tensor:
        """The squared 2-norm: one BLAS dot product. Between a backward and an optimizer step
        it cost less than ``norm`` in bench/overhead.py (LSTM template: ~0.7 % of the step,
        median of 15 processes each, about the machine's noise); overflows to inf where
        ``norm`` does too (elements beyond ~1e19)."""
        return torch.dot(self.buffer, self.buffer)


def clipped_norm(optimizer, buffer: GradientBuffer | None, clip: float) -> tuple:
    """``(value, squared)``: the 2-norm of all of ``optimizer``'s gradients as a 0-d tensor,
    or its square when ``squared``, taken before clipping them to ``clip`` (0: no clipping).
    One op over ``buffer`` when there is one."""
    if buffer and not clip:
        return buffer.squared_norm(), True
    if buffer:
        norm = buffer.norm()
        torch.nn.utils.clip_grads_with_norm_(buffer.params, clip, norm)
        return norm, False
    params = [p for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
    if clip:
        return torch.nn.utils.clip_grad_norm_(params, clip), False
    return torch.nn.utils.get_total_norm([p.grad for p in params]), False
