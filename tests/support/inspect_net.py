"""A small conv net with a global-average-pooling head, trained briefly on the bundled shapes.

Built with the document API and compiled like any user network; trained with a plain torch loop
so the inspection tests need nothing from the training engine but its ``shapes`` dataset (masks
come with the images, so Grad-CAM peaks can be checked against them). Its receptive field
(18 px on 32 px images) is smaller than the image, so its maps can localize at all.
"""
from __future__ import annotations

import torch

from studio.compile.fx import compile_network
from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.train.data.registry import load_dataset

CLASSES = 3


def small_cam_doc(width: int = 16) -> Document:
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=[1, 32, 32], id="image")
    h = x
    for i, (channels, pool) in enumerate(((width, True), (2 * width, True), (2 * width, False))):
        h = b.add("conv.Conv2d", h, out_channels=channels, kernel_size=3, padding=1,
                  id=f"conv{i + 1}")
        h = b.add("activation.ReLU", h, id=f"relu{i + 1}")
        if pool:
            h = b.add("pooling.MaxPool2d", h, kernel_size=2, id=f"pool{i + 1}")
    h = b.add("pooling.GlobalAvgPool", h, id="gap")
    logits = b.add("linear.Linear", h, out_features=CLASSES, id="classifier")
    b.add("io.Output", logits, name="logits")
    return doc


def stacked(split, limit: int | None = None) -> dict:
    n = len(split) if limit is None else min(limit, len(split))
    items = [split[i] for i in range(n)]
    return {k: torch.stack([torch.as_tensor(it[k]) for it in items]) for k in items[0]}


def trained_net(steps: int = 200, seed: int = 0, count: int = 1200):
    """(compiled net, train dict, val dict) after ``steps`` Adam steps of batch 32."""
    torch.set_num_threads(1)  # 2 shared cores: more threads were ten times slower here
    torch.manual_seed(seed)
    doc = small_cam_doc()
    compiled = compile_network(doc, "model", doc.variables, seed=seed)
    bundle = load_dataset({"name": "shapes", "size": 32, "count": count,
                           "classes": CLASSES}, seed=0)
    train, val = stacked(bundle.train), stacked(bundle.val)
    model = compiled.module
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    g = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(len(train["image"]), (32,), generator=g)
        loss = torch.nn.functional.cross_entropy(model(train["image"][idx]), train["label"][idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return compiled, train, val


def accuracy(model, data) -> float:
    with torch.no_grad():
        return float((model(data["image"]).argmax(1) == data["label"]).float().mean())
