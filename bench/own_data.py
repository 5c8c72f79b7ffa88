"""Your own data, first try (issue 16): the three user cases of the README, with realistic files.

MNIST idx files at 28x28, a folder of RGB PNGs in 10 classes, an iris-like CSV with a string
label (and an NPZ of 8-bit images) are written to a temporary folder by the generators the tests
use (``tests/support/user_files.py``); each is then trained with the README's command, as a new
user would: the goal is that the first try trains (no failed runs), with at most ``--fit-data``
as an extra flag, to a test accuracy well above chance. CPU seconds per run are printed too (one
thread; wall time on a shared machine says little).

    python bench/own_data.py [--epochs 3]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from support.user_files import image_npz, iris_csv, mnist_files, png_folder  # noqa: E402

CASES = [  # (name, template, file maker, extra flags, number of classes)
    ("mnist idx files", "lenet5", lambda t: mnist_files(t / "mnist", 1000, 300), [], 10),
    ("rgb png folder", "lenet5", lambda t: png_folder(t / "photos", 40), ["--fit-data"], 10),
    ("iris csv", "mlp", lambda t: iris_csv(t / "iris.csv", 300), ["--fit-data"], 3),
    ("npz of 8-bit images", "mlp", lambda t: image_npz(t / "digits.npz", 1000), ["--fit-data"],
     10),
]


def run(template: str, data: Path, extra: list, epochs: int, out: Path) -> tuple[int, dict]:
    from studio.cli import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(["train", template, "--data", str(data), *extra, "--epochs", str(epochs),
                     "--out", str(out)])
    events = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()] \
        if (out / "metrics.jsonl").exists() else []
    return code, next((e["test"] for e in events if e["event"] == "test"), {})


def main() -> int:
    import torch
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for i, (name, template, make, extra, classes) in enumerate(CASES):
            data = make(tmp)
            start = time.process_time()
            code, test = run(template, data, extra, args.epochs, tmp / f"run{i}")
            cpu = time.process_time() - start
            print(f"{name} on {template}, failed tries before a run trains: "
                  f"{0 if code == 0 else 1} (goal == 0)")
            print(f"{name} on {template}, extra flags: {len(extra)} (goal <= 1)")
            print(f"{name} on {template}, test accuracy: {test.get('accuracy', 0):.3f} "
                  f"(goal > {2 / classes:.3f})")
            print(f"{name} on {template}, CPU seconds for {args.epochs} epochs: {cpu:.1f} "
                  "(goal < 30)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
