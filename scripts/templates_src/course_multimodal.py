"""Many-to-one networks of the course's recurrent part: visual question answering (two inputs, a
picture and a question) and sentiment classification (a sentence -> its polarity).

Both read word tokens padded on the left, so the recurrent layer's last state is the one right
after the last word.
"""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, describe, presets, training

VQA = {"input_size": 24, "width": 16, "vocab": 19, "steps": 6, "embedding": 16, "hidden": 64,
       "num_classes": 11}
SENTIMENT = {"vocab": 32, "steps": 16, "embedding": 16, "hidden": 32, "num_classes": 2}


def _classifier(b: Net, h, hidden: str | None = None) -> None:
    """Optional hidden layer, then logits against the ``label`` field."""
    y = b.target([], field="label")
    if hidden:
        h = b.chain(h, ("linear.Linear", {"out_features": hidden, "id": "answer_hidden"}),
                    "activation.ReLU")
    logits = b.add("linear.Linear", h, out_features="$num_classes", id="classifier")
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, y)


def _question_code(b: Net, field: str, port: str) -> str:
    """Tokens -> Embedding -> LSTM -> the last step's state (many-to-one)."""
    x = b.input(["$steps"], field=field, dtype="int64", port=port, id=port)
    e = b.add("recurrent.Embedding", x, num_embeddings="$vocab", embedding_dim="$embedding",
              id="embedding")
    return (b.add("recurrent.LSTM", e, hidden_size="$hidden", id="lstm"), "last")


@template("vqa")
def vqa() -> Document:
    doc = Document(
        variables=dict(VQA), presets=presets(VQA),
        meta=describe(
            "Visual question answering (toy)", "two inputs: a CNN reads the picture, an LSTM "
            "the question; their codes are joined and classified into answers",
            "A small CNN turns the picture of coloured shapes into one vector; the question's "
            "words are embedded and read by an LSTM whose last state is a vector of the same "
            "size. The two codes are concatenated (Antol et al. multiply them; on this toy "
            "task concatenation learns faster) and an MLP, which lets the question select "
            "the features of the picture that matter, classifies the result into the answer "
            "words: colours, shapes and "
            "counts. The bundled data is generated ('what colour is the square ?', 'how "
            "many circles ?').", "Antol et al. 2015 (VQA)", "recurrent networks: many-to-one, "
            "visual question answering"),
        training=training("classification", "vqa", size="$input_size", steps="$steps",
                          epochs=20, lr=3e-3))
    b = Net(doc)
    x = b.input([3, "$input_size", "$input_size"], field="image", port="image", id="image")
    conv = {"kernel_size": 3, "padding": 1}
    # batch norm after each convolution: without it the picture path stays silent for
    # epochs and the network answers from the question alone (about 35 %)
    layer = lambda width: [("conv.Conv2d", {"out_channels": width, **conv}),
                           "norm.BatchNorm2d", "activation.ReLU"]
    pool = ("pooling.MaxPool2d", {})
    picture = b.chain(x, *layer("$width"), pool, *layer("=2*width"), pool, *layer("=2*width"),
                      "pooling.GlobalAvgPool",
                      ("linear.Linear", {"out_features": "$hidden", "id": "image_code"}))
    fused = b.add("merge.Concat", picture, _question_code(b, "question", "question"), id="fuse")
    _classifier(b, fused, hidden="$hidden")
    return doc


@template("sentiment")
def sentiment() -> Document:
    doc = Document(
        variables=dict(SENTIMENT), presets=presets(SENTIMENT),
        meta=describe(
            "Sentiment classifier", "many-to-one text: an LSTM reads a review word by word, "
            "its last state says negative or positive",
            "Each word is embedded and an LSTM reads the sentence in order; its last state "
            "summarizes the sentence and a linear layer classifies it. Word order matters "
            "here: in the bundled generated reviews 'not' flips the adjective after it and "
            "in 'A but B' the clause after 'but' decides, which a bag of words cannot see. "
            "The Lab's word attribution shows which words drove a prediction.",
            "Hochreiter & Schmidhuber 1997; Socher et al. 2013 (sentiment treebank)",
            "recurrent networks: many-to-one, sentiment analysis"),
        training=training("classification", "sentiment", steps="$steps", epochs=8, lr=5e-3))
    b = Net(doc)
    _classifier(b, _question_code(b, "tokens", "tokens"))
    return doc
