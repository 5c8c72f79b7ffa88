"""Weights in and out as safetensors (never pickle): load with key checks, save as bytes.

Two layouts are read: a plain ``state_dict`` of the network (what a bundle or ``save_file``
writes), and a training checkpoint from ``studio.train.runs`` (``model.<network>.<key>`` beside
optimizer and RNG tensors), of which only this network's weights are taken.

What is loaded is checked before it reaches the network (``load_state_dict`` would convert any
dtype silently and take NaN as a value): non-finite values and tensors of another kind (bool
where floats belong) are refused naming the tensor; floats of another precision (float64 from
NumPy) are converted to the network's with a warning.
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from studio.export.errors import ExportError

_SHOWN = 8  # keys listed in a mismatch message before "and N more"


class WeightsWarning(UserWarning):
    """Weights converted on load (another float precision than the network's)."""


def _listing(keys) -> str:
    keys = sorted(keys)
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    return ", ".join(keys[:_SHOWN]) + more


def _this_network(tensors: dict, network: str | None) -> tuple[dict, bool]:
    """The tensors that belong to ``network``; True when they came from a training checkpoint."""
    prefix = f"model.{network}."
    own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    return (own, True) if network and own else (tensors, False)


def _as_expected(path: Path, key: str, got: torch.Tensor, want: torch.Tensor) -> torch.Tensor:
    """``got`` in ``want``'s dtype when that loses no kind of meaning; ExportError otherwise."""
    if got.dtype != want.dtype:
        floats = got.is_floating_point(), want.is_floating_point()
        integers = [not f and t.dtype != torch.bool and not t.is_complex()
                    for f, t in zip(floats, (got, want))]
        converted = got.to(want.dtype)
        if not (all(floats) or (all(integers) and torch.equal(converted.to(got.dtype), got))):
            raise ExportError(f"{path}: {key}: expected {want.dtype} values, got {got.dtype}")
        got = converted
    if got.is_floating_point():
        bad = int((~torch.isfinite(got)).sum())
        if bad:
            raise ExportError(f"{path}: {key}: {bad} of {got.numel()} values are NaN or "
                              "infinite; such weights are refused (did the training diverge?)")
    return got


def load_weights(module: nn.Module, path: str | Path, network: str | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
    """Load a ``.safetensors`` file into ``module``; keys and shapes must match exactly.

    From a training checkpoint, weights of nodes the inference module leaves out (nodes that
    feed only a loss) are ignored: that is the pruning, not a mismatch. Floats of another
    precision are converted, said through ``warn`` (default: a :class:`WeightsWarning`)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path}: no such weights file")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise ExportError(f"{path}: not a readable safetensors file: {e}") from None
    tensors, checkpoint = _this_network(tensors, network)
    expected = module.state_dict()
    missing, unexpected = set(expected) - set(tensors), set(tensors) - set(expected)
    if checkpoint:
        tensors = {k: v for k, v in tensors.items() if k in expected}
        unexpected = set()
    if missing or unexpected:
        parts = [f"missing keys: {_listing(missing)}" if missing else "",
                 f"unexpected keys: {_listing(unexpected)}" if unexpected else ""]
        raise ExportError(f"{path}: the weights do not match the network ("
                          + "; ".join(p for p in parts if p) + ")")
    for key, value in expected.items():
        if tuple(tensors[key].shape) != tuple(value.shape):
            raise ExportError(f"{path}: {key}: expected shape {tuple(value.shape)}, "
                              f"got {tuple(tensors[key].shape)}")
    checked = {k: _as_expected(path, k, tensors[k], v) for k, v in expected.items()}
    narrowed = [k for k, v in expected.items() if tensors[k].dtype != v.dtype
                and tensors[k].is_floating_point()]
    if narrowed:
        kinds = sorted({str(tensors[k].dtype) for k in narrowed})
        message = (f"{path}: {len(narrowed)} tensor(s) of {', '.join(kinds)} converted to the "
                   f"network's precision: {_listing(narrowed)}")
        (warn or (lambda m: warnings.warn(m, WeightsWarning, stacklevel=3)))(message)
    module.load_state_dict(checked, strict=True)


def weights_bytes(module: nn.Module) -> bytes:
    """The module's ``state_dict`` as safetensors bytes (copied, so shared storage is fine)."""
    from safetensors.torch import save
    return save({k: v.detach().clone().contiguous() for k, v in module.state_dict().items()})
