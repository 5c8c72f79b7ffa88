"""The conditional GAN of the course (Mirza & Osindero 2014): a GAN told which digit to draw.

Two networks, ``generator`` and ``discriminator``, each with a second Input: the class label
(int64), looked up in an Embedding (the same as a one-hot vector times a weight matrix, which is
how the paper feeds it) and concatenated with the noise code in the generator and with the
flattened image features in the discriminator. The ``conditional-gan`` recipe feeds the real
labels with the real images and asks the generator for the same labels.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, describe, presets, training

PIXELS = "=input_size*input_size"
LEAKY = ("activation.LeakyReLU", {"negative_slope": 0.2})


def _label(b: Net, width: str, activation) -> str:
    """The class label as a learned vector (a one-hot row of the paper's first layer)."""
    y = b.input([], field="label", port="label", dtype="int64", id="label")
    return b.chain(y, ("recurrent.Embedding", {"num_embeddings": "$classes",
                                               "embedding_dim": width, "id": "label_embed"}),
                   activation)


def _generator(doc: Document) -> None:
    g = Net(doc, "generator")
    z = g.input(["$nz"], field="noise", port="z", id="z")
    hz = g.chain(z, ("linear.Linear", {"out_features": "$g_noise", "id": "noise_fc"}),
                 "activation.ReLU")
    hy = _label(g, "$g_label", "activation.ReLU")
    h = g.chain(g.add("merge.Concat", hz, hy, id="joint"),
                ("linear.Linear", {"out_features": "$g_hidden", "id": "joint_fc"}),
                # batch norm keeps the generator from collapsing onto one image per class
                "norm.BatchNorm1d", "activation.ReLU",
                ("linear.Linear", {"out_features": PIXELS, "id": "to_pixels"}), "activation.Tanh",
                ("reshape.Reshape", {"shape": [1, "$input_size", "$input_size"]}))
    g.output(h, "image")


def _discriminator(doc: Document) -> None:
    d = Net(doc, "discriminator")
    x = d.input([1, "$input_size", "$input_size"], field="image", port="image", id="image")
    hx = d.chain(x, "reshape.Flatten", ("linear.Linear", {"out_features": "$d_hidden",
                                                          "id": "image_fc"}), LEAKY)
    hy = _label(d, "$d_label", LEAKY)
    h = d.chain(d.add("merge.Concat", hx, hy, id="joint"),
                ("norm.Dropout", {"p": "$dropout"}),
                ("linear.Linear", {"out_features": "$d_hidden", "id": "joint_fc"}), LEAKY,
                ("linear.Linear", {"out_features": 1, "id": "score_fc"}))
    d.output(h, "score")


@template("cgan")
def cgan() -> Document:
    variables = {"input_size": 8, "classes": 10, "nz": 16, "g_noise": 64, "g_label": 32,
                 "g_hidden": 128, "d_hidden": 128, "d_label": 16, "dropout": 0.2}
    doc = Document(
        networks={}, variables=variables,
        presets=presets(variables, paper={"input_size": 28, "nz": 100, "g_noise": 200,
                                          "g_label": 1000, "g_hidden": 1200, "d_hidden": 240,
                                          "d_label": 50, "dropout": 0.5}),
        meta=describe(
            "Conditional GAN", "Mirza & Osindero 2014: generator and discriminator both "
            "read the class label, so you can ask for a chosen digit",
            "A GAN whose two networks are told the class. The generator maps noise z and the "
            "label y (each through its own layer) to a joint layer and then to an image; the "
            "discriminator scores an image together with a label, so a well-drawn digit of "
            "the wrong class is still 'fake'. The label enters through an Embedding, which "
            "equals the paper's one-hot input times a weight matrix. Samples are shown one "
            "row per class; the Lab's 'Generate a class' tool draws any chosen digit. Paper "
            "preset: the MNIST sizes of the paper (z 100 -> 200, y -> 1000, joint 1200 -> "
            "784; discriminator 240 / 50 / 240 units, dropout 0.5) with LeakyReLU in place "
            "of the paper's maxout units and batch norm on the generator's joint layer, "
            "which keeps it from drawing one image per class.",
            "Mirza & Osindero 2014, Conditional Generative Adversarial Nets; "
            "Goodfellow et al. 2014",
            "generative adversarial networks, conditional generation"),
        training={**training("conditional-gan", "digits", lr=5e-4, schedule="constant",
                             epochs=20, batch_size=32, size="$input_size", range=[-1, 1]),
                  "optimizer": {"name": "adam", "lr": 5e-4, "betas": [0.5, 0.999]},
                  "networks": {"generator": "generator", "discriminator": "discriminator"},
                  "noise": {"input": "z", "distribution": "normal"}})
    _generator(doc)
    _discriminator(doc)
    return doc
