"""``sentiment``: a *generated* corpus of short reviews labelled negative (0) or positive (1).

No free sentiment corpus ships with the studio's dependencies, so the sentences are made from
templates (``the film was not very good``, ``the plot was dull but the acting was great``), and
the name says so. Order matters, which a bag of words cannot see: a negation (``not``,
``never``) flips the adjective after it, and in ``A but B`` the clause after ``but`` decides.
The same words appear in both classes, so only their arrangement tells the label.

Fields: ``tokens`` (steps,) int64 padded on the *left* with ``<pad>`` (index 0), so a recurrent
layer's last state follows the last word; ``label`` int64. ``info["vocab"]`` reads the tokens,
``info["classes"]`` is ``["negative", "positive"]``. Fixed generator: the same corpus on every
machine; the run's seed only drives the split.
"""
from __future__ import annotations

import numpy as np
import torch

from studio.train.data.base import DataError, FieldDataset
from studio.train.data.registry import dataset

POSITIVE = ("good", "great", "excellent", "wonderful", "fun", "lovely")
NEGATIVE = ("bad", "awful", "boring", "terrible", "dull", "poor")
SUBJECTS = ("film", "movie", "plot", "acting", "music", "ending", "story", "cast")
DETERMINERS = ("the", "this")
NEGATIONS = ("not", "never")
INTENSIFIERS = ("very", "really", "quite")
VERBS = ("was", "is")
VOCAB = ("<pad>", *DETERMINERS, *SUBJECTS, *VERBS, *NEGATIONS, *INTENSIFIERS, *POSITIVE,
         *NEGATIVE, "but", "and")
CLASSES = ["negative", "positive"]
STEPS = 16  # the longest sentence: two clauses of up to seven words and "but"


def _clause(rng, negate_rate: float) -> tuple[list, int]:
    """``the plot was not very good`` and its polarity (1 positive)."""
    polarity = rng.randint(2)
    words = [DETERMINERS[rng.randint(2)], SUBJECTS[rng.randint(len(SUBJECTS))],
             VERBS[rng.randint(2)]]
    negated = rng.rand() < negate_rate
    if negated:
        words.append(NEGATIONS[rng.randint(2)])
    if rng.rand() < 0.4:
        words.append(INTENSIFIERS[rng.randint(3)])
    adjectives = POSITIVE if polarity else NEGATIVE
    words.append(adjectives[rng.randint(len(adjectives))])
    return words, polarity ^ int(negated)


def sentence(rng, negate_rate: float = 0.4, contrast_rate: float = 0.25) -> tuple[list, int]:
    """One review and its label: one clause, or ``A but B`` (B decides, A says the opposite),
    or ``A and B`` with two clauses that agree."""
    words, label = _clause(rng, negate_rate)
    if rng.rand() >= contrast_rate * 2:
        return words, label
    contrast = rng.rand() < 0.5
    while True:  # a second clause that disagrees (but) or agrees (and) with the first
        more, second = _clause(rng, negate_rate)
        if (second != label) == contrast:
            return [*words, "but" if contrast else "and", *more], second


@dataset("sentiment", "generated short reviews (negation, 'but' clauses), negative/positive",
         count=4000, steps=STEPS, negation=0.4, contrast=0.25,
         example="--data sentiment --data count=8000",
         helps={"count": "sentences", "steps": f"tokens per sentence (at least {STEPS})",
                "negation": "share of clauses with 'not'/'never'",
                "contrast": "share of sentences with a 'but' clause (as many with 'and')"})
def sentiment(options, seed):
    count, steps = options["count"], options["steps"]
    for key, value, low in (("count", count, 1), ("steps", steps, STEPS)):
        if not isinstance(value, int) or value < low:
            raise DataError(f"dataset 'sentiment': option {key!r} must be an integer >= {low}, "
                            f"got {value!r}")
    negation, contrast = float(options["negation"]), float(options["contrast"])
    if not (0 <= negation <= 1 and 0 <= contrast <= 0.5):
        raise DataError(f"dataset 'sentiment': negation must be in [0, 1] and contrast in "
                        f"[0, 0.5], got {negation} and {contrast}")
    rng = np.random.RandomState(1999)
    tokens = np.zeros((count, steps), np.int64)
    labels = np.zeros(count, np.int64)
    for i in range(count):
        words, labels[i] = sentence(rng, negation, contrast)
        tokens[i, steps - len(words):] = [VOCAB.index(w) for w in words]
    return FieldDataset({"tokens": torch.from_numpy(tokens), "label": torch.from_numpy(labels)}), \
        {"classes": list(CLASSES), "vocab": list(VOCAB)}
