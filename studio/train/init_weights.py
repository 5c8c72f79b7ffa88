"""Training that starts from given weights (``training.init_weights``: an imported model's
``NAME.safetensors``, any weights saved from a network of the same shape, or a run folder:
its best checkpoint, see ``run_weights``).

Fine-tuning changes a network after its weights were saved (a new head, a wider last layer), so
the file is matched tensor by tensor: a tensor whose name and shape match is loaded; a layer
with a tensor whose shape changed, or that the file lacks, keeps its fresh initialisation, and
the run's log names those layers in one line. The file is read with safetensors (no pickle).
"""
from __future__ import annotations

from pathlib import Path

from studio.train.optim import ConfigError


def resolve(path, doc_dir=None) -> Path:
    """``init_weights`` as a path: relative ones are relative to the document's folder (the
    working folder when the document has none, e.g. a template)."""
    path = Path(str(path)).expanduser()
    return path if path.is_absolute() else Path(doc_dir or ".") / path


def absolute_override(training: dict | None, doc_dir) -> dict:
    """The overrides a front end passes so a relative ``init_weights`` still resolves in a
    training process that does not know where the document lives (``{}`` when none is set)."""
    value = (training or {}).get("init_weights")
    if not value or not isinstance(value, str) or doc_dir is None:
        return {}
    return {"init_weights": str(resolve(value, doc_dir).resolve())}


def read(path: Path) -> dict:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from studio.train.run_weights import run_checkpoint, run_weights
    found = run_checkpoint(path)  # a run folder or one of its checkpoints
    if found:
        return run_weights(*found)
    if not path.is_file():
        raise ConfigError(f"training.init_weights: {path} does not exist (the weights file is "
                          "looked up beside the document)")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as e:
        raise ConfigError(f"training.init_weights: {path} is not a readable safetensors file "
                          f"({e})") from None


def load_into(modules: dict, tensors: dict, node_of=None) -> tuple[int, list[str]]:
    """Load matching ``tensors`` into ``modules`` (network name -> module). Keys are the
    network's ``state_dict`` keys, prefixed ``NETWORK.`` when there are several networks.
    Returns (tensors loaded, names of the layers that start fresh). ``node_of(network,
    module name)`` gives the canvas node for a layer's name (default: the name itself)."""
    loaded, fresh = 0, []
    for network, module in modules.items():
        prefix = f"{network}." if len(modules) > 1 else ""
        own = {k: v for k, v in module.state_dict().items()
               if not k.endswith("num_batches_tracked")}  # a counter, not a weight
        changed = set()  # layers with a tensor the file lacks or has in another shape
        for key, value in own.items():
            given = tensors.get(prefix + key)
            if given is None or tuple(given.shape) != tuple(value.shape):
                changed.add(key.rsplit(".", 1)[0])
        take = {k: tensors[prefix + k].to(v.dtype) for k, v in own.items()
                if k.rsplit(".", 1)[0] not in changed}
        for key in own:
            layer = key.rsplit(".", 1)[0]
            name = node_of(network, layer) if node_of else layer
            if layer in changed and name not in fresh:
                fresh.append(name)
        module.load_state_dict(take, strict=False)
        loaded += len(take)
    return loaded, fresh


def apply(nets: dict, value, doc_dir=None) -> str:
    """Load ``value`` (the config's ``init_weights``) into the trainer's ``nets`` (name ->
    ``step.Net``); the one-line note for the run's log."""
    path = resolve(value, doc_dir)
    tensors = read(path)

    def node_of(network, layer):
        head = layer.split(".")[0]
        node = nets[network].compiled.node_map.get(head, head)
        return node if "." not in layer else f"{node} ({layer})"

    loaded, fresh = load_into({n: net.module for n, net in nets.items()}, tensors, node_of)
    if not loaded:
        raise ConfigError(f"training.init_weights: no tensor of {path.name} fits this network "
                          "(names or shapes all differ)")
    note = f"initial weights: {loaded} tensors from {path.name}"
    return note + (f"; fresh layers (shape changed or not in the file): {', '.join(fresh)}"
                   if fresh else "; every layer loaded")
