"""A text corpus present on every machine: docstrings of Python standard-library modules.

``text`` with ``level="char"`` gives ``sequence``/``next`` (steps,) int64 windows where ``next``
is ``sequence`` shifted by one character (char-RNN); ``level="word"`` with ``mode="skipgram"``
gives ``center`` and ``context`` () int64 word pairs within ``window`` (word2vec; ``subsample``
> 0 drops frequent words as in Mikolov et al. 2013, e.g. 1e-3); with
``mode="sequence"`` word windows ``tokens`` labelled with the ``label`` of their module's topic
(4 classes, text classification); with ``mode="cbow"`` ``context`` (2·window,) int64, the words
around each ``center`` () int64 (word2vec's continuous bag-of-words). ``vocab`` keeps the most
frequent tokens; the rest map to index 0 (``<unk>``). The vocabulary is in ``info["vocab"]``
for samples and nearest neighbours.
"""
from __future__ import annotations

import importlib
import inspect
import re
import warnings
from collections import Counter
from functools import lru_cache

import torch

from studio.train.data.base import DataError, FieldDataset
from studio.train.data.context_windows import cbow_windows
from studio.train.data.registry import dataset

# A fixed list (not "every module") so the corpus is the same size everywhere and loads fast.
MODULES = ("abc", "argparse", "ast", "base64", "bisect", "calendar", "collections", "contextlib",
           "csv", "dataclasses", "datetime", "decimal", "difflib", "email.message", "enum",
           "fractions", "functools", "glob", "gzip", "heapq", "html", "http.client", "inspect",
           "io", "ipaddress", "itertools", "json", "logging", "pathlib", "pickle", "random",
           "re", "shutil", "socket", "statistics", "string", "subprocess", "tarfile", "textwrap",
           "threading", "typing", "unittest", "urllib.parse", "uuid", "zipfile")


# Four topics for text classification (bag-of-words): which kind of module a text documents.
TOPICS = {"text and data": ("base64", "csv", "difflib", "html", "json", "re", "string",
                            "textwrap", "decimal", "fractions", "statistics", "calendar",
                            "datetime", "uuid"),
          "files and processes": ("glob", "gzip", "pathlib", "shutil", "subprocess", "tarfile",
                                  "zipfile", "io", "pickle", "logging"),
          "network": ("email.message", "http.client", "ipaddress", "socket", "urllib.parse",
                      "threading"),
          "language": ("abc", "argparse", "ast", "bisect", "collections", "contextlib",
                       "dataclasses", "enum", "functools", "heapq", "inspect", "itertools",
                       "random", "typing", "unittest")}


@lru_cache(maxsize=None)
def module_texts(name: str) -> str:
    """The module's docstring and its own classes' and functions' docstrings."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return ""
    parts = [inspect.getdoc(module) or ""]
    for attr in sorted(vars(module)):
        with warnings.catch_warnings():  # typing.io and friends warn when touched
            warnings.simplefilter("ignore", DeprecationWarning)
            obj = getattr(module, attr)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and \
                getattr(obj, "__module__", None) == module.__name__:
            parts.append(inspect.getdoc(obj) or "")
    return "\n\n".join(p for p in parts if p)


def corpus() -> str:
    """Docstrings of :data:`MODULES`, in a stable order."""
    return "\n\n".join(t for t in map(module_texts, MODULES) if t)


def _vocabulary(tokens, size: int, unknown: str) -> list:
    counts = Counter(tokens)
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    return [unknown, *ranked[: size - 1 if size else None]]


def _windows(ids: torch.Tensor, length: int, count: int):
    starts = torch.arange(0, len(ids) - length - 1, max(1, length // 2))[:count]
    index = starts[:, None] + torch.arange(length + 1)
    seq = ids[index]
    return {"sequence": seq[:, :-1], "next": seq[:, 1:]}


def _topic_windows(lookup: dict, length: int, count: int):
    """Word windows labelled with their module's topic, ``count`` split evenly over topics."""
    fields = {"tokens": [], "label": []}
    for label, names in enumerate(TOPICS.values()):
        words = re.findall(r"[a-z]+", "\n".join(map(module_texts, names)).lower())
        ids = torch.tensor([lookup.get(w, 0) for w in words], dtype=torch.int64)
        part = _windows(ids, length, count // len(TOPICS))["sequence"]
        fields["tokens"].append(part)
        fields["label"].append(torch.full((len(part),), label))
    return {k: torch.cat(v) for k, v in fields.items()}


def _subsample(ids: torch.Tensor, threshold: float) -> torch.Tensor:
    """Mikolov et al. 2013's subsampling: drop each occurrence of a word with frequency ``f``
    with probability ``1 - sqrt(threshold / f)``, so "the" and "of" stop dominating the pairs
    and rarer words get closer to each other. Words outside the vocabulary (``<unk>``) are
    removed first, as word2vec's ``min_count`` does. Fixed generator: the same pairs everywhere.
    """
    if not threshold:
        return ids
    ids = ids[ids != 0]
    freq = torch.bincount(ids).double() / len(ids)
    keep = (threshold / freq[ids]).sqrt().clamp(max=1.0)
    return ids[torch.rand(len(ids), generator=torch.Generator().manual_seed(3),
                          dtype=torch.float64) < keep]


def _skipgram(ids: torch.Tensor, window: int, count: int, subsample: float = 0.0):
    ids = _subsample(ids, subsample)
    centers, contexts = [], []
    for offset in range(1, window + 1):
        centers += [ids[:-offset], ids[offset:]]
        contexts += [ids[offset:], ids[:-offset]]
    center, context = torch.cat(centers), torch.cat(contexts)
    keep = (center != 0) & (context != 0)  # pairs with <unk> teach nothing
    center, context = center[keep], context[keep]
    pick = torch.randperm(len(center), generator=torch.Generator().manual_seed(5))[:count]
    return {"center": center[pick], "context": context[pick]}


@dataset("text", "docstrings of the Python standard library (char or word level)",
         level="char", mode="sequence", steps=None, length=64, vocab=None, vocab_size=0,
         window=2, count=20000, subsample=0.0)
def text(options, seed):
    level, mode = options["level"], options["mode"]
    length = int(options["steps"] or options["length"])
    size = int(options["vocab"] or options["vocab_size"] or 0)
    raw = corpus()
    if level == "char":  # printable ASCII, whitespace as a space: at most 95 symbols + <unk>
        tokens = [" " if c.isspace() else c if 32 <= ord(c) < 127 else "\x00" for c in raw]
    elif level == "word":
        tokens = re.findall(r"[a-z]+", raw.lower())
    else:
        raise DataError(f"dataset 'text': level must be 'char' or 'word', got {level!r}")
    vocab = _vocabulary([t for t in tokens if t != "\x00"], size,
                        "\x00" if level == "char" else "<unk>")
    lookup = {t: i for i, t in enumerate(vocab)}
    ids = torch.tensor([lookup.get(t, 0) for t in tokens], dtype=torch.int64)
    if mode == "sequence":
        fields = _windows(ids, length, int(options["count"]))
        if level == "word":
            fields.update(_topic_windows(lookup, length, int(options["count"])))
            if len(fields["tokens"]) != len(fields["sequence"]):
                fields = {k: fields[k] for k in ("tokens", "label")}
    elif mode == "skipgram":
        fields = _skipgram(ids, int(options["window"]), int(options["count"]),
                           float(options["subsample"] or 0.0))
    elif mode == "cbow":
        fields = cbow_windows(_subsample(ids, float(options["subsample"] or 0.0)),
                              int(options["window"]), int(options["count"]))
    else:
        raise DataError(f"dataset 'text': mode must be 'sequence', 'skipgram' or 'cbow', "
                        f"got {mode!r}")
    return FieldDataset(fields), {"vocab": vocab, "level": level}
