"""Word-embedding recipes beside skip-gram: CBOW (continuous bag-of-words).

CBOW is word2vec's other model: the embeddings of the words around a centre are averaged and
the average predicts the centre word. The step is the supervised one (the graph holds the
averaging and the loss), so the recipe differs from skip-gram only in the examples it asks of
the ``text`` dataset (one context window per centre, not one pair per word) and keeps its
nearest-neighbour samples: the first Embedding's rows are the word vectors in both models.
"""
from __future__ import annotations

from studio.train.recipes.supervised import SkipGram


class CBOW(SkipGram):
    """word2vec's continuous bag-of-words: context words' mean embedding -> the centre word."""

    kind = "cbow"
    aliases = ("continuous-bag-of-words",)

    @classmethod
    def dataset_spec(cls, spec: dict) -> dict:
        if spec.get("name") == "text":
            spec.setdefault("mode", "cbow")  # context windows, not word pairs
        return spec
