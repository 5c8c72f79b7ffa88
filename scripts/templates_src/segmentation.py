"""Semantic segmentation: U-Net (concatenated skips) and DeconvNet (unpooling by indices).

Both output per-pixel class logits (N, classes, H, W) trained by cross-entropy against an integer
mask (N, H, W). Levels are blocks, so the templates read as encoder stages, a bottom and decoder
stages; the small presets segment the bundled 32x32 shapes.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, define_block, describe, presets, training

IMAGE = ["$in_channels", "$input_size", "$input_size"]


def _segmentation_io(b: Net) -> tuple[str, str]:
    return b.input(IMAGE, field="image"), b.target(["$input_size", "$input_size"], field="mask")


def _finish(b: Net, h, y) -> None:
    logits = b.add("conv.Conv2d", h, id="classifier", out_channels="$num_classes",
                   kernel_size=1)
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, y)


@template("unet")
def unet() -> Document:
    variables = {"in_channels": 1, "input_size": 32, "num_classes": 4, "width": 8}
    doc = Document(
        variables=variables,
        presets=presets(variables, paper={"in_channels": 1, "input_size": 512,
                                          "num_classes": 2, "width": 64}),
        meta=describe(
            "U-Net", "Ronneberger 2015: a contracting and an expanding path joined by "
            "concatenated skip connections",
            "Four down levels (2x2 max pooling, two 3x3 convolutions, channels doubling from "
            "64 to 1024) and four up levels (2x2 transposed convolution halving the channels, "
            "concatenation with the encoder features of the same resolution, two 3x3 "
            "convolutions), then a 1x1 convolution to class logits per pixel. Convolutions are "
            "padded so the output has the input's size (the paper crops instead); no batch "
            "norm. 31,030,658 parameters in the paper preset.",
            "Ronneberger, Fischer & Brox 2015", "U-Net and skip connections, segmentation"),
        # Batch 16 doubles the steps: at batch 32 the shape classes were still confused after
        # 10 epochs (mIoU 0.5); here they separate around epoch 5 (mIoU 0.99).
        training=training("segmentation", "shapes", size="$input_size", batch_size=16,
                          lr=3e-3))
    double = define_block(doc, "double_conv", {"channels": 64},
                          "two padded 3x3 convolutions, each followed by a ReLU")
    conv = ("conv.Conv2d", {"out_channels": "$channels", "kernel_size": 3, "padding": 1})
    double.port_out(double.chain(double.port_in(), conv, "activation.ReLU", conv,
                                 "activation.ReLU"))
    down = define_block(doc, "down", {"channels": 128},
                        "2x2 max pooling, then the double convolution")
    h = down.add("pooling.MaxPool2d", down.port_in(), id="pool")
    down.port_out(down.block(h, "double_conv", channels="$channels", id="conv"))
    up = define_block(doc, "up", {"channels": 64}, "2x2 transposed convolution, concatenation "
                      "with the skip, then the double convolution")
    x, skip = up.port_in("x"), up.port_in("skip")
    h = up.add("conv.ConvTranspose2d", x, id="up", out_channels="$channels", kernel_size=2,
               stride=2)
    h = up.add("merge.Concat", skip, h, id="concat")
    up.port_out(up.block(h, "double_conv", channels="$channels", id="conv"))

    b = Net(doc)
    x, y = _segmentation_io(b)
    skips = [b.block(x, "double_conv", channels="$width", id="inc")]
    for level in range(1, 5):
        skips.append(b.block(skips[-1], "down", channels=f"={2 ** level}*width",
                             id=f"down{level}"))
    h = skips.pop()
    for level in range(1, 5):
        h = b.block([h, skips.pop()], "up", channels=f"={2 ** (4 - level)}*width",
                    id=f"up{level}")
    _finish(b, h, y)
    return doc


def _deconvnet_blocks(doc: Document) -> None:
    for name, conv in (("conv_bn", "conv.Conv2d"), ("deconv_bn", "conv.ConvTranspose2d")):
        unit = define_block(doc, name, {"channels": 64},
                            f"3x3 {'transposed ' * (name == 'deconv_bn')}convolution, "
                            "batch norm, ReLU")
        unit.port_out(unit.chain(unit.port_in(), (conv, {
            "out_channels": "$channels", "kernel_size": 3, "padding": 1}),
            "norm.BatchNorm2d", "activation.ReLU"))
    enc = define_block(doc, "encode", {"channels": 64, "convs": 2},
                       "convolutions, then max pooling that remembers where each maximum was")
    h = enc.block(enc.port_in(), "conv_bn", repeat="$convs", channels="$channels", id="convs")
    pool = enc.add("pooling.MaxPool2dWithIndices", h, id="pool")
    enc.port_out((pool, "y"), "y")
    enc.port_out((pool, "indices"), "indices")
    enc.port_out(h, "pre_pool")
    dec = define_block(doc, "decode", {"channels": 64, "out_channels": 64, "convs": 2},
                       "unpooling to the remembered positions, then transposed convolutions")
    x, indices, like = dec.port_in("x"), dec.port_in("indices"), dec.port_in("like")
    h = dec.add("pooling.MaxUnpool2d", x, indices, like, id="unpool")
    h = dec.block(h, "deconv_bn", repeat="=convs-1", channels="$channels", id="deconvs")
    dec.port_out(dec.block(h, "deconv_bn", channels="$out_channels", id="deconv_out"))


@template("deconvnet")
def deconvnet() -> Document:
    variables = {"in_channels": 1, "input_size": 32, "num_classes": 4, "width": 8,
                 "fc": 64, "fc_kernel": 1}
    doc = Document(
        variables=variables,
        presets=presets(variables, paper={"in_channels": 3, "input_size": 224,
                                          "num_classes": 21, "width": 64, "fc": 4096,
                                          "fc_kernel": 7}),
        meta=describe(
            "DeconvNet", "Noh 2015: a VGG-16 encoder mirrored by unpooling and transposed "
            "convolutions",
            "Each encoder stage max-pools with indices; the mirrored decoder stage unpools "
            "to exactly those positions (zeros elsewhere) and densifies the sparse map with "
            "3x3 transposed convolutions. Between them fc6 (a 7x7 convolution to 4096 "
            "channels), fc7 (1x1) and a 7x7 transposed convolution. Batch norm after every "
            "layer, as in the paper; 21 PASCAL VOC classes in the paper preset.",
            "Noh, Hong & Han 2015", "segmentation: unpooling, transposed convolutions"),
        training=training("segmentation", "shapes", size="$input_size"))
    _deconvnet_blocks(doc)
    b = Net(doc)
    x, y = _segmentation_io(b)
    stages = [(2, 1), (2, 2), (3, 4), (3, 8), (3, 8)]  # convs, width factor (VGG-16)
    h, memory = x, []
    for i, (convs, factor) in enumerate(stages, start=1):
        enc = b.block(h, "encode", convs=convs, channels=f"={factor}*width", id=f"enc{i}")
        memory.append(enc)
        h = (enc, "y")
    h = b.chain(h, ("conv.Conv2d", {"out_channels": "$fc", "kernel_size": "$fc_kernel",
                                    "id": "fc6"}), "norm.BatchNorm2d", "activation.ReLU",
                ("conv.Conv2d", {"out_channels": "$fc", "kernel_size": 1, "id": "fc7"}),
                "norm.BatchNorm2d", "activation.ReLU",
                ("conv.ConvTranspose2d", {"out_channels": "=8*width",
                                          "kernel_size": "$fc_kernel", "id": "deconv_fc6"}),
                "norm.BatchNorm2d", "activation.ReLU")
    outs = [1, 1, 2, 4, 8]  # each decoder stage ends at the width of the stage before it
    for i in range(5, 0, -1):
        convs, factor = stages[i - 1]
        enc = memory[i - 1]
        h = b.block([h, (enc, "indices"), (enc, "pre_pool")], "decode", convs=convs,
                    channels=f"={factor}*width", out_channels=f"={outs[i - 1]}*width",
                    id=f"dec{i}")
    _finish(b, h, y)
    return doc
