"""Search overhead and pruning: the same 8 configurations of the mlp on digits trained as plain
sequential ``netstudio train`` runs, as a grid search with ``--jobs 2`` and no pruner, and as a
grid search with the median pruner.

Goals: the search's throughput (epochs per second of wall time) with 2 jobs on 2 cores is at
least 0.9 x the sequential runs' (each run alone may use every core; the search gives each
trial one thread), and with the median pruner the search reaches the exhaustive grid's best
objective with fewer epochs in total (the ratio is reported).

    .venv/bin/python bench/search.py [--epochs 3] [--limit 400]
"""
from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.core.serialize import atomic_write, dumps  # noqa: E402
from studio.core.templates import open_document  # noqa: E402
from studio.search import study as S  # noqa: E402

LRS = [0.0005, 0.002, 0.008, 0.03]
WIDTHS = [32, 128]


def netstudio(*args, cwd) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "studio", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def document(epochs: int, limit: int, pruner: str):
    doc, _, _ = open_document("mlp")
    doc.training.update(epochs=epochs, limit=limit, device="cpu")
    doc.search = {"dimensions": [
        {"name": "optimizer.lr", "type": "choice", "choices": LRS},
        {"name": "$hidden1", "type": "choice", "choices": WIDTHS}],
        "sampler": "grid", "pruner": pruner, "pruner_startup_trials": 2, "seed": 0}
    return doc


def searched(folder: Path) -> tuple[float, int]:
    name, url, _ = S.read_folder(str(folder), None)
    study = optuna.load_study(study_name=name, storage=url)
    epochs = sum(len(t.intermediate_values) for t in study.get_trials())
    return study.best_value, epochs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=400)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="netstudio-bench-search-"))
    plain = document(args.epochs, args.limit, "none")
    atomic_write(work / "plain.nnet.json", dumps(plain))
    atomic_write(work / "pruned.nnet.json", dumps(document(args.epochs, args.limit, "median")))
    seq_s, seq_best = 0.0, None
    for i, (lr, width) in enumerate(itertools.product(LRS, WIDTHS)):
        seq_s += netstudio("train", "plain.nnet.json", "--lr", str(lr), "--var",
                           f"hidden1={width}", "--out", f"seq{i}", "--quiet", cwd=work)
        config_best = max(json.loads(line)["val"]["accuracy"] for line in
                          (work / f"seq{i}" / "metrics.jsonl").read_text().splitlines()
                          if '"epoch"' in line and '"val"' in line)
        seq_best = config_best if seq_best is None else max(seq_best, config_best)
    seq_epochs = len(LRS) * len(WIDTHS) * args.epochs
    grid_s = netstudio("search", "plain.nnet.json", "--jobs", "2", "--out", "grid", cwd=work)
    grid_best, grid_epochs = searched(work / "grid")
    pruned_s = netstudio("search", "pruned.nnet.json", "--jobs", "2", "--out", "pruned",
                         cwd=work)
    pruned_best, pruned_epochs = searched(work / "pruned")
    seq_rate, grid_rate = seq_epochs / seq_s, grid_epochs / grid_s
    print(f"sequential train runs: {seq_epochs} epochs in {seq_s:.1f} s, best {seq_best:.4f}")
    print(f"grid search, 2 jobs: {grid_epochs} epochs in {grid_s:.1f} s, best {grid_best:.4f}")
    print(f"grid search + median pruner, 2 jobs: {pruned_epochs} epochs in {pruned_s:.1f} s, "
          f"best {pruned_best:.4f}")
    print(f"search throughput / sequential: {grid_rate / seq_rate:.2f} (goal >= 0.9)")
    print(f"pruned search reaches the grid's best: "
          f"{'yes' if pruned_best >= grid_best else 'no'} (goal yes)")
    print(f"pruned epochs / exhaustive grid epochs: {pruned_epochs / grid_epochs:.2f} "
          f"(goal < 1)")


if __name__ == "__main__":
    main()
