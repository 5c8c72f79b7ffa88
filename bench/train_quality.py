"""Training quality of templates on their bundled datasets, on the CPU, through the engine.

Trains each template with its own training section (epochs, optimizer, schedule) and prints the
test metric with the CPU time it took. Sample grids and checkpoints go to a temporary folder
unless --out is given (the DCGAN grid PNG is reported by path).

Usage: python bench/train_quality.py [--out DIR] [--only NAME ...]
"""
from __future__ import annotations


import argparse  # noqa: E402
import tempfile
import time
from pathlib import Path

import torch

from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.engine import train

# template -> (metric in the test split, op, goal); None: reported, no published goal
CASES = {
    "lenet5": ("accuracy", ">=", 0.97),
    "mlp": ("accuracy", ">=", 0.95),
    "lstm-classifier": ("accuracy", ">=", 0.90),
    "unet": ("miou", ">=", 0.8),
    "conv-autoencoder": ("psnr", ">=", 15.0),
    "vae": ("elbo", None, None),
    "dcgan": ("grid", None, None),
    "word2vec": ("neighbours", None, None),
    # Kohonen maps, two lines: quantization error (this goal) and topographic error (<= 0.1)
    "som": ("map", "<=", 1.7),
    "som-colours": ("map", "<=", 0.25),
    "softmax-regression": ("accuracy", ">=", 0.95),
    "linear-regression": ("mse", "<=", 0.3),  # target variance 1: mse = 1 - R^2
    "mlp-regression": ("mse", "<=", 0.06),  # noise floor 0.04
    "fc-as-conv": ("accuracy", ">=", 0.95),
    "tied-autoencoder": ("psnr", ">=", 15.0),  # one weight matrix, decoder = its transpose
    "stacked-autoencoder-layerwise": ("psnr", ">=", 14.0),  # greedy pretraining, fine-tuning
    "vqa": ("accuracy", ">=", 0.75),  # majority answer 0.16, the question alone 0.36
    "sentiment": ("accuracy", ">=", 0.95),  # generated reviews with negation and 'but'
    "cgan": ("requested_class", ">=", 0.8),  # oracle MLP on generated digits; chance 0.1
    "rotation-pretext": ("accuracy", ">=", 0.75),  # which of 4 turns: chance 0.25
    "linear-probe": ("probe", ">=", 0.92),  # on rotation-pretext features; random: reported
    "cbow": ("neighbours", None, None),
}


def run(name: str, out: Path) -> list[str]:
    doc = apply_preset(open_document(name)[0])
    events = []
    start_cpu, start = time.process_time(), time.perf_counter()
    result = train(doc, {"device": "cpu"}, out=str(out / name), callback=events.append)
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start
    metric, op, goal = CASES[name]
    where = f"{result.epoch} epochs, {cpu:.0f} s CPU, {wall:.0f} s wall"
    samples = [e for e in events if e["event"] == "samples"]
    if metric == "grid":
        grid = samples[-1]["image"] if samples else None
        ok = grid is not None and (out / name / grid).is_file()
        print(f"  dcgan sample grid: {out / name / grid if grid else 'none'}")
        return [f"dcgan sample grid PNG written: {int(ok)} (goal == 1) [{where}]"]
    if metric == "neighbours":
        for word, near in (samples[-1]["neighbours"] if samples else {}).items():
            print(f"  {name} neighbours of {word!r}: {', '.join(near)}")
        loss = result.metrics.get("test", {}).get("loss", float("nan"))
        return [f"{name} test loss: {loss:.3f} (goal < {__import__('math').log(doc.variables['vocab']):.3f}"
                f" = uniform guess) [{where}]"]
    if metric == "map":  # a Kohonen map: close to the data, and its topology kept
        test = result.metrics.get("test", {})
        return [f"{name} test quantization_error: "
                f"{test.get('quantization_error', float('nan')):.4f} (goal {op} {goal}) [{where}]",
                f"{name} test topographic_error: "
                f"{test.get('topographic_error', float('nan')):.4f} (goal <= 0.1) [{where}]"]
    if metric == "requested_class":  # a conditional GAN: is each picture the class asked?
        from cgan_quality import requested_class_accuracy  # (bench/ is the script's folder)
        value = requested_class_accuracy(doc, out / name)
        return [f"{name} generated digits recognised as the requested class: {value:.4f} "
                f"(goal {op} {goal}) [{where}]"]
    if metric == "probe":  # the run above had random features; now the pretext's (issue 20)
        from probe_quality import pretext_probe_accuracy  # (bench/ is the script's folder)
        value, turns = pretext_probe_accuracy(doc, out)
        random = result.metrics.get("test", {}).get("accuracy", float("nan"))
        return [f"{name} test accuracy on rotation-pretext features: {value:.4f} "
                f"(goal {op} {goal}) [pretext turns accuracy {turns:.4f}]",
                f"{name} test accuracy on random features: {random:.4f} (goal < {value:.4f}, "
                f"the pretext features') [{where}]"]
    value = result.metrics.get("test", {}).get(metric, float("nan"))
    if goal is None:
        return [f"{name} test {metric}: {value:.3f} (goal > -inf, reported) [{where}]"]
    return [f"{name} test {metric}: {value:.4f} (goal {op} {goal}) [{where}]"]


def main():
    # One thread, as the GUI's training process uses (PLATFORM-NOTES): on the shared 2-core
    # machine a second thread mostly spins, and CPU time then measures the spinning.
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", help="keep the runs here")
    ap.add_argument("--only", nargs="*", default=list(CASES))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.out or tmp)
        lines = []
        for name in args.only:
            print(f"training {name} ...", flush=True)
            lines += run(name, out)
            print(lines[-1], flush=True)
        print("\n".join(lines))  # the goal lines together at the end


if __name__ == "__main__":
    main()
