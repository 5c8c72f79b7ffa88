"""The run folder: document snapshot, resolved config, metrics.jsonl and checkpoints.

::

    runs/lenet5-20250101-120000/
        document.nnet.json   the document as trained (preset and --var applied)
        config.json          the resolved training config
        metrics.jsonl        one event per line (see studio.train.events)
        checkpoints/last.safetensors + last.json   weights, optimizer tensors / everything else
        checkpoints/best.safetensors + best.json

Tensors go to safetensors, everything else to JSON: no pickle anywhere, so a run folder from a
stranger is safe to open.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from studio.core.serialize import atomic_write, dumps


class RunError(ValueError):
    pass


def new_run_dir(out: str | None, name: str) -> Path:
    """``out`` itself when given (created), else ``runs/<name>-<time>``, made unique."""
    if out:
        path = Path(out)
    else:
        path = Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        base, k = path, 2
        while path.exists():
            path, k = Path(f"{base}-{k}"), k + 1
    (path / "checkpoints").mkdir(parents=True, exist_ok=True)
    return path


def write_snapshot(run: Path, doc, config: dict) -> None:
    atomic_write(run / "document.nnet.json", dumps(doc))
    atomic_write(run / "config.json", json.dumps(config, indent=1, sort_keys=True))


def read_run(run: str | Path) -> tuple[Path, dict]:
    run = Path(run)
    if not (run / "config.json").is_file():
        raise RunError(f"{run}: not a run folder (no config.json)")
    return run, json.loads((run / "config.json").read_text(encoding="utf-8"))


def _flatten_optimizer(prefix: str, state: dict, tensors: dict) -> dict:
    """Optimizer ``state_dict`` -> JSON-able dict; tensors moved into ``tensors``."""
    out = {"param_groups": state["param_groups"], "state": {}}
    for idx, slots in state["state"].items():
        entry = {}
        for key, value in slots.items():
            if torch.is_tensor(value):
                name = f"{prefix}.{idx}.{key}"
                tensors[name] = value.detach().cpu().contiguous().clone()
                entry[key] = {"tensor": name}
            else:
                entry[key] = value
        out["state"][str(idx)] = entry
    return out


def _restore_optimizer(saved: dict, tensors: dict) -> dict:
    state = {}
    for idx, slots in saved["state"].items():
        state[int(idx)] = {k: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v
                           else v for k, v in slots.items()}
    return {"param_groups": saved["param_groups"], "state": state}


def save_checkpoint(run: Path, tag: str, modules: dict, optimizers: dict, info: dict) -> None:
    """Write ``checkpoints/<tag>.safetensors`` and ``<tag>.json`` (info, optimizer layout, RNG)."""
    tensors, meta = {}, {"info": info, "optimizers": {}}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"model.{name}.{key}"] = value.detach().cpu().contiguous().clone()
    for name, opt in optimizers.items():
        meta["optimizers"][name] = _flatten_optimizer(f"optim.{name}", opt.state_dict(), tensors)
    tensors["rng.torch"] = torch.get_rng_state()
    folder = run / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{tag}.safetensors.tmp"
    save_file(tensors, str(tmp))
    tmp.replace(folder / f"{tag}.safetensors")
    atomic_write(folder / f"{tag}.json", json.dumps(meta, indent=1))


def load_checkpoint(run: Path, tag: str, modules: dict, optimizers: dict | None = None,
                    restore_rng: bool = True) -> dict:
    """Load weights (and optimizer state, RNG) saved by :func:`save_checkpoint`; return info."""
    folder = run / "checkpoints"
    weights, meta_path = folder / f"{tag}.safetensors", folder / f"{tag}.json"
    if not weights.is_file() or not meta_path.is_file():
        raise RunError(f"{run}: no {tag!r} checkpoint in {folder}")
    tensors = load_file(str(weights))
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    for name, module in modules.items():
        prefix = f"model.{name}."
        own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        module.load_state_dict(own)
    for name, opt in (optimizers or {}).items():
        if name in meta["optimizers"]:
            opt.load_state_dict(_restore_optimizer(meta["optimizers"][name], tensors))
    if restore_rng:
        torch.set_rng_state(tensors["rng.torch"])
    return meta["info"]


def weights_of(modules: dict) -> dict:
    """An in-memory copy of the weights (early stopping's best state)."""
    return {name: {k: v.detach().clone() for k, v in m.state_dict().items()}
            for name, m in modules.items()}
