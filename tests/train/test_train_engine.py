"""The training loop: resume reproduces an uninterrupted run, non-finite values stop at the step
and name the node, run folders hold no pickle, events reach the callback and metrics.jsonl."""
import json
import math

import pytest
import torch
from safetensors.torch import load_file

from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.config import frozen_nodes
from studio.train.optim import ConfigError
from studio.train.engine import Trainer, train
from studio.train.runs import read_checkpoint

BASE = {"device": "cpu", "limit": 48, "batch_size": 16, "epochs": 2, "log_every": 1}


def _doc(name="lenet5"):
    doc, _, _ = open_document(name)
    return apply_preset(doc)


def _events(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_resumed_run_matches_uninterrupted(tmp_path):
    whole = train(_doc(), {**BASE, "augment": [{"name": "GaussianNoise", "sigma": 0.05}]},
                  out=str(tmp_path / "whole"))
    part = train(_doc(), {**BASE, "max_steps": 4, "augment": [{"name": "GaussianNoise",
                                                                "sigma": 0.05}]},
                 out=str(tmp_path / "part"))
    assert part.status == "stopped" and part.step == 4  # stopped inside the second epoch
    resumed = Trainer(None, resume=str(tmp_path / "part")).run()
    assert resumed.status == "finished" and resumed.step == whole.step == 6
    a = load_file(str(tmp_path / "whole" / "checkpoints" / "last.safetensors"))
    b = load_file(str(tmp_path / "part" / "checkpoints" / "last.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert resumed.metrics["val"]["loss"] == whole.metrics["val"]["loss"]
    losses = lambda run: [e["loss"] for e in _events(run) if e["event"] == "step"]
    assert losses(tmp_path / "part") == losses(tmp_path / "whole")


def test_nan_output_stops_at_the_step_and_names_the_node(tmp_path):
    def poison(event):
        if event["event"] == "step" and event["step"] == 4:
            with torch.no_grad():
                trainer.nets["model"].module.get_submodule("f6").weight.fill_(math.nan)

    trainer = Trainer(_doc(), BASE, out=str(tmp_path / "run"), callback=poison)
    result = trainer.run()
    assert result.status == "nonfinite"
    assert "step 5" in result.error and "'f6'" in result.error and "loss" in result.error
    error = [e for e in _events(tmp_path / "run") if e["event"] == "error"][0]
    assert error["node"] == "f6" and error["step"] == 5
    kept = load_file(str(tmp_path / "run" / "checkpoints" / "last.safetensors"))
    assert all(torch.isfinite(v).all() for k, v in kept.items() if v.is_floating_point())
    assert read_checkpoint(tmp_path / "run", "last")[1][
        "info"]["step"] == 3  # the end of the first epoch, the last good state


def test_nan_gradient_names_the_node(tmp_path):
    trainer = Trainer(_doc(), {**BASE, "epochs": 1}, out=str(tmp_path / "run"))
    trainer.setup()
    c3 = trainer.nets["model"].module.get_submodule("c3")
    c3.register_full_backward_hook(lambda m, gin, gout: tuple(
        None if g is None else torch.full_like(g, math.nan) for g in gin))
    from studio.train.guard import NonFiniteError
    with pytest.raises(NonFiniteError) as e:
        trainer.recipe.train_step(next(iter(trainer.batches)))
    assert e.value.where == "gradient" and e.value.node == "s2"  # c3's input gradient


def test_run_folder_has_events_and_no_pickle(tmp_path):
    seen = []
    result = train(_doc("mlp"), {**BASE, "snapshot": {"every_steps": 1, "min_interval_s": 0}},
                   out=str(tmp_path / "run"), callback=seen.append)
    run = tmp_path / "run"
    events = _events(run)
    assert [e["event"] for e in events] == [e["event"] for e in seen]
    kinds = {e["event"] for e in events}
    assert {"start", "step", "epoch", "snapshot", "test", "end"} <= kinds
    epoch = [e for e in events if e["event"] == "epoch"][-1]
    assert 0 <= epoch["val"]["accuracy"] <= 1 and len(epoch["val"]["confusion"]) == 10
    snap = [e for e in events if e["event"] == "snapshot"][0]
    assert snap["weights"] and snap["activations"]
    assert result.metrics["test"]["accuracy"] > 0
    for path in run.rglob("*"):
        if path.is_file():
            head = path.read_bytes()[:2]
            assert head != b"\x80\x04" and head[:1] != b"\x80", f"{path} looks like a pickle"
            assert path.suffix in (".json", ".jsonl", ".safetensors", ".png"), path
    doc = json.loads((run / "document.nnet.json").read_text())
    config = json.loads((run / "config.json").read_text())
    assert doc["format"] == "netstudio" and config["batch_size"] == 16


def test_early_stopping_restores_best_weights(tmp_path):
    result = train(_doc("mlp"), {**BASE, "epochs": 6, "optimizer": {"name": "sgd", "lr": 0.0},
                                 "early_stopping": {"patience": 2}}, out=str(tmp_path / "run"))
    assert result.status == "stopped"
    assert result.epoch == 3  # nothing improves after epoch 1 with lr 0: stops after patience


def test_schedule_warmup_and_cosine():
    from studio.train.optim import Schedule
    s = Schedule({"name": "cosine", "warmup_steps": 4}, epochs=2, steps_per_epoch=10)
    factors = [s.factor(step // 10, step) for step in range(20)]
    assert factors[0] == pytest.approx(0.25) and factors[3] == pytest.approx(1.0)
    assert factors[-1] < 0.05 and all(a >= b for a, b in zip(factors[3:], factors[4:]))
    p = Schedule({"name": "plateau", "patience": 0, "factor": 0.5}, 5, 1)
    for metric in (1.0, 1.0, 1.0):
        p.end_epoch(metric)
    assert p.factor(3, 3) == 0.25


def test_every_step_trains_and_logs_with_its_scheduled_learning_rate(tmp_path):
    from studio.train.optim import Schedule
    spec = {"name": "cosine", "warmup_steps": 2}
    used = []
    trainer = Trainer(_doc("mlp"), {**BASE, "schedule": spec,
                                    "optimizer": {"name": "sgd", "lr": 0.1}},
                      out=str(tmp_path / "r"),
                      callback=lambda e: used.append(
                          trainer.optimizers["model"].param_groups[0]["lr"])
                      if e["event"] == "step" else None)
    trainer.run()
    steps = [e for e in _events(trainer.run_dir) if e["event"] == "step"]
    assert len(steps) == 6  # 48 samples, batches of 16, two epochs
    schedule = Schedule(spec, epochs=2, steps_per_epoch=3)
    expected = [0.1 * schedule.factor(e["epoch"] - 1, e["step"] - 1) for e in steps]
    assert [e["lr"] for e in steps] == pytest.approx(expected)
    assert used == pytest.approx(expected)
    # warm-up, then a cosine falling at every step, inside an epoch too
    assert used[0] < used[1] and all(a > b for a, b in zip(used[2:], used[3:]))


def test_frozen_node_does_not_change(tmp_path):
    trainer = Trainer(_doc(), {**BASE, "epochs": 1, "freeze": ["c1"]}, out=str(tmp_path / "r"))
    trainer.setup()
    before = trainer.nets["model"].module.c1.weight.clone()
    trainer.recipe.train_step(next(iter(trainer.batches)))
    assert torch.equal(before, trainer.nets["model"].module.c1.weight)


def test_freeze_names_nodes_per_network_or_as_a_list_for_one(tmp_path):
    # {network: [ids]} works with one network too (it was taken for a list of node ids)
    trainer = Trainer(_doc(), {**BASE, "epochs": 1, "freeze": {"model": ["c1"]}},
                      out=str(tmp_path / "r"))
    trainer.setup()
    module = trainer.nets["model"].module
    assert not module.c1.weight.requires_grad and module.c3.weight.requires_grad
    assert frozen_nodes({"freeze": ["a"]}, "g", 2) == []  # a list cannot say whose nodes
    assert frozen_nodes({"freeze": {"g": ["a"]}}, "g", 2) == ["a"]
    assert frozen_nodes({"freeze": {"g": ["a"]}}, "d", 2) == []
    # anything else is one line naming the key, not a crash deep in the optimizer set-up
    with pytest.raises(ConfigError, match=r"training\.freeze: expected a list of node ids"):
        Trainer(_doc(), {**BASE, "epochs": 1, "freeze": 5}, out=str(tmp_path / "bad")).setup()
    with pytest.raises(ValueError, match="got \\[1\\]"):
        frozen_nodes({"freeze": {"g": [1]}}, "g", 2)


def test_gan_epoch_writes_a_sample_grid(tmp_path):
    result = train(_doc("dcgan"), {"device": "cpu", "limit": 16, "batch_size": 8, "epochs": 1},
                   out=str(tmp_path / "run"))
    assert result.status == "finished"
    samples = [e for e in _events(tmp_path / "run") if e["event"] == "samples"]
    assert samples and (tmp_path / "run" / samples[0]["image"]).is_file()
    assert {"d", "g"} <= {k.split("/")[-1] for k in result.metrics["val"]}


def test_autoencoder_reports_psnr_of_the_reconstruction_not_the_code(tmp_path):
    result = train(_doc("conv-autoencoder"), {**BASE, "epochs": 1}, out=str(tmp_path / "run"))
    psnr = result.metrics["val"]["psnr"]
    assert 0 < psnr < 60
    assert any(e["event"] == "samples" for e in _events(tmp_path / "run"))


@pytest.mark.parametrize("name", ["lenet5", "conv-autoencoder"])
def test_epoch_without_a_probe_batch_finishes(name, tmp_path):
    """snapshot.probe = 0 (no probe batch) used to crash the end of the first epoch."""
    result = train(_doc(name), {**BASE, "epochs": 1, "snapshot": {"probe": 0}},
                   out=str(tmp_path / "run"))
    assert result.status == "finished" and "test" in result.metrics
    assert not any(e["event"] == "samples" for e in _events(tmp_path / "run"))


@pytest.mark.parametrize("spec", [{"name": "adam", "lr": 1e-2, "weight_decay": 1e-3},
                                  {"name": "adamw", "lr": 1e-2},
                                  {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
                                  {"name": "adagrad", "lr": 0.1}])
def test_optimizers_use_the_fused_kernel_with_the_same_update(spec):
    """CPU parameters get PyTorch's fused kernel; three steps land where the per-tensor
    implementation (PyTorch's default) lands."""
    from studio.train.optim import OPTIMIZERS, make_optimizer
    torch.manual_seed(0)
    ours = [torch.nn.Parameter(torch.randn(5, 3)), torch.nn.Parameter(torch.randn(3))]
    reference = [torch.nn.Parameter(p.detach().clone()) for p in ours]
    fused = make_optimizer(ours, spec)
    assert fused.defaults["fused"] is True
    options = {k: v for k, v in spec.items() if k != "name"}
    plain = OPTIMIZERS[spec["name"]](reference, **options)
    for step in range(3):
        grads = [torch.randn_like(p) for p in ours]
        for params, opt in ((ours, fused), (reference, plain)):
            for p, g in zip(params, grads):
                p.grad = g.clone()
            opt.step()
    for a, b in zip(ours, reference):
        assert torch.allclose(a, b, atol=1e-6)


def test_parameters_without_a_fused_kernel_get_the_default_optimizer():
    from studio.train.optim import make_optimizer
    on_meta = [torch.nn.Parameter(torch.zeros(3, device="meta"))]
    assert not make_optimizer(on_meta, {"name": "adam"}).defaults["fused"]
    assert "fused" not in make_optimizer([torch.nn.Parameter(torch.zeros(3))],
                                         {"name": "rmsprop"}).defaults


def test_event_lines_reach_the_disk_without_a_flush_per_step(tmp_path):
    from studio.train.events import EventStream
    path = tmp_path / "metrics.jsonl"
    stream = EventStream(path)
    stream.emit("step", step=1, loss=0.5)
    stream.emit("step", step=2, loss=float("nan"))  # not JSON: written as a string
    stream.emit("epoch", epoch=1)  # every event but a step is flushed at once
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [e["event"] for e in lines] == ["step", "step", "epoch"]
    assert lines[1]["loss"] == "nan"
    stream.emit("step", step=3, loss=0.25)
    stream.close()
    assert json.loads(path.read_text().splitlines()[-1])["step"] == 3


def test_a_run_that_fails_unexpectedly_still_writes_what_it_logged(tmp_path):
    def fail_at_the_third_step(event):
        if event["event"] == "step" and event["step"] == 3:
            raise RuntimeError("the consumer broke")
    trainer = Trainer(_doc("mlp"), BASE, out=str(tmp_path / "r"),
                      callback=fail_at_the_third_step)
    with pytest.raises(RuntimeError, match="consumer broke"):
        trainer.run()
    steps = [e["step"] for e in _events(trainer.run_dir) if e["event"] == "step"]
    assert steps == [1, 2, 3]
