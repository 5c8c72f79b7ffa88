"""Your own data, first try: realistic files written here train on lenet5 / mlp with at most
``--fit-data``; every mismatch names the exact flag that fixes it; ``--set`` and the named flags
reach config.json and ``--save-document``; the run says why it stopped."""
from __future__ import annotations

import json

import pytest

from studio.cli import main
from studio.core.serialize import load
from support.user_files import image_npz, iris_csv, mnist_files, png_folder


pytestmark = pytest.mark.usefixtures("one_thread")


def train(capsys, tmp_path, *argv) -> tuple[int, str, str, dict]:
    """Exit status, stdout, stderr and the run's test metrics."""
    out = tmp_path / "run"
    code = main(["train", *argv, "--out", str(out)])
    printed = capsys.readouterr()
    events = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()] \
        if (out / "metrics.jsonl").exists() else []
    test = next((e["test"] for e in events if e["event"] == "test"), {})
    return code, printed.out, printed.err, test


def test_mnist_idx_files_at_28_train_lenet5_from_the_path_alone(capsys, tmp_path):
    folder = mnist_files(tmp_path / "downloads")
    code, out, err, test = train(capsys, tmp_path, "lenet5", "--data", str(folder),
                                 "--epochs", "2")
    assert code == 0, err
    assert f"took {folder} for MNIST idx files" in out
    assert "ignores option" not in err  # the template's size/channels are mnist's options now
    assert test["accuracy"] > 0.3  # 10 classes: chance is 0.1


def test_an_rgb_png_folder_of_ten_classes_trains_lenet5(capsys, tmp_path):
    folder = png_folder(tmp_path / "photos", per_class=30)
    code, out, err, test = train(capsys, tmp_path, "lenet5", "--data", str(folder),
                                 "--epochs", "4")
    assert code == 0, err
    assert "image folder with 10 classes" in out
    assert test["accuracy"] > 0.3


def test_a_csv_with_a_string_label_trains_mlp_with_fit_data(capsys, tmp_path):
    path = iris_csv(tmp_path / "iris.csv")
    saved = tmp_path / "iris-mlp.nnet.json"
    code, out, err, test = train(capsys, tmp_path, "mlp", "--data", str(path), "--fit-data",
                                 "--epochs", "5", "--save-document", str(saved))
    assert code == 0, err
    assert "took column 'species' as the label" in out
    assert "variable num_classes: 10 -> 3" in out and "reads field" not in err
    assert test["accuracy"] > 0.6  # 3 classes: chance is 1/3
    doc, _ = load(saved)  # the fitted document, ready to train again without flags
    assert doc.variables["num_classes"] == 3
    assert doc.graph("model").nodes["input1"].params["shape"] == [4]
    assert doc.training["dataset"] == {"name": "csv", "path": str(path)}  # no template size


def test_an_npz_of_8_bit_images_trains_mlp_with_fit_data(capsys, tmp_path):
    path = image_npz(tmp_path / "digits.npz")
    code, out, err, test = train(capsys, tmp_path, "mlp", "--data", str(path), "--fit-data",
                                 "--epochs", "2")
    assert code == 0, err
    assert "scaled to 0..1" in out and "variable input_size: 8 -> 28" in out
    assert test["accuracy"] > 0.3


@pytest.mark.parametrize("extra, fixes", [
    (["--data", "channels=3"], ["--data channels=1", "--var in_channels=3", "--fit-data"]),
    (["--var", "num_classes=3"], ["--var num_classes=10", "--fit-data"]),
])
def test_folder_mismatches_name_the_exact_fix(capsys, tmp_path, extra, fixes):
    folder = png_folder(tmp_path / "photos", per_class=2, size=8)
    code, _, err, _ = train(capsys, tmp_path, "lenet5", "--data", str(folder), *extra)
    assert code == 2 and len(err.strip().splitlines()) == 1
    for fix in fixes:
        assert fix in err


def test_an_image_size_mismatch_names_the_option_the_preset_and_the_variable(capsys, tmp_path):
    folder = mnist_files(tmp_path / "m", train=20, test=10)
    code, _, err, _ = train(capsys, tmp_path, "lenet5", "--data", "mnist", "--data",
                            f"root={folder}", "--data", "size=28")
    assert code == 2 and "(1, 28, 28)" in err and "(1, 32, 32)" in err
    for fix in ("--data size=32", "--preset mnist28", "--var input_size=28", "--fit-data"):
        assert fix in err


def test_a_csv_against_an_image_input_points_to_fit_data(capsys, tmp_path):
    path = iris_csv(tmp_path / "iris.csv", rows=30)
    code, _, err, _ = train(capsys, tmp_path, "mlp", "--data", str(path))
    assert code == 2 and "expects (1, 8, 8)" in err and "--fit-data" in err


def test_set_and_named_flags_reach_config_json_and_the_saved_document(capsys, tmp_path):
    saved = tmp_path / "tuned.nnet.json"
    code, out, err, _ = train(
        capsys, tmp_path, "mlp", "--max-steps", "2", "--weight-decay", "0.01", "--clip", "1.5",
        "--early-stopping", "3", "--set", "optimizer.weight_decay=1e-4",
        "--set", "schedule.name=cosine", "--set", "monitor=val.loss",
        "--augment", "RandomHorizontalFlip", "--freeze", "linear1",
        "--save-document", str(saved))
    assert code == 0, err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["optimizer"]["weight_decay"] == 1e-4  # --set comes after the named flag
    assert config["schedule"]["name"] == "cosine" and config["clip_grad_norm"] == 1.5
    assert config["early_stopping"] == {"patience": 3} and config["monitor"] == "val.loss"
    assert config["augment"] == [{"name": "RandomHorizontalFlip"}]
    assert config["freeze"] == ["linear1"]
    doc, _ = load(saved)
    assert doc.training["optimizer"]["weight_decay"] == 1e-4
    assert "max_steps" not in doc.training  # a run-only limit is not a document setting


def test_an_unknown_set_key_lists_the_valid_ones(capsys):
    assert main(["train", "mlp", "--set", "optimizer.decay=1"]) == 2
    err = capsys.readouterr().err
    assert "optimizer.decay" in err and "optimizer.weight_decay" in err and \
        "schedule.name" in err


def test_recipe_settings_are_set_keys_like_the_common_ones(capsys, tmp_path):
    """What a recipe reads beyond the common keys (the SOM's neighbourhood, the layer-wise
    stages, the GAN's per-network optimizers, CD-k's Gibbs steps) is reachable by --set."""
    code, _, err, _ = train(capsys, tmp_path, "som", "--max-steps", "2", "--set",
                            "som.sigma=2.5", "--set", "som.sigma_end=0.5")
    assert code == 0, err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["som"]["sigma"] == 2.5 and config["som"]["sigma_end"] == 0.5
    assert main(["train", "som", "--set", "som.radius=2"]) == 2  # not a key the recipe reads
    err = capsys.readouterr().err
    assert "som.radius" in err and "som.sigma_end" in err and "stage_epochs" in err
    assert "optimizers.generator" in err and "gibbs_steps" in err
    from studio.train.settings import set_key
    assert set_key({"stage_epochs": 2}, "stage_epochs", 3) == ("stage_epochs", 3)
    assert set_key({}, "optimizers.generator", {"name": "adam", "lr": 2e-4}) == \
        ("optimizers", {"generator": {"name": "adam", "lr": 2e-4}})


def test_a_step_limit_at_an_epoch_end_counts_the_epoch_and_says_why(capsys, tmp_path):
    path = iris_csv(tmp_path / "iris.csv", rows=60)  # 42 training rows: 2 steps of 32
    code, out, err, _ = train(capsys, tmp_path, "mlp", "--data", str(path), "--fit-data",
                              "--max-steps", "2")
    assert code == 0, err
    assert "stopped after 2 steps (1 epoch): reached the step limit (max_steps 2)" in out
    assert "epoch 1: train loss" in out


def test_early_stopping_says_what_did_not_improve(capsys, tmp_path):
    path = iris_csv(tmp_path / "iris.csv", rows=60)
    code, out, err, _ = train(capsys, tmp_path, "mlp", "--data", str(path), "--fit-data",
                              "--lr", "1e-9", "--early-stopping", "1", "--epochs", "6")
    assert code == 0, err
    assert "stopped: early stopping: val." in out and "did not improve for 1 epoch (best" in out
    assert out.strip().splitlines()[-1].startswith("stopped after")


def test_datasets_lists_every_kind_with_options_defaults_and_an_example(capsys):
    from studio.train.data import known
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in known():
        assert f"\n{name}: " in "\n" + out
    assert "  path = (required)  the .csv file" in out
    assert "  size = 32  images are resized" in out  # folder's default and help
    assert "example: netstudio train TEMPLATE --data mnist --data path=" in out


def test_datasets_inspect_describes_a_folder_given_as_a_path(capsys, tmp_path):
    folder = png_folder(tmp_path / "photos", per_class=3, size=8, classes=4)
    assert main(["datasets", "inspect", str(folder), "size=8"]) == 0
    out = capsys.readouterr().out
    assert "dataset folder" in out and "image folder with 4 classes" in out
    assert "image: shape (3, 8, 8) float32" in out
    assert "classes (4): class_0 " in out and "splits: train 9, val 1, test 2" in out


def test_datasets_inspect_of_a_missing_file_is_one_line(capsys, tmp_path):
    assert main(["datasets", "inspect", str(tmp_path / "nothing.csv")]) == 2
    err = capsys.readouterr().err
    assert "nothing.csv: no such file or folder" in err and len(err.splitlines()) == 1


def _step(batch, epoch=1, batches=10):
    return {"event": "step", "epoch": epoch, "batch": batch, "batches": batches, "loss": 0.5,
            "lr": 1e-3, "samples_per_s": 100.0}


def test_a_terminal_gets_a_bar_with_rate_and_eta(capsys):
    from studio.cli.progress import Printer
    printer = Printer(quiet=False, events=False, tty=True)
    for batch in (1, 5, 10):
        printer(_step(batch))
    printer.bar.refresh()
    bar = capsys.readouterr().out
    assert "epoch 1" in bar and "10/10" in bar and "batch/s" in bar and "loss=0.5000" in bar
    printer({"event": "epoch", "epoch": 1, "step": 10, "train": {"loss": 0.5,
             "samples_per_s": 100.0}, "val": {"loss": 0.4, "accuracy": 0.9}})
    assert printer.bar is None  # closed before the summary line
    assert "epoch 1: train loss 0.5000 val loss 0.4000 val accuracy 0.9000" in \
        capsys.readouterr().out


def test_a_log_gets_a_plain_line_every_few_seconds(capsys, monkeypatch):
    import studio.cli.progress as progress
    printer = progress.Printer(quiet=False, events=False, tty=False)
    printer(_step(1))
    printer(_step(2))  # within PLAIN_EVERY_S of the epoch's start: nothing yet
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(progress, "PLAIN_EVERY_S", 0.0)
    printer(_step(5))
    line = capsys.readouterr().out
    assert "epoch 1 [5/10] loss 0.5000" in line and "epoch ETA" in line and "\r" not in line


def test_non_finite_and_interrupt_reasons_name_step_and_node():
    from studio.train import stops
    from studio.train.guard import NonFiniteError
    reason = stops.nonfinite(NonFiniteError(7, "f6", "loss", "model"))
    assert reason == "non-finite loss (NaN or inf) at step 7 in node 'f6' of network 'model'"
    assert stops.early_stopping(("val.loss", "min"), 3, 0.25) == \
        "early stopping: val.loss did not improve for 3 epochs (best 0.25)"
