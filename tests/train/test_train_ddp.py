"""Two CPU processes with DDP (gloo on 127.0.0.1) train like one process with the same global
batch: same losses, same final weights."""
import json
import os
import socket

import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file

CONFIG = {"device": "cpu", "limit": 64, "batch_size": 16, "epochs": 1, "max_steps": 3,
          "log_every": 1}


def _doc():
    from studio.core.templates import open_document
    from studio.core.variables import apply_preset
    doc, _, _ = open_document("mlp")
    return apply_preset(doc)


def _worker(rank, port, out):
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "WORLD_SIZE": "2",
                       "RANK": str(rank), "LOCAL_RANK": str(rank)})
    torch.set_num_threads(1)
    from studio.train.engine import train
    result = train(_doc(), CONFIG, out=out)
    assert result.step == 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _losses(run):
    return [json.loads(line)["loss"] for line in (run / "metrics.jsonl").read_text().splitlines()
            if json.loads(line)["event"] == "step"]


def test_two_process_ddp_matches_single_process(tmp_path):
    from studio.train.engine import train
    single = tmp_path / "single"
    train(_doc(), CONFIG, out=str(single))
    ddp = tmp_path / "ddp"
    mp.start_processes(_worker, args=(_free_port(), str(ddp)), nprocs=2, join=True,
                       start_method="spawn")
    a = load_file(str(single / "checkpoints" / "last.safetensors"))
    b = load_file(str(ddp / "checkpoints" / "last.safetensors"))
    for key in a:
        if key.startswith("model."):
            assert torch.allclose(a[key], b[key], atol=1e-5), key
    start = [json.loads(line) for line in (ddp / "metrics.jsonl").read_text().splitlines()][0]
    assert start["world_size"] == 2
    for x, y in zip(_losses(single), _losses(ddp), strict=True):
        assert abs(x - y) < 1e-5
