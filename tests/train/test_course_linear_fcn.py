"""Issue 20's one-layer and fully convolutional templates learn on their bundled data in a few
CPU epochs: softmax regression on digits, square-loss regression (a line, then an MLP) on
Friedman's benchmark, and fc-as-conv, whose class map names four digits on a larger picture."""
import pytest
import torch

from studio.compile.fx import compile_network
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.export.weights import load_weights
from studio.train.data import DataError, load_dataset
from studio.train.engine import train


pytestmark = pytest.mark.usefixtures("one_thread")


def _trained(name, tmp_path, epochs):
    doc = apply_preset(open_document(name)[0])
    result = train(doc, {"device": "cpu", "epochs": epochs}, out=str(tmp_path / name))
    assert result.status == "finished", result.error
    return doc, result


def test_softmax_regression_classifies_digits(tmp_path):
    _, result = _trained("softmax-regression", tmp_path, 3)
    assert result.metrics["test"]["accuracy"] >= 0.9  # 10 classes: chance is 0.1


def test_deep_regression_beats_the_least_squares_line(tmp_path):
    # the target has variance 1, so the test mse reads as 1 - R^2
    _, line = _trained("linear-regression", tmp_path, 5)
    _, mlp = _trained("mlp-regression", tmp_path, 10)
    assert 0.2 < line.metrics["test"]["mse"] < 0.4  # R^2 0.6-0.8: the sine and square missed
    assert mlp.metrics["test"]["mse"] < 0.2


def test_fc_as_conv_class_map_names_the_four_digits_of_a_larger_picture(tmp_path):
    doc, result = _trained("fc-as-conv", tmp_path, 3)
    assert result.metrics["test"]["accuracy"] >= 0.88
    doc.variables["input_size"] = 32  # the same weights, compiled for a 32x32 picture
    module = compile_network(doc).module.eval()
    load_weights(module, result.run / "checkpoints" / "last.safetensors", "model")
    data = load_dataset({"name": "digits", "size": 16}).test
    images, labels = data.fields["image"][:64], data.fields["label"][:64]
    # 16 pictures of 32x32, each four test digits in a 2x2 grid
    tiles = images.reshape(16, 2, 2, 1, 16, 16)
    canvas = tiles.permute(0, 3, 1, 4, 2, 5).reshape(16, 1, 32, 32)
    with torch.no_grad():
        logits, class_map = module(canvas)
    assert class_map.shape == (16, 10, 9, 9)  # one score vector per 16x16 window, stride 2
    corners = class_map[:, :, [0, 0, 8, 8], [0, 8, 0, 8]].argmax(1)  # the four digit windows
    assert (corners == labels.reshape(16, 4)).float().mean() >= 0.85


def test_friedman1_is_fixed_standardized_and_refuses_bad_options():
    a, b = (load_dataset({"name": "friedman1"}, seed=s) for s in (0, 1))
    full = torch.cat([a.train.fields["target"], a.val.fields["target"], a.test.fields["target"]])
    assert full.shape == (2000, 1) and abs(float(full.mean())) < 1e-5
    assert float(full.std(correction=0)) == pytest.approx(1.0, abs=1e-5)
    assert a.train.fields["features"].shape[1] == 10
    assert sorted(full.flatten().tolist()) == sorted(  # the seed only splits: same samples
        torch.cat([b.train.fields["target"], b.val.fields["target"],
                   b.test.fields["target"]]).flatten().tolist())
    for option, message in [({"features": 3}, "option 'features': expected an integer >= 5"),
                            ({"noise": -1}, "option 'noise': expected a number >= 0"),
                            ({"count": "many"}, "option 'count': expected an integer >= 1")]:
        with pytest.raises(DataError, match=f"^dataset 'friedman1' {message}"):
            load_dataset({"name": "friedman1", **option})
