"""Where the exported weights come from, and the preprocessing they were trained with.

``--weights`` takes a ``.safetensors`` file or a training run folder; a run folder gives its
``best`` checkpoint (``last`` when asked, or when the run kept no best) and its ``config.json``,
which names the dataset the network learnt from. The preprocessing (layout, scaling, channel
order, class names: :mod:`studio.train.data.preprocess`) is derived from that config, else from
the document's own training section.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.export.errors import ExportError

CHECKPOINTS = ("best", "last")


@dataclass
class WeightsSource:
    file: Path  # the safetensors file to load
    run: Path | None = None  # the run folder it came from
    config: dict | None = None  # that run's resolved training config
    note: str = ""  # what was chosen, for the report line

    def label(self) -> str:
        return self.note or str(self.file)


def resolve_weights(path: str | Path, checkpoint: str = "best") -> WeightsSource:
    """A weights file as given, or a run folder's checkpoint ``checkpoint`` (best or last)."""
    from studio.train.runs import RunError, checkpoint_file, read_run
    if checkpoint not in CHECKPOINTS:
        raise ExportError(f"--checkpoint: expected best or last, got {checkpoint!r}")
    path = Path(path)
    if not path.is_dir():
        if not path.is_file():
            raise ExportError(f"{path}: no such weights file or run folder")
        return WeightsSource(path)
    try:
        run, config = read_run(path)
    except RunError as e:
        raise ExportError(f"--weights {e}") from None
    file = checkpoint_file(run, checkpoint)
    note = f"run {run}, {checkpoint} checkpoint"
    if not file.is_file() and checkpoint == "best" and checkpoint_file(run, "last").is_file():
        file = checkpoint_file(run, "last")
        note = f"run {run}, last checkpoint (the run kept no best one)"
    if not file.is_file():
        raise ExportError(f"{run}: no {checkpoint!r} checkpoint ({file} does not exist; "
                          f"the run may have stopped before its first save)")
    return WeightsSource(file, run, config, note)


def _input_of(compiled):
    """(per-sample shape, dtype, dataset field) of the network's first input."""
    from studio.export.inputs import input_spec
    name = compiled.inputs[0]
    spec = input_spec(compiled, name)
    params = compiled.shapes.params.get(compiled.node_map[name]) or {}
    return list(spec.shape[1:]), spec.dtype, str(params.get("field") or name)


def preprocessing(doc, compiled, config: dict | None = None, load_data: bool = True):
    """The :class:`Preprocessing` of ``compiled``'s first input, or None without inputs.

    ``config`` is a run's resolved config (default: the document's). With ``load_data`` the
    dataset is opened for its class names and CSV columns; a dataset that is not there only
    leaves a note, since the network itself exports fine without it."""
    from studio.train.config import resolve_config
    from studio.train.data.base import DataError
    from studio.train.data.preprocess import preprocessing_for
    from studio.train.data.registry import load_dataset
    if not compiled.inputs:
        return None
    config = config or resolve_config(doc)
    shape, dtype, field_name = _input_of(compiled)
    info, notes = {}, []
    if load_data:
        try:
            info = load_dataset(config.get("dataset") or {}, int(config.get("seed") or 0)).info
        except DataError as e:
            notes.append(f"class names unknown: the dataset could not be opened ({e})")
        except Exception as e:  # a broken user file must not stop an export of the weights
            notes.append(f"class names unknown: {type(e).__name__}: {e}")
    pre = preprocessing_for(config, shape, dtype, field_name, info)
    pre.notes.extend(notes)
    return pre
