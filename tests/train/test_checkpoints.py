"""Checkpoints as one file, older runs still read, damaged resumes as one-line errors, resumed
metrics without duplicate steps, a second Ctrl+C during the checkpoint, counts checked."""
from __future__ import annotations

import json
import multiprocessing
import os
import signal

import pytest
import torch
from safetensors.torch import save_file

from studio.cli import main
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train import events, runs
from studio.train.checkpoints import META_KEY
from studio.train.engine import Trainer, train
from studio.train.optim import ConfigError
from studio.train.runs import RunError, load_checkpoint, read_checkpoint, save_checkpoint

from support.child_targets import train_until_killed

BASE = {"device": "cpu", "limit": 48, "batch_size": 16, "epochs": 2, "log_every": 1}


def _doc(name="mlp"):
    doc, _, _ = open_document(name)
    return apply_preset(doc)


def _net(seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.Adam(net.parameters())
    net(torch.randn(3, 4)).sum().backward()
    opt.step()  # optimizer tensors in the checkpoint, as in a real one
    return net, opt


def _resume(capsys, run):
    code = main(["train", "--resume", str(run)])
    _, err = capsys.readouterr()
    return code, err


def test_checkpoint_is_one_file_with_its_metadata(tmp_path):
    net, opt = _net()
    save_checkpoint(tmp_path, "last", {"model": net}, {"model": opt}, {"step": 7})
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["last.safetensors"]
    tensors, meta = read_checkpoint(tmp_path, "last")
    assert meta["info"] == {"step": 7} and "model" in meta["optimizers"]
    other, other_opt = _net(seed=1)
    assert load_checkpoint(tmp_path, "last", {"model": other}, {"model": other_opt}) == {"step": 7}
    for a, b in zip(net.state_dict().values(), other.state_dict().values()):
        assert torch.equal(a, b)
    assert torch.equal(other_opt.state_dict()["state"][0]["exp_avg"],
                       opt.state_dict()["state"][0]["exp_avg"])


def test_older_runs_with_a_json_beside_the_weights_still_load(tmp_path):
    net, _ = _net()
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    tensors = {f"model.model.{k}": v for k, v in net.state_dict().items()}
    save_file({**tensors, "rng.torch": torch.get_rng_state()}, str(folder / "last.safetensors"))
    (folder / "last.json").write_text(json.dumps({"info": {"step": 3}, "optimizers": {}}))
    other, _ = _net(seed=1)
    assert load_checkpoint(tmp_path, "last", {"model": other}) == {"step": 3}
    assert torch.equal(other[0].weight, net[0].weight)
    save_checkpoint(tmp_path, "last", {"model": other}, {}, {"step": 4})  # now the new layout
    assert not (folder / "last.json").exists()
    assert read_checkpoint(tmp_path, "last")[1]["info"] == {"step": 4}


def test_stale_temp_files_go_at_the_next_save_live_ones_stay(tmp_path):
    net, opt = _net()
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    child = multiprocessing.get_context("fork").Process(target=os._exit, args=(0,))
    child.start()
    child.join()  # a pid that surely no longer runs
    from studio.core.atomic import _HOST
    dead = folder / f".last.safetensors.{child.pid}-{_HOST}.abc123_x.tmp"
    alive = folder / f".best.safetensors.{os.getppid()}-{_HOST}.abc123_x.tmp"
    legacy = folder / ".last.safetensors.tmp"  # the fixed temp name of older versions
    for path in (dead, alive, legacy):
        path.write_bytes(b"x" * 100)
    save_checkpoint(tmp_path, "last", {"model": net}, {"model": opt}, {"step": 1})
    assert not dead.exists() and not legacy.exists() and alive.exists()


def _training_run(tmp_path, **extra):
    run = tmp_path / "run"
    train(_doc(), {**BASE, **extra}, out=str(run))
    return run


def test_damaged_resumes_are_one_line_errors_naming_the_file(tmp_path, capsys):
    run = _training_run(tmp_path, epochs=1)
    weights = run / "checkpoints" / "last.safetensors"
    good = weights.read_bytes()

    weights.write_bytes(good[: len(good) // 2])  # truncated
    code, err = _resume(capsys, run)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert str(weights) in err and "damaged checkpoint" in err

    net, opt = _net()  # a checkpoint of another network
    weights.unlink()
    save_checkpoint(run, "last", {"model": net}, {"model": opt},
                    {"epoch": 1, "batch": 0, "step": 3, "schedule": {}, "best": None,
                     "bad_epochs": 0})
    code, err = _resume(capsys, run)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert str(weights) in err and "another network" in err and "missing" in err

    (run / "config.json").write_text("[1, 2]")
    code, err = _resume(capsys, run)
    assert code == 2 and "config.json: expected a JSON object" in err and "list" in err


def test_resume_info_of_the_wrong_shape_is_named(tmp_path):
    run = _training_run(tmp_path, epochs=1)
    tensors, meta = read_checkpoint(run, "last")
    meta["info"]["step"] = "three"
    save_file(tensors, str(run / "checkpoints" / "last.safetensors"),
              metadata={META_KEY: json.dumps(meta)})
    with pytest.raises(RunError, match=r"last.safetensors: checkpoint info.step: expected a "
                                       r"whole number >= 0, got 'three'"):
        Trainer(None, resume=str(run)).run()


def _killed_at_step(run, step):
    """Train in a spawned child that SIGKILLs itself once ``step`` is logged."""
    process = multiprocessing.get_context("spawn").Process(
        target=train_until_killed, args=(str(run), step, BASE))
    process.start()
    process.join(120)
    if process.is_alive():  # never leave a stuck child behind a failing test
        process.kill()
        process.join()
    assert process.exitcode == -signal.SIGKILL


def test_a_resumed_run_logs_every_step_once(tmp_path):
    run = tmp_path / "run"
    _killed_at_step(run, 5)  # the checkpoint is at step 3, the end of the first epoch
    logged = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in logged if e["event"] == "step"] == [1, 2, 3, 4, 5]
    resumed = Trainer(None, resume=str(run)).run()
    assert resumed.status == "finished" and resumed.step == 6
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in lines if e["event"] == "step"] == [1, 2, 3, 4, 5, 6]
    assert [e["epoch"] for e in lines if e["event"] == "epoch"] == [1, 2]
    whole = tmp_path / "whole"
    train(_doc(), BASE, out=str(whole))
    expected = [json.loads(line) for line in (whole / "metrics.jsonl").read_text().splitlines()]
    loss = lambda ev: [e["loss"] for e in ev if e["event"] == "step"]
    assert loss(lines) == pytest.approx(loss(expected), rel=1e-6)  # the same steps, redone


def test_cut_after_step_drops_a_torn_line_and_later_steps(tmp_path):
    path = tmp_path / "metrics.jsonl"
    lines = [{"event": "start"}, {"event": "step", "step": 1}, {"event": "epoch", "step": 1},
             {"event": "step", "step": 2}]
    text = "".join(json.dumps(e) + "\n" for e in lines)
    path.write_text(text + '{"event": "st')
    assert events.cut_after_step(path, 1) == 2
    assert path.read_text() == "".join(json.dumps(e) + "\n" for e in lines[:3])
    assert events.cut_after_step(path, 1) == 0


def test_second_ctrl_c_during_the_checkpoint_is_quiet(tmp_path, monkeypatch):
    real_save = runs.save_checkpoint
    interrupts_in_save = []

    def save_while_interrupted(*args):
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl+C again
        interrupts_in_save.append(args[1])
        return real_save(*args)

    def first_ctrl_c(event):
        if event["event"] == "step" and event["step"] == 2:
            monkeypatch.setattr(runs, "save_checkpoint", save_while_interrupted)
            os.kill(os.getpid(), signal.SIGINT)

    # A terminal's process has Python's default handler; a pytest-xdist worker ignores SIGINT.
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        result = Trainer(_doc(), BASE, out=str(tmp_path / "run"), callback=first_ctrl_c).run()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    finally:
        signal.signal(signal.SIGINT, outer)
    assert result.status == "interrupted" and result.step == 2
    assert interrupts_in_save == ["last"]
    assert read_checkpoint(tmp_path / "run", "last")[1]["info"]["step"] == 2


@pytest.mark.parametrize("argv, message", [
    (["--batch-size", "0"], "argument --batch-size: expected a whole number >= 1, got '0'"),
    (["--batch-size", "-4"], "argument --batch-size: expected a whole number >= 1, got '-4'"),
    (["--epochs", "two"], "argument --epochs: expected a whole number >= 1, got 'two'"),
    (["--lr", "inf"], "argument --lr: expected a finite number > 0, got 'inf'"),
    (["--seed", "-1"], "argument --seed: expected a whole number from 0 to 4294967295"),
    (["--max-steps", "0"], "argument --max-steps: expected a whole number >= 1"),
    (["--limit", "3.5"], "argument --limit: expected a whole number >= 1, got '3.5'"),
])
def test_numeric_arguments_are_checked_on_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as e:
        main(["train", "mlp", *argv])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("netstudio train: error: ") and message in err


def test_a_document_with_batch_size_zero_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"training.batch_size: expected a whole number >= 1, "
                                          r"got 0"):
        Trainer(_doc(), {**BASE, "batch_size": 0}, out=str(tmp_path / "run")).run()
