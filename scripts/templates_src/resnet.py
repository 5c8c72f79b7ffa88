"""Residual networks: ResNet-18/34 (BasicBlock) and ResNet-50 (Bottleneck), as in torchvision.

A residual unit is a block; a stage is two Block nodes: its first unit, which needs the
projection shortcut (1x1 convolution + batch norm) because the width or the resolution changes,
and the remaining identity-shortcut units as one repeated Block. ResNet-50 thus reads as a stem,
16 residual blocks (8 Block nodes) and a head. Convolutions have no bias because batch norm
follows each of them.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, define_block, describe, presets, training


def _conv_bn(b: Net, x, n: int, channels, kernel: int, stride=1) -> str:
    h = b.add("conv.Conv2d", x, id=f"conv{n}", out_channels=channels, kernel_size=kernel,
              stride=stride, padding=kernel // 2, bias=False)
    return b.add("norm.BatchNorm2d", h, id=f"bn{n}")


def _residual_block(doc: Document, name: str, bottleneck: bool, projection: bool) -> None:
    kind = "Bottleneck (1x1, 3x3, 1x1)" if bottleneck else "BasicBlock (3x3, 3x3)"
    shortcut = "projection (1x1 conv + BN)" if projection else "identity"
    b = define_block(doc, name, {"width": 64, "stride": 1}, f"{kind} with {shortcut} shortcut")
    x = b.port_in()
    if bottleneck:  # torchvision (v1.5) strides in the 3x3 convolution
        h = b.add("activation.ReLU", _conv_bn(b, x, 1, "$width", 1), id="relu1")
        h = b.add("activation.ReLU", _conv_bn(b, h, 2, "$width", 3, "$stride"), id="relu2")
        h = _conv_bn(b, h, 3, "=4*width", 1)
    else:
        h = b.add("activation.ReLU", _conv_bn(b, x, 1, "$width", 3, "$stride"), id="relu1")
        h = _conv_bn(b, h, 2, "$width", 3)
    if projection:
        out = "=4*width" if bottleneck else "$width"
        s = b.add("conv.Conv2d", x, id="downsample_conv", out_channels=out, kernel_size=1,
                  stride="$stride", bias=False)
        x = b.add("norm.BatchNorm2d", s, id="downsample_bn")
    b.port_out(b.add("activation.ReLU", b.add("merge.Add", h, x, id="add"), id="relu"))


def _resnet(depth: int, stages: list[int], bottleneck: bool, count: str) -> Document:
    variables = {"in_channels": 1, "input_size": 32, "num_classes": 10, "width": 8}
    unit = "bottleneck" if bottleneck else "basic"
    doc = Document(
        variables=variables,
        presets=presets(variables, paper={"in_channels": 3, "input_size": 224,
                                          "num_classes": 1000, "width": 64}),
        meta=describe(
            f"ResNet-{depth}",
            f"He 2015: {sum(stages)} residual {'bottleneck' if bottleneck else 'basic'} blocks "
            f"in four stages ({'-'.join(map(str, stages))})",
            "Residual learning: each block adds its input to what its convolutions compute "
            "(y = F(x) + x), so very deep networks still train. A 7x7 stride-2 stem and max "
            f"pooling, four stages of {'-'.join(map(str, stages))} "
            f"{'Bottleneck (1x1-3x3-1x1, 4x expansion)' if bottleneck else 'BasicBlock (3x3-3x3)'}"
            " blocks whose width doubles while the resolution halves, global average pooling "
            f"and one linear layer; {count} parameters in the paper preset, as torchvision.",
            "He, Zhang, Ren & Sun 2015", "very deep networks: ResNet, skip connections"),
        training=training("classification", "digits", size="$input_size"))
    _residual_block(doc, unit, bottleneck, projection=False)
    _residual_block(doc, f"{unit}_down", bottleneck, projection=True)
    b = Net(doc)
    x = b.input(["$in_channels", "$input_size", "$input_size"], field="image")
    y = b.target([], field="label")
    h = b.add("conv.Conv2d", x, id="conv1", out_channels="$width", kernel_size=7, stride=2,
              padding=3, bias=False)
    h = b.chain(b.add("norm.BatchNorm2d", h, id="bn1"), "activation.ReLU")
    h = b.add("pooling.MaxPool2d", h, id="maxpool", kernel_size=3, stride=2, padding=1)
    for i, n in enumerate(stages, start=1):
        width, stride = f"={2 ** (i - 1)}*width", 1 if i == 1 else 2
        if i == 1 and not bottleneck:  # 64 -> 64 at stride 1: identity shortcuts suffice
            h = b.block(h, unit, repeat=n, width=width, stride=1, id="layer1")
            continue
        h = b.block(h, f"{unit}_down", width=width, stride=stride, id=f"layer{i}_0")
        h = b.block(h, unit, repeat=n - 1, width=width, stride=1, id=f"layer{i}")
    h = b.add("pooling.GlobalAvgPool", h, id="avgpool")
    logits = b.add("linear.Linear", h, id="fc", out_features="$num_classes")
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, y)
    return doc


@template("resnet18")
def resnet18() -> Document:
    return _resnet(18, [2, 2, 2, 2], False, "11,689,512")


@template("resnet34")
def resnet34() -> Document:
    return _resnet(34, [3, 4, 6, 3], False, "21,797,672")


@template("resnet50")
def resnet50() -> Document:
    return _resnet(50, [3, 4, 6, 3], True, "25,557,032")
