"""SetTraining: edits of the training section are invertible and announced like every other op."""
from studio.core.ops import Batch, SetTraining
from studio.core.templates import open_document


def test_set_training_undoes_exactly():
    doc, _, _ = open_document("mlp")
    original = doc.to_json()
    heard = []
    doc.subscribe(lambda event, info: heard.append((event, info.get("keys"))))
    inverse = SetTraining("model", {"epochs": 3, "optimizer": {"name": "sgd", "lr": 0.1},
                                    "amp": True, "seed": None}).apply(doc)
    assert doc.training["epochs"] == 3 and doc.training["optimizer"] == {"name": "sgd", "lr": 0.1}
    assert doc.training["amp"] is True and "seed" not in doc.training
    assert heard == [("training_changed", ["amp", "epochs", "optimizer", "seed"])]
    redo = inverse.apply(doc)
    assert doc.to_json() == original
    redo.apply(doc)
    assert doc.training["epochs"] == 3


def test_set_training_copies_values_and_batches():
    doc, _, _ = open_document("mlp")
    original = doc.to_json()
    dataset = {"name": "digits", "size": 16}
    batch = Batch("model", [SetTraining("model", {"dataset": dataset}),
                            SetTraining("model", {"batch_size": 64})])
    inverse = batch.apply(doc)
    dataset["size"] = 99  # the caller's dict must not alias the document
    assert doc.training["dataset"] == {"name": "digits", "size": 16}
    assert doc.training["batch_size"] == 64
    inverse.apply(doc)
    assert doc.to_json() == original

