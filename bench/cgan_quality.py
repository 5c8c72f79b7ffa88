"""How well a conditional GAN draws the class it is asked for (used by bench/train_quality.py).

An MLP trained on the real digits (the oracle; ~98 % on them) classifies 50 generated pictures
of each class; the measure is the share recognised as the class that was requested (chance:
one over the number of classes).
"""
from __future__ import annotations

import torch

from studio.inspect.generate import class_count, conditional_samples
from studio.inspect.load import open_network
from studio.train.data.bundled import digits_table


def digit_classifier(side: int, steps: int = 200) -> torch.nn.Module:
    """An MLP fitted to the real digits resized to ``side`` (pixels in [0, 1])."""
    pixels, labels = digits_table()
    images = torch.tensor(pixels, dtype=torch.float32).unsqueeze(1) / 16
    if side != 8:
        images = torch.nn.functional.interpolate(images, size=(side, side), mode="bilinear",
                                                 align_corners=False).clamp(0, 1)
    labels = torch.tensor(labels)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(side * side, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def requested_class_accuracy(doc, run_folder, per_class: int = 50) -> float:
    generator = open_network(doc, "generator", str(run_folder))
    classes = class_count(doc, "generator", generator)
    images = conditional_samples(generator, range(classes), per_class, seed=1)
    oracle = digit_classifier(images.shape[-1])
    wanted = torch.arange(classes).repeat_interleave(per_class)
    with torch.no_grad():
        return float((oracle(images).argmax(1) == wanted).float().mean())
