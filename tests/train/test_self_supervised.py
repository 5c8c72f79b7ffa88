"""Self-supervised learning by rotation prediction (Gidaris et al. 2018), then a linear probe.

The ``rotations`` dataset turns every digit four ways and labels the turn; ``rotation-pretext``
learns to tell the turns apart without a digit label; ``linear-probe`` freezes the same backbone,
loaded from the pretext run's folder through ``training.init_weights``, and trains one linear
layer on the digit labels. The oracle is the same probe on the untrained backbone: the features
learned on the pretext task must be clearly better than random ones.
"""
from __future__ import annotations

import json

import pytest
import torch

from studio.cli import main
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.data import load_dataset
from studio.train.engine import Trainer, train
from studio.train.init_weights import read
from studio.train.optim import ConfigError
from studio.train.run_weights import run_weights

BACKBONE = ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias")


pytestmark = pytest.mark.usefixtures("one_thread_module")


def _template(name):
    return apply_preset(open_document(name)[0], "small")


@pytest.fixture(scope="module")
def pretext(tmp_path_factory, one_thread_module):
    """A rotation-pretext run of 3 epochs (about 3 s of CPU): its folder and result."""
    folder = tmp_path_factory.mktemp("pretext") / "run"
    result = train(_template("rotation-pretext"), {"device": "cpu", "epochs": 3},
                   out=str(folder))
    assert result.status == "finished"
    return folder, result


def _probe(tmp_path, init=None):
    """The linear-probe template trained with its own settings; (trainer, result)."""
    overrides = {"device": "cpu", **({"init_weights": str(init)} if init else {})}
    trainer = Trainer(_template("linear-probe"), overrides, out=str(tmp_path / "probe"))
    trainer.setup()
    return trainer, trainer.run()


def test_rotations_turn_each_digit_four_ways_and_keep_the_probe_test_digits_out():
    data = load_dataset({"name": "rotations", "size": 16}, seed=0)
    test = data.test.fields
    assert data.info["classes"] == ["0°", "90°", "180°", "270°"]
    assert test["label"].tolist()[:8] == [0, 1, 2, 3, 0, 1, 2, 3]
    upright = test["image"][0::4]
    for k in range(4):  # each copy is the upright digit turned k quarter turns
        assert torch.equal(test["image"][k::4], upright.rot90(k, (-2, -1)))
        assert torch.equal(test["digit"][k::4], test["digit"][0::4])
    # the upright test copies are exactly the digits dataset's test split under the same seed
    digits = load_dataset({"name": "digits", "size": 16}, seed=0).test.fields
    assert torch.equal(upright, digits["image"]) and torch.equal(test["digit"][0::4],
                                                                 digits["label"])
    seen = torch.cat([data.train.fields["image"], data.val.fields["image"]])
    assert len(seen) + len(test["image"]) == 4 * 1797
    assert not (seen[:, None] == upright[None, :50]).flatten(2).all(2).any()


def test_probe_on_pretext_features_beats_the_same_probe_on_random_features(pretext, tmp_path):
    folder, result = pretext
    assert result.metrics["test"]["accuracy"] > 0.6  # 4 turns: chance is 0.25
    trainer, learned = _probe(tmp_path / "learned", init=folder)
    _, baseline = _probe(tmp_path / "random")
    learned_acc = learned.metrics["test"]["accuracy"]
    random_acc = baseline.metrics["test"]["accuracy"]
    assert learned_acc >= 0.90, (learned_acc, random_acc)
    assert learned_acc >= random_acc + 0.03, (learned_acc, random_acc)
    # the backbone stayed frozen: exactly the pretext run's weights after the probe's epochs
    state, saved = trainer.nets["model"].module.state_dict(), run_weights(folder, "best")
    for key in BACKBONE:
        assert torch.equal(state[key], saved[key]), key
    assert any(n.startswith("initial weights: 4 tensors from run; fresh layers") and
               n.endswith(": probe") for n in trainer.notes), trainer.notes


def test_init_weights_reads_a_run_folder_or_a_checkpoint_in_it(pretext, tmp_path):
    folder, _ = pretext
    from_folder = read(folder)
    from_file = read(folder / "checkpoints" / "last.safetensors")
    assert sorted(from_folder) == sorted(from_file) == sorted([*BACKBONE, "rotation_head.weight",
                                                               "rotation_head.bias"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"^training\.init_weights: .*empty is a folder "
                                          r"without a checkpoint"):
        read(tmp_path / "empty")


def test_the_two_steps_from_the_command_line(tmp_path, capsys):
    quick = ["--device", "cpu", "--limit", "64", "--max-steps", "2"]
    assert main(["train", "rotation-pretext", *quick, "--out", str(tmp_path / "pretext")]) == 0
    capsys.readouterr()
    assert main(["train", "linear-probe", *quick, "--out", str(tmp_path / "probe"), "--set",
                 f"init_weights={tmp_path / 'pretext'}", "--events"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()
              if line.startswith("{")]
    notes = [e["message"] for e in events if e["event"] == "note"]
    assert "initial weights: 4 tensors from pretext; fresh layers (shape changed or not in "\
           "the file): probe" in notes, notes
