"""Training checkpoints: one safetensors file per tag, the one atomic unit of a save.

``checkpoints/<tag>.safetensors`` holds the weights (``model.<network>.<key>``), the optimizers'
tensors (``optim.<name>.<index>.<slot>``) and the RNG state (``rng.torch``); its string metadata
``netstudio.checkpoint`` holds the rest as JSON (``info``: epoch, batch, step, schedule, best;
``optimizers``: param groups and the layout of their state). A temp file renamed into place
is all a save does, so a kill leaves the previous checkpoint or the new one, never the weights of
one step beside the metadata of another (the older layout, a ``<tag>.json`` beside the weights,
is still read). Reading checks everything it takes: a damaged file, the weights of another
network or metadata of the wrong shape is a :class:`RunError` naming the file. No pickle.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from studio.core.atomic import atomic_target, remove_stale_temps


class RunError(ValueError):
    """A run folder or checkpoint that cannot be used; the message names the file."""


META_KEY = "netstudio.checkpoint"
_SHOWN = 6  # keys listed in a mismatch message before "and N more"


def checkpoint_file(run: Path, tag: str) -> Path:
    return Path(run) / "checkpoints" / f"{tag}.safetensors"


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


# safetensors >= 0.6 writes through a temp file of its own (Rust's tempfile: ".tmp" + 6
# characters) that a kill leaves behind too, as did the fixed temp name of older versions
_FOREIGN_TEMP = re.compile(r"\.tmp[A-Za-z0-9]{6}|\..+\.safetensors\.tmp")


def _remove_leftovers(folder: Path) -> None:
    """Temp files of killed saves, of every tag (a killed save of "best" leaves one too).
    Only the run's trainer writes in its checkpoints folder, so any such file is a leftover."""
    remove_stale_temps(folder)
    for entry in folder.glob(".*"):
        if _FOREIGN_TEMP.fullmatch(entry.name):
            entry.unlink(missing_ok=True)


def save_checkpoint(run: Path, tag: str, modules: dict, optimizers: dict, info: dict) -> Path:
    """Write ``checkpoints/<tag>.safetensors``: weights, optimizer state, RNG and ``info``."""
    from safetensors.torch import save_file
    tensors, meta = {}, {"info": info, "optimizers": {}}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"model.{name}.{key}"] = value.detach().cpu().contiguous().clone()
    for name, opt in optimizers.items():
        meta["optimizers"][name] = _flatten_optimizer(f"optim.{name}", opt.state_dict(), tensors)
    tensors["rng.torch"] = torch.get_rng_state()
    folder = Path(run) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(folder)
    target = folder / f"{tag}.safetensors"
    with atomic_target(target) as tmp:
        save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(meta)})
    (folder / f"{tag}.json").unlink(missing_ok=True)  # the older layout's metadata, stale now
    return target


def read_checkpoint(run: Path, tag: str) -> tuple[dict, dict]:
    """``(tensors, metadata)`` of a checkpoint; :class:`RunError` when missing or damaged."""
    from safetensors import SafetensorError, safe_open
    path = checkpoint_file(run, tag)
    if not path.is_file():
        raise RunError(f"{run}: no {tag!r} checkpoint ({path} does not exist)")
    try:
        with safe_open(str(path), "pt") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise RunError(f"{path}: damaged checkpoint, not a readable safetensors file "
                       f"({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    text, source = header.get(META_KEY), path
    if text is None:  # the older layout: metadata in <tag>.json beside the weights
        source = path.with_suffix(".json")
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise RunError(f"{path}: no checkpoint metadata in the file and none readable "
                           f"beside it ({source.name}: {type(e).__name__})") from None
    try:
        meta = json.loads(text)
    except ValueError as e:
        raise RunError(f"{source}: checkpoint metadata is not valid JSON ({e})") from None
    if not (isinstance(meta, dict) and isinstance(meta.get("info"), dict)
            and isinstance(meta.get("optimizers", {}), dict)):
        raise RunError(f"{source}: checkpoint metadata: expected an object with 'info' and "
                       f"'optimizers' objects, got {type(meta).__name__} {str(meta):.60}")
    return tensors, meta


def _listing(keys) -> str:
    keys = sorted(keys)
    more = f" and {len(keys) - _SHOWN} more" if len(keys) > _SHOWN else ""
    return ", ".join(keys[:_SHOWN]) + more


def _module_state(where: Path, name: str, module, tensors: dict) -> dict:
    """The checkpoint's weights of network ``name``, checked against ``module`` key by key."""
    prefix = f"model.{name}."
    own = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    expected = module.state_dict()
    missing, unexpected = set(expected) - set(own), set(own) - set(expected)
    if not own:
        held = sorted({k.split(".")[1] for k in tensors if k.startswith("model.")})
        raise RunError(f"{where}: holds no weights of network {name!r} "
                       f"(networks in it: {', '.join(held) or 'none'})")
    if missing or unexpected:
        parts = [f"missing {_listing(missing)}" if missing else "",
                 f"unexpected {_listing(unexpected)}" if unexpected else ""]
        raise RunError(f"{where}: the weights belong to another network than {name!r} of this "
                       f"run (" + "; ".join(p for p in parts if p) + ")")
    for key, value in expected.items():
        if tuple(own[key].shape) != tuple(value.shape):
            raise RunError(f"{where}: {name}.{key}: expected shape {tuple(value.shape)}, "
                           f"got {tuple(own[key].shape)}")
    return own


def load_checkpoint(run: Path, tag: str, modules: dict, optimizers: dict | None = None,
                    restore_rng: bool = True) -> dict:
    """Load weights (and optimizer state, RNG) saved by :func:`save_checkpoint`; return info.

    Everything is checked before anything is loaded, so a bad file leaves the modules as they
    were."""
    tensors, meta = read_checkpoint(run, tag)
    where = checkpoint_file(run, tag)
    states = {name: _module_state(where, name, m, tensors) for name, m in modules.items()}
    rng = tensors.get("rng.torch")
    if restore_rng and not (rng is not None and rng.dtype == torch.uint8 and rng.dim() == 1):
        raise RunError(f"{where}: no usable random-number state ('rng.torch': expected a 1-D "
                       f"uint8 tensor, got {'nothing' if rng is None else rng.dtype})")
    for name, module in modules.items():
        module.load_state_dict(states[name])
    for name, opt in (optimizers or {}).items():
        saved = meta.get("optimizers", {}).get(name)
        if saved is None:
            continue
        try:
            opt.load_state_dict(_restore_optimizer(saved, tensors))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RuntimeError) as e:
            raise RunError(f"{where}: optimizer {name!r}: the saved state does not fit this "
                           f"run's optimizer ({type(e).__name__}: {e})") from None
    if restore_rng:
        try:
            torch.set_rng_state(rng)
        except RuntimeError as e:
            raise RunError(f"{where}: random-number state rejected ({e})") from None
    return meta["info"]


def resume_state(info: dict, where: Path) -> dict:
    """The position a resume continues from, checked: whole numbers and a schedule object."""
    for key in ("epoch", "batch", "step", "bad_epochs"):
        value = info.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RunError(f"{where}: checkpoint info.{key}: expected a whole number >= 0, "
                           f"got {value!r}")
    if not isinstance(info.get("schedule"), dict):
        raise RunError(f"{where}: checkpoint info.schedule: expected an object, "
                       f"got {info.get('schedule')!r:.60}")
    best = info.get("best")
    if best is not None and (not isinstance(best, (int, float)) or isinstance(best, bool)):
        raise RunError(f"{where}: checkpoint info.best: expected a number, got {best!r:.60}")
    return info
