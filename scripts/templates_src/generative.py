"""Generative models: variational auto-encoders (dense and convolutional) and DCGAN.

A VAE's two loss terms are nodes: the reconstruction error and ``KLStandardNormal`` fed by the
mu / logvar heads. The reconstruction MSE is weighted by the pixel count so it is a per-sample
sum, on the same scale as the per-sample KL sum (a mean would let the KL term win and the
decoder ignore the code). DCGAN is a document with two networks, ``generator`` and
``discriminator``, that the adversarial recipe steps with two optimizers.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, define_block, describe, presets, training

IMAGE = [1, "$input_size", "$input_size"]
PIXELS = "=input_size*input_size"


def _latent(b: Net, h) -> tuple[str, str, str]:
    """mu and logvar heads, the KL term, and the reparameterized sample z."""
    mu = b.add("linear.Linear", h, out_features="$latent", id="mu")
    logvar = b.add("linear.Linear", h, out_features="$latent", id="logvar")
    b.add("loss.KLStandardNormal", mu, logvar, id="kl")
    b.output(mu, "mu")
    return mu, logvar, b.add("generative.Reparameterize", mu, logvar, id="z")


def _vae_doc(variables, meta, paper=None) -> Document:
    return Document(variables=variables,
                    presets=presets(variables, **({"paper": paper} if paper else {})),
                    meta=meta, training=training("vae", "digits", size="$input_size"))


def _reconstruct(b: Net, h, x) -> None:
    b.output(h, "reconstruction")
    b.add("loss.MSE", h, x, weight=PIXELS, id="reconstruction_loss")


@template("vae")
def vae() -> Document:
    doc = _vae_doc(
        {"input_size": 8, "hidden": 64, "latent": 4}, describe(
            "Variational auto-encoder", "encodes to a Gaussian, samples it with the "
            "reparameterization trick, decodes; reconstruction + KL loss",
            "The encoder outputs the mean and log-variance of q(z|x); z = mu + eps * "
            "exp(logvar/2) keeps sampling differentiable; the decoder rebuilds the image. "
            "The loss is the reconstruction error plus KL(q(z|x) || N(0, I)), so decoding "
            "samples of N(0, I) generates new images. Paper preset: the MNIST network of "
            "the paper (500 hidden units, 20 latent dimensions).",
            "Kingma & Welling 2013", "variational auto-encoders, generative models"),
        paper={"input_size": 28, "hidden": 500, "latent": 20})
    b = Net(doc)
    x = b.input(IMAGE, field="image")
    h = b.chain(x, "reshape.Flatten", ("linear.Linear", {"out_features": "$hidden",
                                                          "id": "encoder"}), "activation.ReLU")
    _, _, z = _latent(b, h)
    h = b.chain(z, ("linear.Linear", {"out_features": "$hidden", "id": "decoder"}),
                "activation.ReLU", ("linear.Linear", {"out_features": PIXELS}),
                "activation.Sigmoid", ("reshape.Reshape", {"shape": IMAGE}))
    _reconstruct(b, h, x)
    return doc


@template("conv-vae")
def conv_vae() -> Document:
    doc = _vae_doc(
        {"input_size": 32, "width": 8, "latent": 8}, describe(
            "Convolutional VAE", "a VAE whose encoder and decoder are strided and "
            "transposed convolutions",
            "Two stride-2 convolutions encode the image, dense heads give mu and logvar, the "
            "sample z is projected back to a feature map that two transposed convolutions "
            "upsample to the image. Same loss as the VAE: reconstruction + KL.",
            "Kingma & Welling 2013", "variational auto-encoders, transposed convolutions"))
    b = Net(doc)
    x = b.input(IMAGE, field="image")
    down = {"kernel_size": 3, "stride": 2, "padding": 1}
    up = {"kernel_size": 4, "stride": 2, "padding": 1}
    h = b.chain(x, ("conv.Conv2d", {"out_channels": "$width", **down}), "activation.ReLU",
                ("conv.Conv2d", {"out_channels": "=2*width", **down}), "activation.ReLU",
                "reshape.Flatten")
    _, _, z = _latent(b, h)
    quarter = "=input_size//4"
    h = b.chain(z, ("linear.Linear", {"out_features": "=2*width*(input_size//4)**2",
                                      "id": "decoder"}), "activation.ReLU",
                ("reshape.Reshape", {"shape": ["=2*width", quarter, quarter]}),
                ("conv.ConvTranspose2d", {"out_channels": "$width", **up}), "activation.ReLU",
                ("conv.ConvTranspose2d", {"out_channels": 1, **up}), "activation.Sigmoid")
    _reconstruct(b, h, x)
    return doc


def _dcgan_blocks(doc: Document) -> None:
    stride2 = {"out_channels": "$channels", "kernel_size": 4, "stride": 2, "padding": 1,
               "bias": False}
    up = define_block(doc, "up", {"channels": 64},
                      "4x4 stride-2 transposed convolution, batch norm, ReLU: doubles the size")
    up.port_out(up.chain(up.port_in(), ("conv.ConvTranspose2d", stride2), "norm.BatchNorm2d",
                         "activation.ReLU"))
    down = define_block(doc, "down", {"channels": 64},
                        "4x4 stride-2 convolution, batch norm, LeakyReLU 0.2: halves the size")
    down.port_out(down.chain(down.port_in(), ("conv.Conv2d", stride2), "norm.BatchNorm2d",
                             ("activation.LeakyReLU", {"negative_slope": 0.2})))


@template("dcgan")
def dcgan() -> Document:
    variables = {"nz": 16, "features": 16, "channels": 1, "base": 2, "input_size": "=16*base"}
    doc = Document(
        networks={}, variables=variables,
        presets=presets(variables, paper={"nz": 100, "features": 64, "channels": 3,
                                          "base": 4}),
        meta=describe(
            "DCGAN", "Radford 2015: a transposed-convolution generator against a "
            "convolutional discriminator",
            "Two networks trained against each other: the generator maps a noise vector "
            "through stride-2 transposed convolutions (batch norm, ReLU, tanh output) to an "
            "image; the discriminator (stride-2 convolutions, LeakyReLU 0.2, batch norm) "
            "scores real against generated images. The discriminator outputs a logit: the "
            "sigmoid is part of the recipe's binary cross-entropy. The paper preset is the "
            "PyTorch DCGAN tutorial's 64x64 network: generator 3,576,704 and discriminator "
            "2,765,568 parameters.",
            "Radford, Metz & Chintala 2015; Goodfellow et al. 2014",
            "generative adversarial networks"),
        training={**training("gan", "digits", lr=2e-4, schedule="constant",
                             size="$input_size", range=[-1, 1]),
                  "optimizer": {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]},
                  "networks": {"generator": "generator", "discriminator": "discriminator"},
                  "noise": {"input": "z", "distribution": "normal"}})
    _dcgan_blocks(doc)
    g = Net(doc, "generator")
    z = g.input(["$nz", 1, 1], field="noise", port="z")
    h = g.chain(z, ("conv.ConvTranspose2d", {"out_channels": "=8*features",
                                             "kernel_size": "$base", "bias": False}),
                "norm.BatchNorm2d", "activation.ReLU")
    for factor in (4, 2, 1):
        h = g.block(h, "up", channels=f"={factor}*features", id=f"up{factor}")
    h = g.chain(h, ("conv.ConvTranspose2d", {"out_channels": "$channels", "kernel_size": 4,
                                             "stride": 2, "padding": 1, "bias": False}),
                "activation.Tanh")
    g.output(h, "image")
    d = Net(doc, "discriminator")
    x = d.input(["$channels", "$input_size", "$input_size"], field="image", port="image")
    h = d.chain(x, ("conv.Conv2d", {"out_channels": "$features", "kernel_size": 4,
                                    "stride": 2, "padding": 1, "bias": False}),
                ("activation.LeakyReLU", {"negative_slope": 0.2}))
    for factor in (2, 4, 8):
        h = d.block(h, "down", channels=f"={factor}*features", id=f"down{factor}")
    h = d.chain(h, ("conv.Conv2d", {"out_channels": 1, "kernel_size": "$base",
                                    "bias": False}), "reshape.Flatten")
    d.output(h, "score")
    return doc
