"""Deep convolutional classifiers: AlexNet, VGG-11/16 and a fully convolutional CAM-ready net.

The paper presets reproduce torchvision's reference models layer for layer (parameter counts are
tested against torchvision); the small presets shrink widths and the input so they train on the
bundled 32x32 digits on a laptop CPU.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, define_block, describe, presets, training

IMAGE = ["$in_channels", "$input_size", "$input_size"]


def _classifier_inputs(b: Net) -> tuple[str, str]:
    return b.input(IMAGE, field="image"), b.target([], field="label")


@template("alexnet")
def alexnet() -> Document:
    variables = {"in_channels": 1, "input_size": 32, "num_classes": 10, "width": 8,
                 "hidden": 64, "k1": 3, "s1": 1, "p1": 1, "pool": 2, "dropout": 0.5}
    doc = Document(
        variables=variables,
        presets=presets(variables, paper={
            "in_channels": 3, "input_size": 224, "num_classes": 1000, "width": 64,
            "hidden": 4096, "k1": 11, "s1": 4, "p1": 2, "pool": 6}),
        meta=describe(
            "AlexNet", "Krizhevsky 2012: five ReLU convolutions, max pooling, dropout, "
            "three dense layers",
            "The network that won ImageNet 2012: an 11x11 stride-4 convolution, then 5x5 and "
            "three 3x3 convolutions with overlapping max pooling, and a 4096-4096-1000 "
            "classifier regularized by dropout. This is the single-tower version of "
            "torchvision (Krizhevsky 2014); 61,100,840 parameters in the paper preset.",
            "Krizhevsky, Sutskever & Hinton 2012; Krizhevsky 2014",
            "convolutional networks: AlexNet, ReLU, dropout"),
        training=training("classification", "digits", size="$input_size"))
    dense = define_block(doc, "dense", {"units": 4096, "p": 0.5},
                         "dropout, a fully connected layer and a ReLU")
    dense.port_out(dense.chain(dense.port_in(), ("norm.Dropout", {"p": "$p"}),
                               ("linear.Linear", {"out_features": "$units"}),
                               "activation.ReLU"))
    b = Net(doc)
    x, y = _classifier_inputs(b)
    conv = "conv.Conv2d"
    pool = ("pooling.MaxPool2d", {"kernel_size": 3, "stride": 2})
    h = b.chain(x, (conv, {"out_channels": "$width", "kernel_size": "$k1", "stride": "$s1",
                           "padding": "$p1"}), "activation.ReLU", pool,
                (conv, {"out_channels": "=3*width", "kernel_size": 5, "padding": 2}),
                "activation.ReLU", pool)
    for channels in ("=6*width", "=4*width", "=4*width"):
        h = b.chain(h, (conv, {"out_channels": channels, "kernel_size": 3, "padding": 1}),
                    "activation.ReLU")
    h = b.chain(h, pool, ("pooling.AdaptiveAvgPool2d", {"output_size": "$pool"}),
                "reshape.Flatten")
    h = b.block(h, "dense", repeat=2, units="$hidden", p="$dropout", id="classifier")
    logits = b.add("linear.Linear", h, out_features="$num_classes")
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, y)
    return doc


def _vgg(name: str, convs: list[int], count: str) -> Document:
    variables = {"in_channels": 1, "input_size": 32, "num_classes": 10, "width": 8,
                 "hidden": 64, "pool": 1, "dropout": 0.5}
    doc = Document(
        variables=variables,
        presets=presets(variables, paper={
            "in_channels": 3, "input_size": 224, "num_classes": 1000, "width": 64,
            "hidden": 4096, "pool": 7}),
        meta=describe(
            name.upper().replace("VGG", "VGG-"),
            f"Simonyan 2014: {sum(convs)} 3x3 convolutions in five stages and three dense layers",
            "Only 3x3 convolutions (padding 1) and 2x2 max pooling: five stages of "
            f"{'/'.join(map(str, convs))} convolutions with 64-128-256-512-512 channels, then "
            f"a 4096-4096-1000 classifier with dropout. Each stage is one Block that repeats a "
            f"convolution block; {count} parameters in the paper preset (configuration "
            f"{'A' if sum(convs) == 8 else 'D'} of the paper, as in torchvision).",
            "Simonyan & Zisserman 2014", "convolutional networks: VGG, depth with small kernels"),
        training=training("classification", "digits", size="$input_size"))
    conv = define_block(doc, "conv3x3", {"channels": 64}, "a padded 3x3 convolution and a ReLU")
    conv.port_out(conv.chain(conv.port_in(), ("conv.Conv2d", {
        "out_channels": "$channels", "kernel_size": 3, "padding": 1}), "activation.ReLU"))
    stage = define_block(doc, "stage", {"channels": 64, "convs": 2},
                         "`convs` 3x3 convolutions, then 2x2 max pooling")
    h = stage.block(stage.port_in(), "conv3x3", repeat="$convs", channels="$channels",
                    id="convs")
    stage.port_out(stage.add("pooling.MaxPool2d", h, kernel_size=2, stride=2, id="pool"))
    dense = define_block(doc, "dense", {"units": 4096, "p": 0.5},
                         "a fully connected layer, a ReLU and dropout")
    dense.port_out(dense.chain(dense.port_in(), ("linear.Linear", {"out_features": "$units"}),
                               "activation.ReLU", ("norm.Dropout", {"p": "$p"})))
    b = Net(doc)
    x, y = _classifier_inputs(b)
    h = x
    for i, (n, factor) in enumerate(zip(convs, (1, 2, 4, 8, 8)), start=1):
        h = b.block(h, "stage", convs=n, channels=f"={factor}*width", id=f"stage{i}")
    h = b.chain(h, ("pooling.AdaptiveAvgPool2d", {"output_size": "$pool"}), "reshape.Flatten")
    h = b.block(h, "dense", repeat=2, units="$hidden", p="$dropout", id="classifier")
    logits = b.add("linear.Linear", h, out_features="$num_classes")
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, y)
    return doc


@template("vgg11")
def vgg11() -> Document:
    return _vgg("vgg11", [1, 1, 2, 2, 2], "132,863,336")


@template("vgg16")
def vgg16() -> Document:
    return _vgg("vgg16", [2, 2, 3, 3, 3], "138,357,544")


@template("fcn")
def fcn() -> Document:
    variables = {"in_channels": 1, "input_size": 32, "num_classes": 3, "width": 16}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "Fully convolutional classifier",
            "convolutions only, global average pooling and one linear layer: ready for CAM",
            "Three stages of 3x3 convolutions with batch norm; no dense layer sees a fixed "
            "spatial size, so the network accepts any input size. The last convolution feeds "
            "a global average pooling and a linear classifier, the structure class activation "
            "maps need: the map of class c is sum_k w[c, k] * last_conv[k] (Zhou et al. 2016).",
            "Lin, Chen & Yan 2013 (network in network); Zhou et al. 2016 (CAM)",
            "class activation maps, global average pooling"),
        training=training("classification", "shapes", size="$input_size"))
    unit = define_block(doc, "conv_bn", {"channels": 16},
                        "3x3 convolution (no bias), batch norm, ReLU")
    unit.port_out(unit.chain(unit.port_in(), ("conv.Conv2d", {
        "out_channels": "$channels", "kernel_size": 3, "padding": 1, "bias": False}),
        "norm.BatchNorm2d", "activation.ReLU"))
    b = Net(doc)
    x, y = _classifier_inputs(b)
    h = b.block(x, "conv_bn", repeat=2, channels="$width", id="stage1")
    h = b.add("pooling.MaxPool2d", h, id="pool1")
    h = b.block(h, "conv_bn", repeat=2, channels="=2*width", id="stage2")
    h = b.add("pooling.MaxPool2d", h, id="pool2")
    h = b.block(h, "conv_bn", repeat=2, channels="=4*width", id="last_conv")
    h = b.add("pooling.GlobalAvgPool", h, id="gap")
    logits = b.add("linear.Linear", h, out_features="$num_classes", id="classifier")
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, y)
    return doc
