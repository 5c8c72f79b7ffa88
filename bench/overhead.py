"""Training overhead, measured in one run on the same data and batch size:

1. compiled template vs a hand-written nn.Module of the same architecture, both in the same
   minimal loop (goal: throughput ratio >= 0.99);
2. the engine (studio.train.engine) vs that bare minimal loop on the compiled module (goal >=
   0.97). Models: lenet5, resnet18 (width 8, 1x32x32 digits), lstm-classifier (digit rows).

Usage: python bench/overhead.py [--steps N] [--repeats R]
"""
from __future__ import annotations

import sys

import argparse  # noqa: E402
import tempfile
import time

import torch
from torch import nn
import torch.nn.functional as F

from studio.compile.fx import compile_network
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.data import load_dataset
from studio.train.engine import train


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c3, self.c5 = nn.Conv2d(1, 6, 5), nn.Conv2d(6, 16, 5), nn.Conv2d(16, 120, 5)
        self.f6, self.out = nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.c3(x)), 2)
        x = torch.tanh(self.c5(x)).flatten(1)
        return self.out(torch.tanh(self.f6(x)))


class Basic(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    def __init__(self, width=8, cin=1, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(cin, width, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        layers, c = [], width
        for i, w in enumerate([width, 2 * width, 4 * width, 8 * width]):
            layers += [Basic(c, w, 1 if i == 0 else 2), Basic(w, w, 1)]
            c = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(self.layers(self.stem(x)).mean((2, 3)))


class LSTMClassifier(nn.Module):
    def __init__(self, features=8, hidden=32, classes=10):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc(self.lstm(x)[1][0][-1])


CASES = {"lenet5": (LeNet5, {"name": "digits", "size": 32}, "image"),
         "resnet18": (ResNet18, {"name": "digits", "size": 32}, "image"),
         "lstm-classifier": (LSTMClassifier, "digit-rows", "sequence")}


def loop(step_fn, batches, steps):
    """The bare minimal loop: forward, loss, backward, step; returns samples/s."""
    start = time.perf_counter()
    n = 0
    for i in range(steps):
        x, y = batches[i % len(batches)]
        step_fn(x, y)
        n += len(x)
    return n / (time.perf_counter() - start)


def make_step(model, compiled: bool):
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = sum(model(x, y)["losses"].values()) if compiled else F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step


def count(m):
    return sum(p.numel() for p in m.parameters())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=36)  # one epoch of the 1,258 training digits
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    torch.manual_seed(0)
    lines = []
    for name, (Hand, spec, field) in CASES.items():
        doc = apply_preset(open_document(name)[0])
        compiled = compile_network(doc, "model", doc.variables, training=True, seed=0).module
        hand = Hand()
        if count(hand) != count(compiled):
            print(f"{name}: parameter counts differ ({count(hand)} vs {count(compiled)})")
        data = load_dataset(spec, 0).train
        batches = [(data.fields[field][i:i + 32], data.fields["label"][i:i + 32])
                   for i in range(0, 32 * 20, 32)]
        s_hand, s_comp = make_step(hand, False), make_step(compiled, True)
        loop(s_hand, batches, 5), loop(s_comp, batches, 5)  # warm-up
        hand_rate = comp_rate = 0.0
        for _ in range(args.repeats):  # interleaved, best of R: robust to a busy machine
            hand_rate = max(hand_rate, loop(s_hand, batches, args.steps))
            comp_rate = max(comp_rate, loop(s_comp, batches, args.steps))
        engine_rate = 0.0
        for _ in range(args.repeats):
            events = []
            with tempfile.TemporaryDirectory() as out:
                train(doc, {"device": "cpu", "epochs": 1, "max_steps": args.steps,
                            "limit": 32 * args.steps, "batch_size": 32, "log_every": 10 ** 9,
                            "snapshot": {"probe": 0}}, out=out, callback=events.append)
            bare = loop(s_comp, batches, args.steps)
            steps = [e for e in events if e["event"] == "step"]
            engine_rate = max(engine_rate, steps[-1]["samples_per_s"] / bare)
        print(f"{name}: hand-written {hand_rate:.0f} samples/s, compiled {comp_rate:.0f}, "
              f"engine/bare {engine_rate:.3f}")
        lines.append(f"{name} compiled/hand-written throughput: {comp_rate / hand_rate:.3f} "
                     f"(goal >= 0.99)")
        lines.append(f"{name} engine/bare-loop throughput: {engine_rate:.3f} (goal >= 0.97)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
