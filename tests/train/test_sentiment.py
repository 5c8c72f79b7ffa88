"""The generated sentiment corpus and the ``sentiment`` template: an LSTM that reads word order
(negations, 'but' clauses), trained for a few CPU epochs."""
import pytest
import torch

from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.inspect.load import open_network
from studio.train.data import DataError, load_dataset
from studio.train.data.sentiment import NEGATIVE, POSITIVE
from studio.train.engine import train


def _sentences(bundle, split):
    vocab, data = bundle.info["vocab"], getattr(bundle, split).fields
    return [[vocab[i] for i in row if i] for row in data["tokens"].tolist()], \
        data["label"].tolist()


def test_labels_follow_negation_and_the_clause_after_but():
    bundle = load_dataset({"name": "sentiment", "count": 800})
    assert bundle.info["classes"] == ["negative", "positive"]
    checked = 0
    for words, label in zip(*_sentences(bundle, "train")):
        last = words[words.index("but") + 1:] if "but" in words else words
        if "and" in last:
            last = last[last.index("and") + 1:]
        polarity = int(last[-1] in POSITIVE)
        assert last[-1] in POSITIVE + NEGATIVE
        assert label == polarity ^ int("not" in last or "never" in last), words
        checked += 1
    assert checked > 500
    with pytest.raises(DataError, match="'steps' must be an integer >= 16"):
        load_dataset({"name": "sentiment", "steps": 4})


def test_sentiment_learns_word_order_in_a_few_epochs(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        doc = apply_preset(open_document("sentiment")[0])
        result = train(doc, {"device": "cpu", "epochs": 2}, out=str(tmp_path / "run"))
        assert result.metrics["test"]["accuracy"] > 0.9  # balanced classes: chance is 0.5
        # the sentences where a word changes its neighbours' meaning ('not', 'but'): which clause
        # follows 'but' is pure word order, invisible to a bag of words
        bundle = load_dataset({"name": "sentiment"}, seed=0)
        sentences, labels = _sentences(bundle, "test")
        hard = [i for i, w in enumerate(sentences) if {"not", "never", "but"} & set(w)]
        model = open_network(doc, "model", str(tmp_path / "run")).module
        with torch.no_grad():
            predicted = model(bundle.test.fields["tokens"][hard]).argmax(1)
    finally:
        torch.set_num_threads(threads)
    accuracy = (predicted == torch.tensor(labels)[hard]).float().mean().item()
    assert len(hard) > 200 and accuracy > 0.85, accuracy
