"""The thread policy: one thread for a small model such as LeNet-5, the free cores for a large
one, and an explicit count (``--threads``, the training section's ``threads``) as given."""
import pytest
import torch

from studio.cli import main
from studio.core.shapes import ShapeInference
from studio.core.templates import open_document
from studio.train.engine import Trainer
from studio.train.threads_policy import (SMALL_MODEL_PARAMS, ThreadsError, apply_thread_policy,
                                         choose_threads, usable_cores)


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_lenet5_gets_one_thread_on_any_machine():
    doc = open_document("lenet5")[0]
    params = ShapeInference().infer(doc, "model").total_params
    assert 0 < params < SMALL_MODEL_PARAMS
    assert choose_threads("auto", params, busy=0) == 1


def test_a_large_model_gets_the_cores_nobody_else_uses():
    cores = usable_cores()
    assert choose_threads("auto", 10**8, busy=0) == cores
    assert choose_threads("auto", 10**8, busy=1) == max(1, cores - 1)
    assert choose_threads("auto", 10**8, busy=cores + 3) == 1  # never zero, never oversubscribed
    assert choose_threads("auto", 10**8, busy=0, reserve=1) == max(1, cores - 1)  # the studio's
    assert choose_threads(None, 10**8, busy=0, ranks_here=cores) == 1  # DDP ranks share cores


def test_an_explicit_count_wins_and_a_bad_one_is_named():
    assert choose_threads(3, 1000) == 3
    for bad in (0, -2, 1.5, "many", True):
        with pytest.raises(ThreadsError, match="training.threads"):
            choose_threads(bad, 1000)


def test_training_section_threads_and_the_command_line(tmp_path):
    trainer = Trainer(open_document("lenet5")[0], {"threads": 2, "limit": 64, "epochs": 1},
                      out=str(tmp_path / "run"))
    trainer.setup()
    assert apply_thread_policy(trainer) == 2 and torch.get_num_threads() == 2
    assert apply_thread_policy(trainer, 3) == 3 and torch.get_num_threads() == 3  # --threads
    trainer.config["threads"] = "auto"
    assert apply_thread_policy(trainer) == 1 and torch.get_num_threads() == 1


def test_cli_threads_flag(tmp_path, capsys):
    assert main(["train", "lenet5", "--threads", "2", "--max-steps", "1", "--limit", "64",
                 "--quiet", "--out", str(tmp_path / "run")]) == 0
    assert torch.get_num_threads() == 2
    with pytest.raises(SystemExit) as exit_:
        main(["train", "lenet5", "--threads", "0"])
    assert exit_.value.code == 2 and "--threads" in capsys.readouterr().err
