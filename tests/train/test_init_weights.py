"""Training from given weights (``training.init_weights``): tensors whose shape still fits are
loaded exactly, layers whose shape changed start fresh and the run's log names them; the path is
relative to the document's folder; a missing file is a one-line error naming it."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from studio.cli import main
from studio.compile.fx import compile_network
from studio.core.serialize import save
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.engine import Trainer
from studio.train.init_weights import absolute_override
from studio.train.optim import ConfigError

RUN = {"device": "cpu", "limit": 32, "batch_size": 16, "epochs": 1, "log_every": 1}


def _mlp():
    doc, _, _ = open_document("mlp")
    return apply_preset(doc, "small")


def _weights_file(tmp_path):
    """Weights of the mlp as saved by an import, made distinct from any fresh start."""
    compiled = compile_network(_mlp(), "model", seed=123)
    state = {k: v + 0.5 for k, v in compiled.module.state_dict().items()}
    save_file(state, str(tmp_path / "start.safetensors"))
    return state


def test_matching_tensors_load_and_changed_layers_start_fresh(tmp_path):
    saved = _weights_file(tmp_path)
    doc = _mlp()
    doc.variables["hidden2"] = 24  # linear2's out and linear3's in change: both start fresh
    doc.training = {**doc.training, "init_weights": "start.safetensors"}
    trainer = Trainer(doc, {**RUN, **absolute_override(doc.training, tmp_path)},
                      out=str(tmp_path / "runs"))
    trainer.setup()
    state = trainer.nets["model"].module.state_dict()
    assert torch.equal(state["linear1.weight"], saved["linear1.weight"])
    assert torch.equal(state["linear1.bias"], saved["linear1.bias"])
    assert state["linear2.weight"].shape == (24, saved["linear1.weight"].shape[0])
    assert not torch.equal(state["linear3.bias"], saved["linear3.bias"])
    note = [n for n in trainer.notes if n.startswith("initial weights")]
    assert note == ["initial weights: 2 tensors from start.safetensors; fresh layers (shape "
                    "changed or not in the file): linear2, linear3"]


def test_missing_file_names_it(tmp_path):
    doc = _mlp()
    doc.training = {**doc.training, "init_weights": "gone.safetensors"}
    trainer = Trainer(doc, {**RUN, **absolute_override(doc.training, tmp_path)},
                      out=str(tmp_path / "runs"))
    with pytest.raises(ConfigError, match=r"init_weights: .*gone\.safetensors does not exist"):
        trainer.setup()


def test_cli_finds_the_weights_beside_the_document(tmp_path, monkeypatch, capsys):
    saved = _weights_file(tmp_path)
    doc = _mlp()
    doc.training = {**doc.training, "init_weights": "start.safetensors"}
    save(doc, tmp_path / "mlp.nnet.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the path is relative to the document, not to here
    code = main(["train", str(tmp_path / "mlp.nnet.json"), "--device", "cpu", "--limit", "32",
                 "--max-steps", "1", "--out", str(tmp_path / "runs"), "--events"])
    out = capsys.readouterr().out
    assert code == 0
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    notes = [e["message"] for e in events if e["event"] == "note"]
    assert f"initial weights: {len(saved)} tensors from start.safetensors; every layer " \
           "loaded" in notes
