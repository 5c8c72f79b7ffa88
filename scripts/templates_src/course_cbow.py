"""word2vec's continuous bag-of-words (CBOW), the mirror of the skip-gram template: the words
around a centre predict it. Same corpus, same vocabulary, same nearest-neighbour samples."""
from __future__ import annotations

from studio.core.document import Document
from templates_src import template
from templates_src.common import Net, describe, presets, training


@template("cbow")
def cbow() -> Document:
    variables = {"vocab": 2000, "embedding": 32, "window": 5}
    doc = Document(
        variables=variables, presets=presets(variables),
        meta=describe(
            "word2vec (CBOW)", "continuous bag-of-words: the averaged embeddings of the "
            "surrounding words predict the word in the middle",
            "CBOW reads the window words before and after a position, embeds them with one "
            "shared table, averages the vectors (word order inside the window is lost, hence "
            "bag of words) and maps the average by a linear layer to logits over the "
            "vocabulary, trained to predict the centre word. One example per position "
            "instead of skip-gram's one per word pair, so it trains faster; the rows of "
            "`embedding` become the word vectors. Full softmax here; the paper uses "
            "hierarchical softmax or negative sampling.",
            "Mikolov, Chen, Corrado & Dean 2013", "word embeddings, sliding-window context"),
        training={**training("cbow", "text", level="word", mode="cbow", window="$window",
                             subsample=1e-3, count=300000, vocab="$vocab", batch_size=128,
                             epochs=8),
                  # One example per position gives each row of the table 2·window times
                  # fewer updates than skip-gram's pairs: decoupled weight decay shrinks the
                  # N(0, 1) starting vectors so that what the contexts taught decides the
                  # neighbours (with plain Adam they stay near their random start).
                  "optimizer": {"name": "adamw", "lr": 2e-2, "weight_decay": 0.3}})
    b = Net(doc)
    context = b.input(["=2*window"], field="context", dtype="int64", port="context",
                      id="context")
    h = b.add("recurrent.Embedding", context, num_embeddings="$vocab",
              embedding_dim="$embedding", id="embedding")
    h = b.chain(h, ("reshape.Permute", {"dims": [2, 1]}),  # (N, 2w, D) -> (N, D, 2w)
                ("pooling.GlobalAvgPool", {"id": "average"}))
    logits = b.add("linear.Linear", h, out_features="$vocab", bias=False, id="center_logits")
    b.output(logits, "logits")
    b.add("loss.CrossEntropy", logits, b.target([], field="center", id="center"))
    return doc
