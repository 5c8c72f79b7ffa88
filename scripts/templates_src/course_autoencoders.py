"""Auto-encoders as the course writes them: the mirror decoder with tied weights, and the
stacked auto-encoder pretrained greedily, one encoder/decoder pair at a time."""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, describe
from templates_src.unsupervised import IMAGE, PIXELS, _reconstruction_doc, stacked_autoencoder


@template("tied-autoencoder")
def tied_autoencoder() -> Document:
    doc = _reconstruction_doc(
        {"input_size": 8, "code": 24}, describe(
            "Tied-weight auto-encoder", "the decoder reuses the encoder's weight matrix, "
            "transposed",
            "The course's auto-encoder: the encoder f(x) = σ(Wx) and its mirror decoder "
            "g(z) = σ(Wᵀz + b). The decoder is a Tied Linear node whose tied_to param names "
            "the encoder: it owns only its bias, so the network has one weight matrix (half "
            "the parameters of the untied auto-encoder) and every gradient of the "
            "reconstruction error reaches that one matrix.",
            "Hinton & Salakhutdinov 2006; Vincent, Larochelle, Bengio & Manzagol 2008",
            "auto-encoders: encoder f(x) = σ(Wx), mirror decoder g(z) = σ(Wᵀz)"))
    # sigmoid units on both sides learn slowly at Adam's usual 2e-3 (14.7 dB after 3 epochs
    # at 2e-2, 13.0 at 1e-2)
    doc.training["optimizer"]["lr"] = 2e-2
    b = Net(doc)
    x = b.input(IMAGE, field="image")
    code = b.chain(x, "reshape.Flatten",
                   ("linear.Linear", {"out_features": "$code", "id": "encoder"}),
                   ("activation.Sigmoid", {"id": "code_sigmoid"}))
    b.output(code, "code")
    h = b.chain(code, ("linear.TiedLinear", {"out_features": PIXELS, "tied_to": "encoder",
                                             "id": "decoder"}),
                "activation.Sigmoid", ("reshape.Reshape", {"shape": IMAGE}))
    b.output(h, "reconstruction")
    b.add("loss.MSE", h, x, id="reconstruction_loss")
    return doc


@template("stacked-autoencoder-layerwise")
def stacked_autoencoder_layerwise() -> Document:
    doc = stacked_autoencoder()
    doc.meta = describe(
        "Stacked auto-encoder, greedy layer-wise pretraining", "each encoder/decoder pair "
        "first learns alone on the codes of the pairs below it, then the whole stack is "
        "fine-tuned",
        "The stacked auto-encoder trained as deep networks were before end-to-end training "
        "worked: the layerwise recipe trains the outer pair (first encoder, last decoder) as "
        "a shallow auto-encoder of the image, then the next pair as an auto-encoder of the "
        "first pair's code, and so on inwards (training.stage_epochs epochs each), then "
        "fine-tunes the whole stack end to end for the remaining epochs. The run's log (the "
        "CLI, the dashboard's Log tab) says which stage runs.",
        "Hinton & Salakhutdinov 2006; Bengio, Lamblin, Popovici & Larochelle 2007",
        "auto-encoders: deep, greedy layer-wise pretraining")
    # 4 pairs x 2 epochs of pretraining, 6 of fine-tuning; at a constant 5e-3 the digits reach
    # 15.1 dB val PSNR where the same stack trained end to end for 14 epochs reaches 12.0
    doc.training = {**doc.training, "recipe": "layerwise", "stage_epochs": 2, "epochs": 14,
                    "optimizer": {"name": "adam", "lr": 5e-3}, "schedule": {"name": "constant"}}
    return doc
