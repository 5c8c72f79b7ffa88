"""Weights for an imported module: ``DEFAULT`` from the local caches only, or a file.

``DEFAULT`` never downloads: torchvision's file must already be in the torch hub cache and
timm's in the Hugging Face cache (read offline); the message says how to fetch it once. A file
is ``.safetensors`` or a ``.pt``/``.pth`` state_dict read with ``weights_only=True`` (no pickle
code runs).
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from studio.importer.result import ImportFailed
from studio.importer.sources import Source, resolve


def _one_line(e: Exception) -> str:
    return " ".join(f"{type(e).__name__}: {e}".split())[:300]


def hub_file(name: str) -> tuple[Path, object]:
    """Where torchvision's DEFAULT weights of ``name`` would be cached, and the weights enum."""
    from torchvision import models
    try:
        enum = models.get_model_weights(name).DEFAULT
    except (ValueError, AttributeError):
        raise ImportFailed(f"--weights DEFAULT: torchvision has no pretrained weights for "
                           f"{name}") from None
    return Path(torch.hub.get_dir()) / "checkpoints" / enum.url.rsplit("/", 1)[-1], enum


def _default(source: Source) -> nn.Module:
    if source.kind == "torchvision":
        path, enum = hub_file(source.target)
        if not path.is_file():
            raise ImportFailed(
                f"--weights DEFAULT: {path.name} is not in the local torch hub cache "
                f"({path.parent}); download it once with `python -c \"import torchvision; "
                f"torchvision.models.get_model('{source.target}', weights='DEFAULT')\"` or copy "
                "it there, then import again")
        kwargs = {**source.kwargs, "weights": enum}
    elif source.kind == "timm":
        kwargs = {**source.kwargs, "pretrained": True}
        os.environ["HF_HUB_OFFLINE"] = "1"  # cached weights only: never a download
    else:
        raise ImportFailed("--weights DEFAULT: only torchvision and timm models have default "
                           "weights; give a .safetensors or .pt file")
    builder = resolve(source)
    try:
        if source.kind == "timm":
            import timm
            model = timm.create_model(source.target, **kwargs)
        else:
            model = builder(**kwargs)
    except Exception as e:  # noqa: BLE001
        raise ImportFailed(f"--weights DEFAULT: loading the cached weights failed: "
                           f"{_one_line(e)} (for timm, download them once with "
                           f"timm.create_model('{source.target}', pretrained=True))") from None
    return model.eval()


def read_state_dict(path: str) -> dict:
    file = Path(path)
    if not file.is_file():
        raise ImportFailed(f"--weights {path}: no such file")
    suffix = file.suffix.lower()
    try:
        if suffix == ".safetensors":
            from safetensors.torch import load_file
            state = load_file(str(file))
        elif suffix in (".pt", ".pth", ".bin"):
            state = torch.load(file, map_location="cpu", weights_only=True)
        else:
            raise ImportFailed(f"--weights {path}: expected a .safetensors, .pt or .pth file")
    except ImportFailed:
        raise
    except Exception as e:  # noqa: BLE001 - a damaged or pickled-code file
        raise ImportFailed(f"--weights {path}: cannot read it ({_one_line(e)})") from None
    for key in ("state_dict", "model"):  # common checkpoint layouts
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ImportFailed(f"--weights {path}: expected a state_dict (names -> tensors)")
    return state


def apply_weights(model: nn.Module, weights: str, source: Source) -> nn.Module:
    """The model with ``weights`` loaded (a new model for DEFAULT)."""
    if weights.upper() == "DEFAULT":
        return _default(source)
    state = read_state_dict(weights)
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as e:  # sizes that do not match
        raise ImportFailed(f"--weights {weights}: does not fit the model: "
                           + " ".join(str(e).split())[:300]) from None
    if result.missing_keys or result.unexpected_keys:
        parts = []
        if result.missing_keys:
            parts.append(f"{len(result.missing_keys)} missing (e.g. {result.missing_keys[0]})")
        if result.unexpected_keys:
            parts.append(f"{len(result.unexpected_keys)} unexpected "
                         f"(e.g. {result.unexpected_keys[0]})")
        raise ImportFailed(f"--weights {weights}: does not fit the model: {', '.join(parts)}")
    return model.eval()
