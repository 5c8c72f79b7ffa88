"""Start-up cost (issue 19): every command, every Train press and whole runs, in fresh processes.

Each ratio is the median of ``--pairs`` (>= 5) back-to-back pairs of fresh processes, the two
sides alternating which goes first, so the shared machine's drift hits both sides alike:
- ``netstudio summary lenet5``, ``netstudio --help`` and a usage error against
  ``python -c "import torch"`` (wall time of the whole process);
- a Train press (the studio's training child, ``studio.train.run_process``, with the dashboard's
  overrides, as the studio starts it) to its first ``step`` event, against a hand-written script
  from process start to its first optimizer step (import torch and torchvision, LeNet-5, the
  same digits table at 32x32 with the template's RandomAffine, Adam, one step);
- a whole 8-epoch lenet5 run, ``netstudio train`` against PyTorch Lightning's Trainer with a
  LightningModule of the same architecture, data, split, augmentation, optimizer, cosine schedule,
  per-epoch validation and final test (``pip install '.[bench]'``; both on one thread, the
  engine's choice for LeNet-5, so the comparison is of the frameworks, not of thread counts):
  throughput = trained samples / wall time of the process;
- ``netstudio train`` with a CPU-bound competitor running: default threads against
  ``--threads 1`` (epoch throughput after the first epoch).
Ends with one line per goal: ``<measure>: <value> (goal <op> <number>)``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
_SCRIPT = Path(PY).with_name("netstudio")
NETSTUDIO = [str(_SCRIPT)] if _SCRIPT.exists() else [
    PY, "-c", "import sys; from studio.cli import main; sys.exit(main())"]

DATA = """
import gzip, numpy as np, torch, torch.nn.functional as F
from importlib import resources
raw = resources.files("studio.resources").joinpath("digits.csv.gz").read_bytes()
table = np.array(gzip.decompress(raw).decode().replace("\\n", ",").strip(",").split(","),
                 dtype=np.int64).reshape(-1, 65)
images = torch.tensor(table[:, :64].reshape(-1, 1, 8, 8), dtype=torch.float32) / 16
images = F.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False).clamp(0, 1)
labels = torch.tensor(table[:, 64])
order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))
n_test, n_val = round(len(labels) * 0.2), round(len(labels) * 0.1)
train_i, val_i, test_i = order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test]
"""

LENET = """
from torch import nn
def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2), nn.Conv2d(6, 16, 5),
                         nn.Tanh(), nn.AvgPool2d(2, 2), nn.Conv2d(16, 120, 5), nn.Tanh(),
                         nn.Flatten(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
"""

FIRST_STEP_SCRIPT = """
import torch
from torchvision.transforms import v2
torch.set_num_threads(1)
""" + DATA + LENET + """
model = lenet()
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
affine = v2.RandomAffine(degrees=10, translate=(0.1, 0.1))
batch = train_i[torch.randperm(len(train_i))[:32]]
x = torch.stack([affine(images[i]) for i in batch])
loss = torch.nn.functional.cross_entropy(model(x), labels[batch])
optimizer.zero_grad(); loss.backward(); optimizer.step()
print("stepped", flush=True)
"""

LIGHTNING_SCRIPT = """
import sys, warnings
import torch
import lightning as L
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2
warnings.filterwarnings("ignore")
torch.set_num_threads(1)
EPOCHS = int(sys.argv[1])
""" + DATA + LENET + """
class Digits(Dataset):
    def __init__(self, index, augment):
        self.index = index
        self.affine = v2.RandomAffine(degrees=10, translate=(0.1, 0.1)) if augment else None
    def __len__(self):
        return len(self.index)
    def __getitem__(self, i):
        j = self.index[i]
        x = images[j]
        return (self.affine(x) if self.affine else x), labels[j]

class LeNet(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = lenet()
    def training_step(self, batch, _):
        x, y = batch
        loss = torch.nn.functional.cross_entropy(self.net(x), y)
        self.log("train_loss", loss)
        return loss
    def validation_step(self, batch, _):
        x, y = batch
        logits = self.net(x)
        self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(1) == y).float().mean())
    test_step = validation_step
    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=2e-3)
        return [opt], [torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)]

L.seed_everything(0, verbose=False)
trainer = L.Trainer(max_epochs=EPOCHS, accelerator="cpu", devices=1, logger=False,
                    enable_progress_bar=False, enable_model_summary=False,
                    default_root_dir=sys.argv[2])
model = LeNet()
trainer.fit(model, DataLoader(Digits(train_i, True), batch_size=32, shuffle=True),
            DataLoader(Digits(val_i, False), batch_size=64))
trainer.test(model, DataLoader(Digits(test_i, False), batch_size=64), verbose=False)
print(len(train_i))
"""

COMPETITOR = "while True: pass"


def wall(cmd: list[str], **kwargs) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, **kwargs)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(cmd[:4])}... failed: {done.stderr.strip()[-400:]}")
    return elapsed


def pairs(n: int, a, b) -> list[float]:
    """``a()/b()`` for n pairs of runs, alternating which side goes first."""
    ratios = []
    for i in range(n):
        if i % 2:
            y, x = b(), a()
        else:
            x, y = a(), b()
        ratios.append(x / y)
    return ratios


def first_step_script() -> float:
    started = time.perf_counter()
    child = subprocess.Popen([PY, "-c", FIRST_STEP_SCRIPT], stdout=subprocess.PIPE, text=True,
                             cwd=ROOT)
    line = child.stdout.readline()
    elapsed = time.perf_counter() - started
    child.wait()
    if line.strip() != "stepped":
        raise SystemExit("the hand-written script failed")
    return elapsed


def train_press(doc_json: str, overrides: dict) -> float:
    """From the Train press (the studio spawning its child) to the first ``step`` event."""
    from studio.train.run_process import TrainingProcess
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        started = time.perf_counter()
        process = TrainingProcess(doc_json, overrides, str(Path(folder) / "run"))
        process.start()
        try:
            while True:
                events = process.drain()
                if any(e.get("event") == "step" for e in events):
                    return time.perf_counter() - started
                crash = [e for e in events if e.get("event") == "crash"]
                if crash or not process.alive():
                    raise SystemExit(f"the training child failed: {crash or process.exitcode}")
                time.sleep(0.005)
        finally:
            process.stop()
            process.close()


def epoch_speed(args: list[str]) -> float:
    """Mean epoch samples/s after the first epoch of ``netstudio train ... --events``."""
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        done = subprocess.run([*NETSTUDIO, "train", "lenet5", "--events", "--out",
                               str(Path(folder) / "run"), *args], capture_output=True,
                              text=True, cwd=ROOT)
    epochs = [e["train"]["samples_per_s"] for e in map(json.loads, done.stdout.splitlines()[:-1])
              if e.get("event") == "epoch"]
    if done.returncode or not epochs:
        raise SystemExit(f"netstudio train failed: {done.stderr.strip()[-400:]}")
    kept = epochs[1:] or epochs
    return sum(kept) / len(kept)


def lightning_available() -> bool:
    return subprocess.run([PY, "-c", "import lightning"], capture_output=True).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="pairs per ratio (the goals: >= 5; "
                        "fewer only to try the script)")
    n = max(1, parser.parse_args().pairs)
    med = statistics.median
    lines = []

    torch_only = [PY, "-c", "import torch"]
    summary = pairs(n, lambda: wall([*NETSTUDIO, "summary", "lenet5"]), lambda: wall(torch_only))
    helps = pairs(n, lambda: wall([*NETSTUDIO, "--help"]), lambda: wall(torch_only))
    usage = pairs(n, lambda: wall([*NETSTUDIO, "summary"]), lambda: wall(torch_only))
    lines += [f"netstudio summary lenet5 / import torch, wall (median of {n} pairs): "
              f"{med(summary):.3f} (goal <= 1.25)",
              f"netstudio --help / import torch, wall: {med(helps):.3f} (goal <= 0.3)",
              f"usage error (netstudio summary) / import torch, wall: {med(usage):.3f} "
              f"(goal <= 0.3)"]
    print(*lines[-3:], sep="\n", flush=True)

    from studio.core.templates import open_document
    from studio.train.watch import dashboard_overrides
    doc = open_document("lenet5")[0]
    overrides = {**dashboard_overrides(doc), "log_every": 1, "device": "cpu"}
    doc_json = json.dumps(doc.to_json())
    press = pairs(n, lambda: train_press(doc_json, overrides), first_step_script)
    lines.append(f"Train press -> first step / hand-written script -> first step, lenet5: "
                 f"{med(press):.3f} (goal <= 1.5)")
    print(lines[-1], flush=True)

    if lightning_available():
        with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
            def engine():
                return wall([*NETSTUDIO, "train", "lenet5", "--epochs", "8", "--device", "cpu",
                             "--quiet", "--out", str(Path(folder) / f"e{time.time_ns()}")])

            def lightning():
                return wall([PY, "-c", LIGHTNING_SCRIPT, "8", folder])
            # same samples on both sides: throughput ratio = Lightning's wall / the engine's
            whole = [1 / r for r in pairs(n, engine, lightning)]
        lines.append(f"whole 8-epoch lenet5 run, engine / Lightning throughput: "
                     f"{med(whole):.3f} (goal >= 1.05)")
    else:
        lines.append("whole 8-epoch lenet5 run, engine / Lightning throughput: not measured, "
                     "lightning is missing (pip install '.[bench]') (goal >= 1.05)")
    print(lines[-1], flush=True)

    competitor = subprocess.Popen([PY, "-c", COMPETITOR])
    try:
        time.sleep(1.0)  # the competitor is running before either side starts
        common = ["--epochs", "3", "--device", "cpu"]
        threads = pairs(n, lambda: epoch_speed(common),
                        lambda: epoch_speed([*common, "--threads", "1"]))
    finally:
        competitor.kill()
        competitor.wait()
    lines.append(f"CLI training throughput with a CPU-bound competitor, default threads / one "
                 f"thread: {med(threads):.3f} (goal >= 0.95)")
    print(lines[-1], flush=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
