"""Device choice, mixed precision and torchrun/DDP set-up.

``auto`` picks CUDA, then MPS, then the CPU. AMP (float16 autocast + GradScaler) and
channels-last are used only on CUDA, where they pay off. Under ``torchrun`` (``WORLD_SIZE`` > 1)
the process group uses NCCL on CUDA and gloo on the CPU; rank 0 alone writes files.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import torch


def pick_device(name: str = "auto", local_rank: int = 0) -> torch.device:
    name = (name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank)
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda:") and name[5:].isdigit():  # one GPU chosen in the studio
        index = int(name[5:])
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise ValueError(f"--device {name}: there is no CUDA device {index} "
                             f"({torch.cuda.device_count()} available)")
        return torch.device("cuda", index)
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available (try --device auto)")
    if name == "mps" and not (getattr(torch.backends, "mps", None)
                              and torch.backends.mps.is_available()):
        raise ValueError("--device mps: MPS is not available on this machine")
    if name not in ("cpu", "cuda", "mps"):
        raise ValueError(f"--device: expected auto, cpu, cuda or mps, got {name!r}")
    return torch.device("cuda", local_rank) if name == "cuda" else torch.device(name)


@dataclass
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device_pref: str = "auto") -> "Distributed":
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        import torch.distributed as dist
        if not dist.is_initialized():
            cuda = device_pref in ("auto", "cuda") and torch.cuda.is_available()
            dist.init_process_group("nccl" if cuda else "gloo")
        return cls(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))

    def mean(self, value: float) -> float:
        """The average of ``value`` over ranks (logged losses)."""
        if not self.active:
            return value
        import torch.distributed as dist
        t = torch.tensor([float(value)], dtype=torch.float64)
        dist.all_reduce(t)
        return float(t) / self.world

    def close(self):
        if self.active:
            import torch.distributed as dist
            if dist.is_initialized():
                # Every rank reaches this point before any tears gloo down: a rank that left
                # while another was still writing the checkpoint aborted it ("terminate called
                # without an active exception", SIGABRT).
                dist.barrier()
                dist.destroy_process_group()


class Precision:
    """Autocast + GradScaler on CUDA when AMP is asked for; a no-op elsewhere."""

    def __init__(self, device: torch.device, amp: bool):
        self.enabled = bool(amp) and device.type == "cuda"
        self.device = device
        self.scaler = torch.amp.GradScaler("cuda") if self.enabled else None

    def autocast(self):
        if not self.enabled:
            return _NO_AUTOCAST
        return torch.autocast("cuda", dtype=torch.float16)


_NO_AUTOCAST = contextlib.nullcontext()  # reusable: one object instead of one per step
