"""Fully connected layers as convolutions: a digit classifier whose head is convolutional, so
the same weights classify a 16x16 digit and map the classes over a larger picture."""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, describe, presets, training


@template("fc-as-conv")
def fc_as_conv() -> Document:
    # No padding anywhere: each class-map position then sees exactly the 16x16 window the
    # network was trained on (zero padding would let a window's border see its neighbours).
    # window: the 5x5 map a 16x16 digit leaves, a fixed number (not derived from input_size), so
    # `--var input_size=32` runs the trained weights over a larger picture
    variables = {"in_channels": 1, "input_size": 16, "window": 5, "fc_size": 64,
                 "num_classes": 10}
    doc = Document(
        variables=variables,
        presets=presets(variables),
        meta=describe(
            "Fully connected layers as convolutions", "a digit classifier whose fully "
            "connected head is written as convolutions: train on 16x16 digits, get a class "
            "map on any larger picture",
            "Two 3x3 convolutions and a max pooling leave a 32@5x5 feature map. The first "
            "fully connected layer is a 5x5 convolution over it (64 channels: the same dot "
            "products as Flatten + Linear), the classifier a 1x1 convolution: at 16x16 they "
            "give one position, whose average (GlobalAvgPool) is the logits the cross-entropy "
            "trains. On a larger input the convolutions slide: the class_map output scores "
            "every 16x16 window, 2 pixels apart, in one pass (input_size 32, a picture of four "
            "digits, gives a 9x9 map whose corners name them). The edit Convert to "
            "convolutions (canvas menu, `netstudio fc-to-conv`) does the same to a trained "
            "classifier's Flatten -> Linear head.",
            "Sermanet et al. 2014 (OverFeat); Long, Shelhamer & Darrell 2015 (FCN)",
            "fully convolutional nets, FC as convolutions, 1x1 convolution"),
        training=training("classification", "digits", epochs=10, size="$input_size",
                          channels="$in_channels"))
    b = Net(doc)
    x = b.input(["$in_channels", "$input_size", "$input_size"], field="image")
    y = b.target([], field="label")
    h = b.chain(x, ("conv.Conv2d", {"out_channels": 16, "kernel_size": 3}), "activation.ReLU",
                ("pooling.MaxPool2d", {"kernel_size": 2, "stride": 2}),
                ("conv.Conv2d", {"out_channels": 32, "kernel_size": 3}), "activation.ReLU")
    h = b.add("conv.Conv2d", h, id="fc1", out_channels="$fc_size", kernel_size="$window")
    h = b.add("activation.ReLU", h)
    class_map = b.add("conv.Conv2d", h, id="classifier", out_channels="$num_classes",
                      kernel_size=1)
    logits = b.add("pooling.GlobalAvgPool", class_map)
    b.output(logits, "logits")
    b.output(class_map, "class_map")
    b.add("loss.CrossEntropy", logits, y)
    return doc
