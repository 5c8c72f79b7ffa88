"""GPU check for the training engine (run on a machine with CUDA; nothing is asserted on CPU).

Trains lenet5 and resnet18 through the engine on CUDA with AMP and channels-last, and the same
compiled modules in a hand-written AMP loop, then prints samples/s for both and the ratio, with
the card's name, as lines ready for bench/RESULTS.md:

    python scripts/gpu_check.py [--steps 200]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time

import torch

from studio.compile.fx import compile_network
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.data import load_dataset
from studio.train.engine import train


def hand_loop(doc, steps: int, batch: int) -> float:
    """The baseline: compiled module, AMP autocast + GradScaler, batches already on the GPU."""
    module = compile_network(doc, "model", doc.variables, training=True, seed=0).module.cuda()
    module = module.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(module.parameters(), 1e-3)
    scaler = torch.amp.GradScaler("cuda")
    data = load_dataset({"name": "digits", "size": doc.variables["input_size"]}, 0).train
    x = data.fields["image"][:batch].cuda().to(memory_format=torch.channels_last)
    y = data.fields["label"][:batch].cuda()
    for i in range(steps + 10):
        if i == 10:
            torch.cuda.synchronize()
            start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = sum(module(x, y)["losses"].values())
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=128)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA device; nothing to measure")
        return 1
    card = torch.cuda.get_device_name(0)
    for name in ("lenet5", "resnet18"):
        doc = apply_preset(open_document(name)[0])
        baseline = hand_loop(doc, args.steps, args.batch)
        events = []
        with tempfile.TemporaryDirectory() as out:
            result = train(doc, {"device": "cuda", "amp": True, "epochs": 100,
                                 "max_steps": args.steps, "batch_size": args.batch,
                                 "log_every": 10 ** 9}, out=out, callback=events.append)
        rates = [e["samples_per_s"] for e in events if e["event"] == "step"]
        epochs = [e["train"]["samples_per_s"] for e in events if e["event"] == "epoch"]
        engine = max(epochs[1:] or epochs or rates)  # skip the first (warm-up) epoch
        print(f"{name} on {card}: engine {engine:.0f} samples/s (AMP, {result.status}), "
              f"hand-written AMP loop {baseline:.0f}; engine/hand {engine / baseline:.3f} "
              f"(goal >= 0.97)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
