"""CBOW examples from a token stream: each centre word with the ``2 * window`` words around it.

Continuous bag-of-words (Mikolov et al. 2013) predicts a word from its context, the mirror of
skip-gram, which predicts the context from the word. One example per position (not one per
word pair) is why CBOW trains faster on the same corpus. Kept apart from ``text.py``, which
reads the corpus and calls this, so the windowing reads on its own and is tested on its own.
"""
from __future__ import annotations

import torch

from studio.train.data.base import DataError


def cbow_windows(ids: torch.Tensor, window: int, count: int) -> dict:
    """``context`` (n, 2·window) int64 (the words before, then after, each centre) and ``center``
    (n,) int64, at most ``count`` of them picked with a fixed generator (the same everywhere).
    Centres that are ``<unk>`` (index 0) are dropped: predicting "unknown word" teaches nothing.
    """
    if window < 1:
        raise DataError(f"dataset 'text': window must be >= 1, got {window}")
    span = torch.arange(-window, window + 1)
    span = span[span != 0]  # the centre itself is not part of its context
    positions = torch.arange(window, len(ids) - window)
    if len(positions) == 0:
        return {"context": torch.zeros(0, 2 * window, dtype=torch.int64),
                "center": torch.zeros(0, dtype=torch.int64)}
    center, context = ids[positions], ids[positions[:, None] + span]
    keep = center != 0
    center, context = center[keep], context[keep]
    pick = torch.randperm(len(center), generator=torch.Generator().manual_seed(5))[:count]
    return {"context": context[pick], "center": center[pick]}
