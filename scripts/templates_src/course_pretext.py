"""Self-supervised learning by a pretext task: rotation prediction, then a linear probe.

Two templates share one backbone (same node ids, so the same weight names): ``rotation-pretext``
trains it to tell which quarter turn was applied to a digit, with labels made from the images
alone; ``linear-probe`` freezes it and trains one linear layer on the real labels. Its
``training.init_weights`` names the pretext run's folder; left empty, the probe reads random
(untrained) features: the baseline the pretext features must beat.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, describe, presets, training

VARIABLES = {"input_size": 16, "width": 8}
IMAGE = [1, "$input_size", "$input_size"]
BACKBONE = ("conv1", "conv2")  # the layers with weights: what the probe freezes
SOURCE = "Gidaris, Singh & Komodakis 2018 (RotNet); Alain & Bengio 2016 (linear probes)"
COURSE = "self-supervised learning: pretext tasks, transfer of learned features"


def _backbone(b: Net, x) -> str:
    """Two 3x3 convolutions with ReLU and 2x2 max pooling, flattened: the features. No batch
    norm: its statistics would keep moving under a frozen backbone."""
    conv = {"kernel_size": 3, "padding": 1}
    return b.chain(x, ("conv.Conv2d", {"out_channels": "$width", "id": "conv1", **conv}),
                   "activation.ReLU", ("pooling.MaxPool2d", {"kernel_size": 2}),
                   ("conv.Conv2d", {"out_channels": "=2*width", "id": "conv2", **conv}),
                   "activation.ReLU", ("pooling.MaxPool2d", {"kernel_size": 2}),
                   ("reshape.Flatten", {"id": "features"}))


def _head(b: Net, features, target: str, classes, head: str) -> None:
    logits = b.add("linear.Linear", features, out_features=classes, id=head)
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, b.target([], field="label", id=target))


@template("rotation-pretext")
def rotation_pretext() -> Document:
    doc = Document(
        variables=dict(VARIABLES), presets=presets(VARIABLES),
        meta=describe(
            "Rotation pretext task", "self-supervised: a CNN learns which of 4 quarter turns "
            "was applied to a digit, with no digit labels",
            "A pretext task makes labels from the data itself: each digit is shown turned by "
            "0, 90, 180 and 270 degrees (the rotations dataset) and the network classifies "
            "the turn. Telling an upright 6 from a turned 9 takes knowing what digits look "
            "like, so the backbone (conv1, conv2) learns features of strokes without one "
            "digit label. Step 2 reuses them: train this template, then the linear-probe "
            "template with training.init_weights set to this run's folder "
            "(netstudio train rotation-pretext --out runs/pretext; netstudio train "
            "linear-probe --set init_weights=runs/pretext).", SOURCE, COURSE),
        training=training("classification", "rotations", epochs=4, size="$input_size"))
    b = Net(doc)
    features = _backbone(b, b.input(IMAGE, field="image", id="image"))
    _head(b, features, "rotation", 4, "rotation_head")
    return doc


@template("linear-probe")
def linear_probe() -> Document:
    doc = Document(
        variables={**VARIABLES, "num_classes": 10},
        presets=presets({**VARIABLES, "num_classes": 10}),
        meta=describe(
            "Linear probe", "a frozen backbone and one trained linear layer: how good are "
            "features learned without labels?",
            "The rotation-pretext backbone (same layers, same weight names), frozen "
            "(training.freeze: conv1, conv2), and one linear layer trained on the real digit "
            "labels. Only the probe learns, so its test accuracy measures the features. Set "
            "training.init_weights to a rotation-pretext run's folder (or a checkpoint "
            "file) to probe the self-supervised features; left empty, the backbone keeps its "
            "random initial weights: the baseline they must beat.", SOURCE, COURSE),
        training={**training("classification", "digits", lr=1e-2, epochs=5,
                             size="$input_size"), "freeze": list(BACKBONE)})
    b = Net(doc)
    features = _backbone(b, b.input(IMAGE, field="image", id="image"))
    _head(b, features, "digit", "$num_classes", "probe")
    return doc
