"""Shape inference speed on a 1,000-node graph: full (cold cache) and after one edit.

Goals (issue 2): full < 300 ms, incremental < 30 ms on the 2-core development machine.
The graph is a realistic mix: conv stages with batch norm and activations, residual adds,
pooling, then a classifier head.

Beside the goals, without one: the distinct graph's inference against its layers built and run
by hand in the same process, interleaved (each conv built with ``device="meta"`` and run on a
meta tensor, each batch norm on a CPU tensor of one pixel, no weight fills): the floor that
torch's own construction and meta kernels set. On the shared 2-core machine the absolute times
drift with the machine (that floor moved between 103 and 149 ms within an hour); the ratio
says what shape inference adds to it.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.core.builder import GraphBuilder  # noqa: E402
from studio.core.document import Document  # noqa: E402
from studio.core.meta import no_init  # noqa: E402
from studio.core.ops import SetParams  # noqa: E402
from studio.core.shapes import ShapeInference  # noqa: E402


def big_graph(target: int = 1000, distinct: bool = False) -> Document:
    """``distinct``: every conv gets its own width, so no two nodes share a cache entry."""
    doc = Document()
    b = GraphBuilder(doc)
    h = b.add("io.Input", shape=[3, 32, 32])
    h = b.add("conv.Conv2d", h, out_channels=16, kernel_size=3, padding=1)
    stage = 0
    while len(doc.networks["model"].nodes) < target - 4:
        skip, stage = h, stage + 1
        mid = 16 + stage if distinct else 16
        h = b.add("conv.Conv2d", h, out_channels=mid, kernel_size=3, padding=1)
        h = b.add("norm.BatchNorm2d", h)
        h = b.add("activation.ReLU", h)
        h = b.add("conv.Conv2d", h, out_channels=16, kernel_size=3, padding=1)
        h = b.add("merge.Add", h, skip)
    h = b.add("pooling.GlobalAvgPool", h)
    h = b.add("linear.Linear", h, out_features=10)
    b.add("io.Output", h)
    return doc


def cold(distinct: bool) -> tuple[float, float]:
    """Median wall and CPU milliseconds of a cold-cache inference. Inference is single-threaded,
    so CPU time is what it costs; wall time also counts whatever else the machine was doing."""
    doc = big_graph(distinct=distinct)
    ShapeInference().infer(doc, "model")  # first-call imports are not inference
    walls, cpus = [], []
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        ShapeInference().infer(doc, "model")
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3


def by_hand(doc: Document) -> None:
    """The distinct graph's convs and batch norms, built and run by hand (see the docstring)."""
    nodes = doc.networks["model"].nodes.values()
    convs = [n.params["out_channels"] for n in nodes if n.type == "conv.Conv2d"]
    with no_init(), torch.no_grad():
        x = torch.nn.Conv2d(3, convs[0], 3, padding=1, device="meta")(
            torch.empty(2, 3, 32, 32, device="meta"))
        for mid in convs[1::2]:
            h = torch.nn.Conv2d(16, mid, 3, padding=1, device="meta").eval()(x)
            torch.nn.BatchNorm2d(mid).eval()(torch.zeros(2, mid, 1, 1))
            x = torch.nn.Conv2d(mid, 16, 3, padding=1, device="meta").eval()(h)


def against_by_hand() -> float:
    """Median of interleaved (inference / by hand) CPU-time ratios on the distinct graph."""
    doc = big_graph(distinct=True)
    ShapeInference().infer(doc, "model")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as inference runs (studio.core.threads)
    ratios = []
    try:
        for _ in range(7):
            c0 = time.process_time()
            ShapeInference().infer(doc, "model")
            c1 = time.process_time()
            by_hand(doc)
            ratios.append((c1 - c0) / (time.process_time() - c1))
    finally:
        torch.set_num_threads(threads)
    return statistics.median(ratios)


def main() -> None:
    doc = big_graph()
    n = len(doc.networks["model"].nodes)
    fulls, edits = [], []
    for _ in range(5):
        inference = ShapeInference()
        t0 = time.perf_counter()
        result = inference.infer(doc, "model")
        fulls.append(time.perf_counter() - t0)
        assert not result.diagnostics, result.diagnostics[:3]
        conv_ids = [i for i, node in doc.networks["model"].nodes.items()
                    if node.type == "conv.Conv2d"]
        for k in range(10):  # edit a conv in the middle: kernel 3 <-> 5 keeps the shapes valid
            target = conv_ids[len(conv_ids) // 2 + k]
            kernel, pad = (5, 2) if k % 2 == 0 else (3, 1)
            SetParams("model", target, {"kernel_size": kernel, "padding": pad}).apply(doc)
            t0 = time.perf_counter()
            inference.infer(doc, "model")
            edits.append(time.perf_counter() - t0)
    full, edit = statistics.median(fulls) * 1e3, statistics.median(edits) * 1e3
    print(f"nodes: {n}")
    print(f"full inference, repeated layers (cold cache) ms: {full:.1f}")
    wall, cpu = cold(distinct=True)
    print(f"full inference, all nodes distinct, wall ms: {wall:.1f}")
    print(f"full inference / the same layers built and run by hand, CPU: {against_by_hand():.2f} "
          f"(no goal: what inference adds to torch's own cost)")
    print(f"full inference ms: {cpu:.1f} (goal < 300)")
    print(f"incremental inference after one edit ms: {edit:.1f} (goal < 30)")


if __name__ == "__main__":
    main()
