"""SIGKILL at random moments of saving: 30 kills while a child saves a ~2 MB document in a loop
and 30 while a child writes checkpoints in a loop. After every kill the file loads, a
checkpoint's weights and metadata are of the same step, and the next save leaves no temp file.

Children are forked (nothing is imported again) and each is killed after it signals that its
loop runs plus a random delay of up to two saves, so most kills land inside a write."""
from __future__ import annotations

import multiprocessing
import random
import time

import torch

from studio.core.serialize import load, save
from studio.core.templates import open_document
from studio.train.runs import read_checkpoint, save_checkpoint

KILLS = 30
FORK = multiprocessing.get_context("fork")


def _temps(folder):
    """Hidden files: our temp files and safetensors' own (".tmpXXXXXX")."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _kill_each(rng, saving, args, folder, seconds_per_save, check):
    """Start ``saving(started, *args)`` in a fresh child KILLS times, kill it and run
    ``check()``; returns how many kills left a temp file (i.e. hit a write). Every other kill
    comes as soon as a temp file appears in ``folder``, so most of those land inside a write
    however loaded the machine; the rest after a random delay of up to two saves."""
    hits = 0
    for i in range(KILLS):
        started = FORK.Event()
        child = FORK.Process(target=saving, args=(started, *args), daemon=True)
        child.start()
        assert started.wait(30), "the saving child did not start"
        if i % 2:
            deadline = time.monotonic() + 30
            while not _temps(folder) and time.monotonic() < deadline:
                time.sleep(0.0005)  # (a busy loop would take the core the child needs)
        else:
            time.sleep(rng.uniform(0, 2 * seconds_per_save))
        child.kill()
        child.join()
        hits += check()
    return hits


def _save_documents(started, doc, target):
    started.set()
    version = 0
    while True:
        version += 1
        doc.meta["version"] = version
        save(doc, target)


def test_killed_document_saves_leave_a_loadable_file_and_no_temp(tmp_path):
    doc, _, _ = open_document("lenet5")
    doc.meta["notes"] = "".join(f"line {i}: some notes about this network\n"
                                for i in range(50_000))  # ~2 MB of document
    target = tmp_path / "big.nnet.json"
    doc.meta["version"] = 0
    begin = time.perf_counter()
    save(doc, target)
    seconds = time.perf_counter() - begin
    assert target.stat().st_size > 2_000_000

    def check():
        hit = bool(_temps(tmp_path))
        loaded, _ = load(target)  # raises on a torn file
        assert loaded.meta["notes"] == doc.meta["notes"]
        assert isinstance(loaded.meta["version"], int)
        save(loaded, target)  # the next save cleans what the kill left
        assert _temps(tmp_path) == []
        return hit

    hits = _kill_each(random.Random(18), _save_documents, (doc, target), tmp_path, seconds,
                      check)
    assert hits >= 5, f"only {hits} of {KILLS} kills hit a write: the test lost its teeth"


def _net():
    net = torch.nn.Sequential(torch.nn.Linear(256, 256), torch.nn.Linear(256, 256))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(torch.randn(2, 256)).sum().backward()
    opt.step()  # momentum buffers: optimizer tensors in the checkpoint
    return net, opt


def _fill(net, opt, step):
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(step)
            opt.state[p]["momentum_buffer"].fill_(step)


def _save_checkpoints(started, run, net, opt):
    torch.set_num_threads(1)  # a forked OpenMP pool hangs at its first parallel region
    started.set()
    step = 0
    while True:
        step += 1
        _fill(net, opt, step)
        save_checkpoint(run, "last", {"model": net}, {"model": opt}, {"step": step})


def test_killed_checkpoint_writes_keep_weights_and_metadata_together(tmp_path, one_thread):
    net, opt = _net()
    _fill(net, opt, 0)
    begin = time.perf_counter()
    save_checkpoint(tmp_path, "last", {"model": net}, {"model": opt}, {"step": 0})
    seconds = time.perf_counter() - begin
    folder = tmp_path / "checkpoints"

    def check():
        hit = bool(_temps(folder))
        tensors, meta = read_checkpoint(tmp_path, "last")
        step = meta["info"]["step"]
        saved = [v for k, v in tensors.items() if k.startswith(("model.", "optim."))]
        assert len(saved) == 8  # 2 weights, 2 biases, a momentum buffer for each
        for value in saved:  # every tensor of the very step the metadata names
            assert torch.equal(value, torch.full_like(value, step)), step
        assert sorted(p.name for p in folder.iterdir()) == sorted(["last.safetensors",
                                                                  *_temps(folder)])
        _fill(net, opt, step)  # (the child's tensors were its own, not this process's)
        save_checkpoint(tmp_path, "last", {"model": net}, {"model": opt}, {"step": step})
        assert _temps(folder) == []
        return hit

    hits = _kill_each(random.Random(50), _save_checkpoints, (tmp_path, net, opt), folder,
                      seconds, check)
    assert hits >= 5, f"only {hits} of {KILLS} kills hit a write: the test lost its teeth"
