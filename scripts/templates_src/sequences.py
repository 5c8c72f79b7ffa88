"""Sequence models: recurrent classifiers (many-to-one), a stacked LSTM, an aligned tagger,
seq2seq, an image captioner (one-to-many), a character language model and two non-recurrent
sequence classifiers (1-D convolution, bag of words).

Sequences are batch first, (N, T, features) or integer tokens (N, T). Per-step logits (N, T, V)
are permuted to (N, V, T) for the cross-entropy against (N, T) targets.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, define_block, describe, presets, training

ROWS = {"steps": 8, "features": 8, "num_classes": 10, "hidden": 32}
TOKENS = {"vocab": 12, "steps": 8, "embedding": 16, "hidden": 48}


def _per_step_loss(b: Net, logits, y) -> None:
    """Cross-entropy wants classes in dim 1: (N, T, V) -> (N, V, T)."""
    b.add("loss.CrossEntropy", b.add("reshape.Permute", logits, dims=[2, 1]), y)


def _classify(b: Net, h, y) -> None:
    logits = b.add("linear.Linear", h, out_features="$num_classes", id="classifier")
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, y)


def _rows_input(b: Net) -> tuple[str, str]:
    return b.input(["$steps", "$features"], field="sequence"), b.target([], field="label")


def _recurrent_classifier(cell: str, title: str, source: str, what: str,
                          **schedule) -> Document:
    doc = Document(
        variables=dict(ROWS), presets=presets(ROWS),
        meta=describe(
            f"{title} classifier", f"many-to-one: {'an' if cell[0] in 'LR' else 'a'} {cell} "
            "reads a digit row by row, its last state is classified",
            f"The 8x8 digit is read as a sequence of 8 rows of 8 pixels. {what} The final "
            "hidden state summarizes the whole sequence and a linear layer classifies it "
            "(many-to-one).", source, "recurrent networks: many-to-one"),
        training=training("sequence", "digit-rows", **schedule))
    b = Net(doc)
    x, y = _rows_input(b)
    rnn = b.add(f"recurrent.{cell}", x, hidden_size="$hidden", id=cell.lower())
    _classify(b, (rnn, "last"), y)
    return doc


@template("rnn-classifier")
def rnn_classifier() -> Document:
    return _recurrent_classifier("RNN", "Elman RNN", "Elman 1990",
                                 "An Elman network updates h_t = tanh(W x_t + U h_(t-1) + b).")


@template("gru-classifier")
def gru_classifier() -> Document:
    return _recurrent_classifier("GRU", "GRU", "Cho et al. 2014",
                                 "A gated recurrent unit decides with update and reset gates "
                                 "how much of its state to keep at each step.")


@template("lstm-classifier")
def lstm_classifier() -> Document:
    return _recurrent_classifier("LSTM", "LSTM", "Hochreiter & Schmidhuber 1997",
                                 "An LSTM keeps a cell state guarded by input, forget and "
                                 "output gates, so gradients survive long sequences.",
                                 epochs=20, lr=1e-2)  # 84 % after 10 epochs at 2e-3, 97 % here


@template("deep-lstm")
def deep_lstm() -> Document:
    variables = {**ROWS, "layers": 3}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "Deep LSTM", "stacked LSTM layers: each reads the whole output sequence of the one "
            "below",
            "A deep recurrent network: one LSTM layer block repeated `layers` times, each "
            "layer's per-step outputs feeding the next, then the last step of the top layer "
            "is classified.", "Graves, Mohamed & Hinton 2013", "deep RNN with LSTM units"),
        training=training("sequence", "digit-rows"))
    layer = define_block(doc, "lstm_layer", {"hidden": 32}, "one LSTM layer, every step out")
    rnn = layer.add("recurrent.LSTM", layer.port_in(), hidden_size="$hidden", id="lstm")
    layer.port_out((rnn, "sequence"))
    b = Net(doc)
    x, y = _rows_input(b)
    h = b.block(x, "lstm_layer", repeat="$layers", hidden="$hidden", id="layers")
    _classify(b, b.add("recurrent.LastStep", h, id="last_step"), y)
    return doc


def _tokens(b: Net, field: str = "sequence") -> str:
    x = b.input(["$steps"], field=field, dtype="int64", port="tokens")
    return b.add("recurrent.Embedding", x, num_embeddings="$vocab",
                 embedding_dim="$embedding", id="embedding")


def _vocabulary_logits(b: Net, h, target_field: str) -> None:
    y = b.target(["$steps"], field=target_field)
    logits = b.add("linear.Linear", h, out_features="$vocab", id="classifier")
    b.output(logits, "logits")
    _per_step_loss(b, logits, y)


@template("lstm-tagger")
def lstm_tagger() -> Document:
    doc = Document(
        variables=dict(TOKENS), presets=presets(TOKENS),
        meta=describe(
            "LSTM tagger", "many-to-many, aligned: one label per input token from a "
            "bidirectional LSTM",
            "Each token is embedded, a bidirectional LSTM reads the sequence both ways and a "
            "linear layer labels every step (part-of-speech tagging is the classic use). The "
            "bundled task copies its input, so each label is the token at the same position.",
            "Graves & Schmidhuber 2005; Huang, Xu & Yu 2015", "recurrent networks: "
            "many-to-many"),
        training=training("sequence", "copy", steps="$steps", vocab="$vocab"))
    b = Net(doc)
    rnn = b.add("recurrent.LSTM", _tokens(b), hidden_size="$hidden", bidirectional=True,
                id="lstm")
    _vocabulary_logits(b, (rnn, "sequence"), "target")
    return doc


@template("seq2seq")
def seq2seq() -> Document:
    doc = Document(
        variables=dict(TOKENS), presets=presets(TOKENS),
        meta=describe(
            "Sequence to sequence", "encoder-decoder: an LSTM encodes the input into one state, "
            "another LSTM decodes it",
            "The encoder LSTM reads the whole input sequence; its final state is repeated at "
            "every step of a decoder LSTM, whose outputs are classified into tokens. The "
            "bundled task reverses the input, which needs the entire sequence before the first "
            "output.", "Sutskever, Vinyals & Le 2014; Cho et al. 2014",
            "recurrent networks: encoder-decoder, many-to-many"),
        training=training("sequence", "reverse", steps="$steps", vocab="$vocab"))
    b = Net(doc)
    enc = b.add("recurrent.LSTM", _tokens(b), hidden_size="$hidden", id="encoder")
    h = b.add("recurrent.RepeatSteps", (enc, "last"), steps="$steps", id="repeat")
    dec = b.add("recurrent.LSTM", h, hidden_size="$hidden", id="decoder")
    _vocabulary_logits(b, (dec, "sequence"), "target")
    return doc


@template("captioner")
def captioner() -> Document:
    variables = {"in_channels": 1, "input_size": 32, "width": 8, "vocab": 16, "steps": 6,
                 "hidden": 48}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "Image captioner", "one-to-many: a small CNN encodes the image, an LSTM decodes "
            "a caption",
            "A convolutional encoder turns the image into one vector, which is fed to every "
            "step of an LSTM decoder that outputs a distribution over the caption vocabulary "
            "at each step (show and tell, without attention).",
            "Vinyals, Toshev, Bengio & Erhan 2015", "recurrent networks: one-to-many, image "
            "captioning"),
        training=training("sequence", "shapes", size="$input_size", captions=True))
    b = Net(doc)
    x = b.input(["$in_channels", "$input_size", "$input_size"], field="image")
    pool = ("pooling.MaxPool2d", {})
    h = b.chain(x, ("conv.Conv2d", {"out_channels": "$width", "kernel_size": 3, "padding": 1}),
                "activation.ReLU", pool,
                ("conv.Conv2d", {"out_channels": "=2*width", "kernel_size": 3, "padding": 1}),
                "activation.ReLU", pool, "pooling.GlobalAvgPool",
                ("linear.Linear", {"out_features": "$hidden", "id": "image_code"}),
                "activation.ReLU", ("recurrent.RepeatSteps", {"steps": "$steps"}))
    dec = b.add("recurrent.LSTM", h, hidden_size="$hidden", id="decoder")
    _vocabulary_logits(b, (dec, "sequence"), "caption")
    return doc


@template("char-rnn")
def char_rnn() -> Document:
    variables = {"vocab": 96, "steps": 32, "embedding": 32, "hidden": 64, "layers": 2}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "Character RNN", "language model: an LSTM predicts the next character at every "
            "step",
            "Characters are embedded and read by a two-layer LSTM; at every step a linear "
            "layer gives logits over the next character. Sampling from it one character at a "
            "time writes text in the style of the corpus (Python docstrings here).",
            "Karpathy 2015; Graves 2013", "recurrent networks: language models"),
        training=training("sequence", "text", level="char", steps="$steps"))
    b = Net(doc)
    rnn = b.add("recurrent.LSTM", _tokens(b), hidden_size="$hidden", num_layers="$layers",
                id="lstm")
    _vocabulary_logits(b, (rnn, "sequence"), "next")
    return doc


@template("conv1d-sequence")
def conv1d_sequence() -> Document:
    variables = {**ROWS, "width": 16}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "1-D convolutional sequence classifier", "convolutions over time instead of "
            "recurrence, then global pooling",
            "The sequence's features become channels and 1-D convolutions slide over time; "
            "global average pooling makes the classifier independent of the length.",
            "Kim 2014; Bai, Kolter & Koltun 2018", "sequences without recurrence"),
        training=training("sequence", "digit-rows"))
    b = Net(doc)
    x, y = _rows_input(b)
    conv = {"kernel_size": 3, "padding": 1}
    h = b.chain(x, ("reshape.Permute", {"dims": [2, 1]}),
                ("conv.Conv1d", {"out_channels": "$width", **conv}), "activation.ReLU",
                ("conv.Conv1d", {"out_channels": "=2*width", **conv}), "activation.ReLU",
                "pooling.GlobalAvgPool")
    _classify(b, h, y)
    return doc


@template("bag-of-words")
def bag_of_words() -> Document:
    variables = {"vocab": 2000, "steps": 32, "embedding": 32, "num_classes": 4}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "Bag-of-words classifier", "averaged word embeddings and a linear classifier; "
            "word order is ignored",
            "Each word is embedded, the embeddings are averaged over the text (so the order "
            "of words is lost) and a linear layer classifies the average. Fast and a strong "
            "baseline for topic classification.", "Joulin, Grave, Bojanowski & Mikolov 2016",
            "word embeddings, text classification"),
        training=training("classification", "text", level="word", steps="$steps",
                          vocab="$vocab"))
    b = Net(doc)
    y = b.target([], field="label")
    h = b.chain(_tokens(b, "tokens"), ("reshape.Permute", {"dims": [2, 1]}),
                ("pooling.GlobalAvgPool", {"id": "average"}))
    _classify(b, h, y)
    return doc
