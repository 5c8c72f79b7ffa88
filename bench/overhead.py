"""Training overhead, measured in one process on the same data and batch size:

1. compiled template vs a hand-written nn.Module of exactly the template's architecture (equal
   parameter counts asserted; the template's weights copied in and equal outputs asserted),
   both in the same minimal loop (goal: throughput ratio >= 0.99). "Compiled" is what the
   engine trains: the flat module of studio.compile.flatten over the compiled GraphModule's
   layers. Beside it, without a goal, the compiled GraphModule itself (one module call per
   node, as the inspectors and hooks use it);
2. the engine (studio.train.engine, the template's training section) vs that bare minimal loop
   on a freshly compiled, flattened module with the same optimizer the engine builds (Adam with
   PyTorch's fused kernel): the engine's own overhead (goal >= 0.97). Beside it, without a
   goal, the engine vs the same bare loop with ``torch.optim.Adam``'s defaults (a per-tensor
   loop): what a user gains or loses against a minimal loop of their own.

Models: lenet5, resnet18 (small preset: width 8, 1x32x32 digits), lstm-classifier (digit rows).
Single-threaded torch. Both comparisons interleave blocks of 10 steps (A B, B A, ...; for the
engine, the bare blocks run inside its step-event callback), so a change in machine load hits
both sides of a pair; each pair gives one ratio and the median is reported. Ratios use CPU time
(time.process_time): wall time on a shared machine also counts waiting for a core. Wall-time
medians are printed beside them.

Each model is measured in ``--repeat`` fresh processes and the median of their ratios is the
result (the ratios of one process shift by a percent or two with where its tensors landed).

Usage: python bench/overhead.py [--blocks N] [--epochs E] [--repeat R] [--only NAME ...]
"""
from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from collections import Counter

import torch
import torch.nn.functional as F
from torch import nn

from studio.compile.flatten import flat_module
from studio.compile.fx import compile_network
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.data import load_dataset
from studio.train.engine import train


class LeNet5(nn.Module):
    """The lenet5 template: tanh, average pooling, C5 as a 5x5 convolution."""

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
    """torchvision's BasicBlock (3x3, 3x3; 1x1 conv + BN projection when the shape changes)."""

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
    """The resnet18 template's small preset: the ImageNet stem (7x7 stride-2 convolution, BN,
    ReLU, 3x3 stride-2 max pooling), four stages of two BasicBlocks, average pooling, fc."""

    def __init__(self, width=8, cin=1, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        layers, c = [], width
        for i, w in enumerate([width, 2 * width, 4 * width, 8 * width]):
            layers += [Basic(c, w, 1 if i == 0 else 2), Basic(w, w, 1)]
            c = w
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        return self.fc(self.layers(x).flatten(2).mean(-1))  # global average pooling


class LSTMClassifier(nn.Module):
    """The lstm-classifier template: one batch-first LSTM, its last hidden state classified."""

    def __init__(self, features=8, hidden=32, classes=10):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc(self.lstm(x)[1][0][-1])


CASES = {"lenet5": (LeNet5, {"name": "digits", "size": 32}, "image"),
         "resnet18": (ResNet18, {"name": "digits", "size": 32}, "image"),
         "lstm-classifier": (LSTMClassifier, {"name": "digit-rows"}, "sequence")}


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def same_architecture(name, hand, compiled, batch) -> None:
    """Equal parameter counts, and with the compiled module's weights copied into the
    hand-written one (state in registration order, shapes checked), equal outputs."""
    assert count(hand) == count(compiled), \
        f"{name}: {count(hand):,} hand-written vs {count(compiled):,} template parameters"
    mine, theirs = list(hand.state_dict().values()), list(compiled.state_dict().values())
    assert [t.shape for t in mine] == [t.shape for t in theirs], f"{name}: state differs"
    with torch.no_grad():
        for a, b in zip(mine, theirs):
            a.copy_(b)
    hand.eval(), compiled.eval()
    with torch.no_grad():
        ours = hand(batch[0])
        template = next(iter(compiled(*batch)["outputs"].values()))
    hand.train(), compiled.train()
    assert torch.allclose(ours, template, atol=1e-5), f"{name}: outputs differ"


def make_step(model, hand: bool, fused: bool = True):
    """One training step with Adam: ``fused`` as the engine builds it (make_optimizer: one
    fused kernel), else PyTorch's default (a loop of operators per parameter tensor)."""
    opt = torch.optim.Adam(model.parameters(), 1e-3, fused=fused or None)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        if hand:
            loss = F.cross_entropy(model(x), y)
        else:  # the template's single loss term (its CrossEntropy node)
            loss, = model(x, y)["losses"].values()
        loss.backward()
        opt.step()
    return step


def aten_ops(step_fn, batch) -> Counter:
    """The aten operators one training step runs (load-independent evidence of equal work)."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step_fn(*batch)
    return Counter(e.name for e in prof.events() if e.name.startswith("aten::"))


def now() -> tuple[float, float]:
    return time.process_time(), time.perf_counter()


def since(start) -> tuple[float, float]:
    """(CPU seconds, wall seconds) since ``start``."""
    end = now()
    return end[0] - start[0], end[1] - start[1]


def bare_block(step_fn, batches, first: int) -> tuple[float, float]:
    """BLOCK steps of the bare loop on batches first, first + 1, ...; (CPU, wall) seconds."""
    start = now()
    for i in range(first, first + BLOCK):
        step_fn(*batches[i % len(batches)])
    return since(start)


def interleaved(steps: list, batches, blocks: int) -> list[tuple]:
    """Times of ``blocks`` interleaved rounds of one block per step function, in order, then
    reversed, ...: one tuple per round, in the order of ``steps``."""
    out = []
    for k in range(blocks):
        order = range(len(steps)) if k % 2 == 0 else reversed(range(len(steps)))
        times = {i: bare_block(steps[i], batches, k * BLOCK) for i in order}
        out.append(tuple(times[i] for i in range(len(steps))))
    return out


def engine_vs_bare(doc, bare_steps: list, batches, epochs: int) -> list[tuple]:
    """(engine, bare 1, bare 2, ...) times of interleaved blocks inside one engine run.

    The engine logs a step event every BLOCK steps; its callback runs BLOCK steps of each bare
    loop (each on its own fresh compiled module and optimizer, in alternating order) and times
    them. An engine block is the time between the end of one callback and the start of the
    next, so it holds the engine's BLOCK steps with their batches, checks, schedule and event
    writing. Blocks that start with the run's first step or cross an epoch end (validation,
    checkpoints) are left out. The template's own training section, minus augmentation (the
    bare loops have none), with Adam at 1e-3 as in the bare loops; the training split is cut
    to whole batches so every epoch has the same blocks."""
    marks: dict = {"last": None, "epoch_end": True, "k": 0}
    out = []

    def callback(event):
        if event["event"] == "epoch":
            marks["epoch_end"] = True
        if event["event"] != "step":
            return
        engine = since(marks["last"]) if marks["last"] else None
        order = range(len(bare_steps)) if marks["k"] % 2 else reversed(range(len(bare_steps)))
        bare = {i: bare_block(bare_steps[i], batches, marks["k"] * BLOCK) for i in order}
        if engine and not marks["epoch_end"]:
            out.append((engine, *(bare[i] for i in range(len(bare_steps)))))
        marks.update(k=marks["k"] + 1, epoch_end=False)
        marks["last"] = now()

    with tempfile.TemporaryDirectory() as folder:
        train(doc, {"device": "cpu", "epochs": epochs, "batch_size": 32, "augment": [],
                    "limit": 32 * BLOCK * 3, "log_every": BLOCK,
                    "optimizer": {"name": "adam", "lr": 1e-3}}, out=folder, callback=callback)
    return out


def ratio(measured, which: int, other: int = 1) -> float:
    """Median over blocks of throughput(first) / throughput(``other``) = time(other) /
    time(first); ``which``: 0 for CPU time, 1 for wall time."""
    return statistics.median(m[other][which] / m[0][which] for m in measured)


BLOCK = 10  # steps per timed block (the engine's default log_every)


def measure(name: str, blocks: int, epochs: int) -> dict:
    """Both comparisons for one model, in this process."""
    torch.set_num_threads(1)
    Hand, spec, field = CASES[name]
    doc = apply_preset(open_document(name)[0])
    graph = lambda: compile_network(doc, "model", doc.variables, training=True, seed=0).module
    fresh = lambda: flat_module(graph())
    data = load_dataset(spec, 0).train
    batches = [(data.fields[field][i:i + 32], data.fields["label"][i:i + 32])
               for i in range(0, 32 * BLOCK * 3, 32)]
    torch.manual_seed(0)
    hand, compiled = Hand(), graph()
    same_architecture(name, hand, compiled, batches[0])
    flat = flat_module(compiled)  # shares the compiled module's layers, so the same weights
    assert flat is not compiled, f"{name}: the engine would train it unflattened"
    # the unflattened module: a fresh one, so no two optimizers step the same weights
    s_hand, s_flat, s_graph = (make_step(hand, True), make_step(flat, False),
                               make_step(graph(), False))
    for s in (s_hand, s_flat, s_graph):
        bare_block(s, batches, 0)  # warm-up
    ops_c, ops_h = aten_ops(s_flat, batches[0]), aten_ops(s_hand, batches[0])
    m1 = interleaved([s_flat, s_hand, s_graph], batches, blocks)
    m2 = engine_vs_bare(doc, [make_step(fresh(), False), make_step(fresh(), False, False)],
                        batches, epochs)
    return {"params": count(compiled), "ops": sum(ops_c.values()),
            "extra_ops": sum((ops_c - ops_h).values()), "extra": dict(ops_c - ops_h),
            "ms_per_step": statistics.median(m[1][0] for m in m1) / BLOCK * 1e3,
            "compiled": ratio(m1, 0), "compiled_wall": ratio(m1, 1), "pairs": len(m1),
            "graph": statistics.median(m[1][0] / m[2][0] for m in m1),
            "engine": ratio(m2, 0), "engine_wall": ratio(m2, 1), "blocks": len(m2),
            "engine_default": ratio(m2, 0, 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=24, help="block pairs, compiled vs hand")
    ap.add_argument("--epochs", type=int, default=10, help="engine epochs (2 pairs each)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="fresh processes per model (the median of their ratios is reported: "
                         "memory placement shifts one process's ratios by a percent or two)")
    ap.add_argument("--only", nargs="*", default=list(CASES))
    args = ap.parse_args()
    lines = []
    spawn = multiprocessing.get_context("spawn")
    for name in args.only:
        runs = []
        for _ in range(args.repeat):
            with spawn.Pool(1) as pool:  # a fresh interpreter for every repetition
                r = pool.apply(measure, (name, args.blocks, args.epochs))
            runs.append(r)
            print(f"{name}: {r['params']:,} parameters, hand-written {r['ms_per_step']:.2f} ms "
                  f"CPU per step; compiled/hand-written {r['compiled']:.3f} CPU, "
                  f"{r['compiled_wall']:.3f} wall ({r['pairs']} rounds; per-node "
                  f"GraphModule/hand-written {r['graph']:.3f}); engine/bare "
                  f"{r['engine']:.3f} CPU, {r['engine_wall']:.3f} wall, engine/bare with "
                  f"PyTorch's default Adam {r['engine_default']:.3f} CPU ({r['blocks']} blocks); "
                  f"aten ops per step {r['ops']}, extra {r['extra']}", flush=True)
        med = {k: statistics.median(r[k] for r in runs)
               for k in ("compiled", "graph", "engine", "engine_default")}
        each = {k: ", ".join(f"{r[k]:.3f}" for r in runs) for k in med}
        lines.append(f"{name} compiled/hand-written throughput (CPU time; median of {len(runs)} "
                     f"processes [{each['compiled']}], each the median of {runs[0]['pairs']} "
                     f"interleaved {BLOCK}-step rounds): {med['compiled']:.3f} (goal >= 0.99)")
        lines.append(f"{name} per-node GraphModule/hand-written throughput (the compiled module "
                     f"unflattened; CPU time; [{each['graph']}]): {med['graph']:.3f} (no goal: "
                     f"what flattening gains)")
        lines.append(f"{name} compiled step: aten ops beyond the hand-written step: "
                     f"{max(r['extra_ops'] for r in runs)} (goal == 0)")
        lines.append(f"{name} engine/bare-loop throughput, same fused Adam (CPU time; median of "
                     f"{len(runs)} processes [{each['engine']}], each the median of "
                     f"{runs[0]['blocks']} {BLOCK}-step blocks): {med['engine']:.3f} "
                     f"(goal >= 0.97)")
        lines.append(f"{name} engine/bare-loop throughput, bare loop with torch.optim.Adam's "
                     f"defaults (CPU time; [{each['engine_default']}]): "
                     f"{med['engine_default']:.3f} (no goal: what a user gains over a minimal "
                     f"loop)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
