"""Unsupervised learning: auto-encoders (bottleneck, sparse, denoising, convolutional, stacked),
skip-gram word embeddings and the restricted Boltzmann machine.

An auto-encoder's loss compares its reconstruction with its own (clean) input, so these graphs
need no Target node: the Input feeds both the encoder and the loss.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, define_block, describe, presets, training

IMAGE = [1, "$input_size", "$input_size"]
PIXELS = "=input_size*input_size"


def _reconstruction_doc(variables: dict, meta: dict, paper: dict | None = None,
                        recipe: str = "reconstruction") -> Document:
    return Document(variables=variables,
                    presets=presets(variables, **({"paper": paper} if paper else {})),
                    meta=meta, training=training(recipe, "digits", size="$input_size"))


def _decode_image(b: Net, h, x, weight=1.0) -> str:
    """Linear to every pixel, sigmoid, back to image shape; MSE against the input."""
    h = b.chain(h, ("linear.Linear", {"out_features": PIXELS, "id": "decoder"}),
                "activation.Sigmoid", ("reshape.Reshape", {"shape": IMAGE}))
    b.output(h, "reconstruction")
    b.add("loss.MSE", h, x, weight=weight, id="reconstruction_loss")
    return h


def _dense_autoencoder(b: Net, x, code_activation: str = "activation.ReLU") -> str:
    h = b.chain(x, "reshape.Flatten", ("linear.Linear", {"out_features": "$code",
                                                          "id": "encoder"}), code_activation)
    b.output(h, "code")
    _decode_image(b, h, x)
    return h


@template("autoencoder")
def autoencoder() -> Document:
    doc = _reconstruction_doc(
        {"input_size": 8, "code": 16}, describe(
            "Auto-encoder", "a one-layer encoder squeezes the image into a small code, a "
            "decoder rebuilds it",
            "Trained to reproduce its input through a bottleneck narrower than the input, the "
            "network must find a compact code (with linear units it learns the PCA subspace). "
            "The reconstruction is compared with the input by mean squared error.",
            "Rumelhart, Hinton & Williams 1986; Bourlard & Kamp 1988",
            "auto-encoders, unsupervised learning"))
    b = Net(doc)
    _dense_autoencoder(b, b.input(IMAGE, field="image"))
    return doc


@template("sparse-autoencoder")
def sparse_autoencoder() -> Document:
    doc = _reconstruction_doc(
        {"input_size": 8, "code": 128, "sparsity": 1e-3}, describe(
            "Sparse auto-encoder", "an over-complete code kept sparse by an L1 penalty on its "
            "activations",
            "The code is wider than the input, so the bottleneck is not its size: an L1 "
            "penalty on the code's activations (a loss node on the graph) lets only a few "
            "units fire for each input, which yields localized, edge-like features.",
            "Ng 2011; Ranzato et al. 2007", "auto-encoders: sparsity"))
    b = Net(doc)
    code = _dense_autoencoder(b, b.input(IMAGE, field="image"))
    b.add("loss.L1ActivityPenalty", code, weight="$sparsity", id="sparsity_penalty")
    return doc


@template("denoising-autoencoder")
def denoising_autoencoder() -> Document:
    doc = _reconstruction_doc(
        {"input_size": 8, "code": 32, "noise": 0.3}, describe(
            "Denoising auto-encoder", "rebuilds the clean image from a noisy copy",
            "Gaussian noise is added to the input while training (a GaussianNoise node, "
            "identity at inference) and the reconstruction is compared with the clean input, "
            "so the code must capture the structure of the data rather than copy pixels.",
            "Vincent, Larochelle, Bengio & Manzagol 2008", "auto-encoders: denoising"))
    b = Net(doc)
    x = b.input(IMAGE, field="image")
    noisy = b.add("generative.GaussianNoise", x, std="$noise", id="noise")
    h = b.chain(noisy, "reshape.Flatten", ("linear.Linear", {"out_features": "$code",
                                                              "id": "encoder"}),
                "activation.ReLU")
    b.output(h, "code")
    _decode_image(b, h, x)
    return doc


@template("conv-autoencoder")
def conv_autoencoder() -> Document:
    doc = _reconstruction_doc(
        {"input_size": 32, "width": 8}, describe(
            "Convolutional auto-encoder", "strided convolutions down to a feature map, "
            "transposed convolutions back up",
            "Two stride-2 convolutions encode the image into a small feature map; two stride-2 "
            "transposed convolutions decode it to the original size. Weight sharing keeps it "
            "far smaller than a dense auto-encoder of the same code size.",
            "Masci, Meier, Ciresan & Schmidhuber 2011", "auto-encoders, transposed "
            "convolutions"))
    b = Net(doc)
    x = b.input(IMAGE, field="image")
    down = {"kernel_size": 3, "stride": 2, "padding": 1}
    up = {"kernel_size": 4, "stride": 2, "padding": 1}
    code = b.chain(x, ("conv.Conv2d", {"out_channels": "$width", **down}), "activation.ReLU",
                   ("conv.Conv2d", {"out_channels": "=2*width", **down, "id": "code_conv"}),
                   "activation.ReLU")
    b.output(code, "code")
    h = b.chain(code, ("conv.ConvTranspose2d", {"out_channels": "$width", **up}),
                "activation.ReLU", ("conv.ConvTranspose2d", {"out_channels": 1, **up}),
                "activation.Sigmoid")
    b.output(h, "reconstruction")
    b.add("loss.MSE", h, x, id="reconstruction_loss")
    return doc


@template("stacked-autoencoder")
def stacked_autoencoder() -> Document:
    doc = _reconstruction_doc(
        {"input_size": 8, "h1": 48, "h2": 32, "h3": 24, "code": 8}, describe(
            "Stacked (deep) auto-encoder", "several encoder layers down to a small code and "
            "their mirror image back up",
            "Dense layers of decreasing width encode, the mirrored stack decodes; the paper "
            "preset is Hinton & Salakhutdinov's 784-1000-500-250-30 network (ReLU units here "
            "instead of the paper's RBM-pretrained logistic units, so it trains end to end).",
            "Hinton & Salakhutdinov 2006; Bengio et al. 2007", "auto-encoders: deep"),
        paper={"input_size": 28, "h1": 1000, "h2": 500, "h3": 250, "code": 30})
    dense = define_block(doc, "dense", {"units": 64}, "a fully connected layer and a ReLU")
    dense.port_out(dense.chain(dense.port_in(), ("linear.Linear", {"out_features": "$units"}),
                               "activation.ReLU"))
    b = Net(doc)
    x = b.input(IMAGE, field="image")
    h = b.add("reshape.Flatten", x)
    for i, width in enumerate(("$h1", "$h2", "$h3"), start=1):
        h = b.block(h, "dense", units=width, id=f"encoder{i}")
    code = b.add("linear.Linear", h, out_features="$code", id="code")
    b.output(code, "code")
    h = code
    for i, width in enumerate(("$h3", "$h2", "$h1"), start=1):
        h = b.block(h, "dense", units=width, id=f"decoder{i}")
    _decode_image(b, h, x)
    return doc


@template("word2vec")
def word2vec() -> Document:
    variables = {"vocab": 2000, "embedding": 32}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "word2vec (skip-gram)", "predicts the words around a word; the embedding table "
            "becomes the word vectors",
            "Skip-gram: the centre word's embedding is mapped by a linear layer to logits "
            "over the vocabulary and trained to predict each word in a window around it. "
            "Words used in similar contexts end with similar vectors (the rows of "
            "`embedding`). Full softmax here; the paper speeds it up with negative sampling.",
            "Mikolov, Chen, Corrado & Dean 2013", "word embeddings, sliding-window context"),
        # As in the paper: a wider window, frequent words subsampled, every pair of the
        # corpus (about 200k); a high learning rate so the N(0, 1) initial vectors move.
        training=training("skip-gram", "text", level="word", window=5, subsample=1e-3,
                          count=300000, vocab="$vocab", batch_size=256, lr=2e-2, epochs=6))
    b = Net(doc)
    centre = b.input([], field="center", dtype="int64", port="center")
    context = b.target([], field="context")
    h = b.add("recurrent.Embedding", centre, num_embeddings="$vocab",
              embedding_dim="$embedding", id="embedding")
    logits = b.add("linear.Linear", h, out_features="$vocab", bias=False, id="context_logits")
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, context)
    return doc


@template("rbm")
def rbm() -> Document:
    variables = {"input_size": 8, "hidden": 32}
    doc = Document(
        variables=variables,
        presets=presets(variables, paper={"input_size": 28, "hidden": 500}),
        meta=describe(
            "Restricted Boltzmann machine", "visible and hidden binary units, trained by "
            "contrastive divergence",
            "An energy model with no connections inside a layer: p(h=1|v) = sigmoid(W v + c) "
            "is the graph (visible -> Linear -> Sigmoid). It is not trained by "
            "back-propagation of a loss but with the contrastive-divergence recipe (CD-k): "
            "sample h from the data, reconstruct v with the transposed weights "
            "p(v=1|h) = sigmoid(W^T h + b), sample h again, and move W towards the data "
            "correlations and away from the reconstruction's. The visible bias b lives in "
            "the recipe. Paper preset: the first RBM of Hinton, Osindero & Teh 2006 (784 visible, "
            "500 hidden units).", "Smolensky 1986; Hinton 2002; Hinton, Osindero & Teh 2006",
            "energy-based models, RBM"),
        training={**training("contrastive-divergence", "digits", optimizer="sgd", lr=0.05,
                             schedule="constant", size="$input_size", binarize=True),
                  "gibbs_steps": 1})
    b = Net(doc)
    v = b.add("reshape.Flatten", b.input(IMAGE, field="image", port="visible"))
    h = b.add("linear.Linear", v, out_features="$hidden", id="hidden")
    b.output(b.add("activation.Sigmoid", h, id="p_hidden"), "hidden")
    return doc
