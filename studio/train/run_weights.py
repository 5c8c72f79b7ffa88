"""A run's weights as ``training.init_weights`` reads a weights file: training reuses what an
earlier run learned (a self-supervised pretext run's backbone under a linear probe, a
pretraining stage before fine-tuning) without an export step between them.

``init_weights`` may name a run folder (its ``best`` checkpoint, else ``last``) or one
checkpoint file in it. A checkpoint stores ``model.<network>.<key>`` next to optimizer and RNG
tensors; only the weights are kept, keyed ``<key>`` when the run trained one network (as in an
exported weights file) and ``<network>.<key>`` when it trained several.
"""
from __future__ import annotations

from pathlib import Path

from studio.train.checkpoints import RunError, checkpoint_file, read_checkpoint
from studio.train.optim import ConfigError

TAGS = ("best", "last")  # a run folder gives its best checkpoint, else its last


def run_checkpoint(path: Path) -> tuple[Path, str] | None:
    """(run folder, tag) when ``path`` is a run folder or a checkpoint file inside one, None
    for any other path (a plain weights file)."""
    path = Path(path)
    if path.is_dir():
        for tag in TAGS:
            if checkpoint_file(path, tag).is_file():
                return path, tag
        raise ConfigError(f"training.init_weights: {path} is a folder without a checkpoint "
                          "(checkpoints/best.safetensors or last.safetensors): give a run "
                          "folder or a .safetensors file")
    if path.parent.name == "checkpoints" and path.suffix == ".safetensors" and path.is_file():
        return path.parent.parent, path.stem
    return None


def run_weights(run: Path, tag: str) -> dict:
    """The networks' weights of checkpoint ``tag`` of ``run``, keyed as described above."""
    try:
        tensors, _ = read_checkpoint(run, tag)
    except RunError as e:
        raise ConfigError(f"training.init_weights: {e}") from None
    weights = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    if len({k.split(".", 1)[0] for k in weights}) == 1:  # one network: its state_dict keys
        weights = {k.split(".", 1)[1]: v for k, v in weights.items()}
    return weights
