"""word2vec's CBOW beside skip-gram: context windows from the same corpus, the averaged context
embeddings predict the centre word, and the run shows the same nearest-neighbour samples.

Oracles: the windows are checked against the token stream by hand; the learning test against
the uniform guess ln(vocab), the loss of a model that learned nothing.
"""
from __future__ import annotations

import math

import pytest
import torch

from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.data import DataError, load_dataset
from studio.train.data.context_windows import cbow_windows
from studio.train.engine import train
from studio.train.recipes import SkipGram, recipes


def test_windows_hold_the_words_before_then_after_each_centre():
    ids = torch.tensor([5, 6, 0, 8, 9, 10, 11])
    fields = cbow_windows(ids, window=2, count=100)
    pairs = {int(c): w.tolist() for c, w in zip(fields["center"], fields["context"])}
    # centres at positions 2..4; position 2 is <unk> (0) and predicting it teaches nothing
    assert pairs == {8: [6, 0, 9, 10], 9: [0, 8, 10, 11]}
    assert len(cbow_windows(ids, window=2, count=1)["center"]) == 1
    with pytest.raises(DataError, match="window must be >= 1"):
        cbow_windows(ids, window=0, count=10)


def test_the_recipe_asks_the_text_dataset_for_windows_and_keeps_skip_gram_samples():
    cbow = recipes()["cbow"]
    assert issubclass(cbow, SkipGram) and recipes()["continuous-bag-of-words"] is cbow
    assert cbow.dataset_spec({"name": "text"})["mode"] == "cbow"
    data = load_dataset({"name": "text", "level": "word", "mode": "cbow", "window": 3,
                         "vocab": 300, "count": 500}, seed=0)
    sample = data.train[0]
    assert sample["context"].shape == (6,) and sample["center"].shape == ()
    assert data.info["vocab"][0] == "<unk>" and len(data.info["vocab"]) == 300


def test_cbow_learns_well_below_the_uniform_guess_and_shows_neighbours(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        doc = apply_preset(open_document("cbow")[0], "small")
        events = []
        result = train(doc, {"device": "cpu", "epochs": 3}, out=str(tmp_path / "run"),
                       callback=events.append)
    finally:
        torch.set_num_threads(threads)
    uniform = math.log(doc.variables["vocab"])
    assert result.status == "finished"
    assert result.metrics["test"]["loss"] < uniform - 1.0, (result.metrics["test"], uniform)
    samples = [e for e in events if e["event"] == "samples"]
    neighbours = samples[-1]["neighbours"]
    assert samples[-1]["kind"] == "neighbours" and set(neighbours) == set(SkipGram.WORDS)
    assert all(len(near) == 5 and word not in near for word, near in neighbours.items())
