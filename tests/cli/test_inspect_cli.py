"""``netstudio inspect ...`` writes a PNG per sub-command; bad input is one line naming it.

The fcn template (global average pooling: CAM-ready) is trained for a few seconds with a plain
loop on its own shapes dataset and saved as safetensors, as a user's trained weights would be.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from support.inspect_net import stacked
from studio.cli import main
from studio.compile.fx import compile_network
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.data.registry import load_dataset

FCN = ["fcn", "--var", "width=8"]


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    torch.set_num_threads(1)
    torch.manual_seed(0)
    doc, _, _ = open_document("fcn")
    doc = apply_preset(doc, None, {"width": 8})
    module = compile_network(doc, "model", doc.variables, seed=0).module.train()
    train = stacked(load_dataset({"name": "shapes", "size": 32, "count": 800}, seed=0).train)
    opt = torch.optim.Adam(module.parameters(), lr=3e-3)
    for step in range(80):
        idx = torch.arange(step * 32, step * 32 + 32) % len(train["image"])
        loss = torch.nn.functional.cross_entropy(module(train["image"][idx]), train["label"][idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    path = tmp_path_factory.mktemp("w") / "fcn.safetensors"
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(path))
    return str(path)


def _png(path) -> np.ndarray:
    with Image.open(path) as img:
        assert img.format == "PNG"
        return np.asarray(img.convert("RGB"))


@pytest.mark.parametrize("command", [
    ["cam", "--method", "cam"],
    ["cam", "--method", "gradcam", "--layer", "stage2", "--sample", "3"],
    ["cam", "--method", "saliency"],
    ["cam", "--method", "ig"],
    ["maximize", "--target", "1", "--steps", "30"],
    ["maximize", "--layer", "last_conv", "--target", "2", "--steps", "20", "--start", "noise"],
    ["attack", "--target", "0", "--steps", "10"],
    ["attack", "--method", "fgsm", "--epsilon", "0.1"],
    ["invert", "--layer", "stage2", "--steps", "30"],
    ["style", "--steps", "20"],
    ["style", "--steps", "20", "--interpolate", "0:1"],
    ["tsne", "--count", "150", "--perplexity", "20"],
])
def test_each_subcommand_writes_a_png(command, weights, tmp_path, capsys):
    out = tmp_path / "out.png"
    assert main(["inspect", command[0], *FCN, "--weights", weights, *command[1:],
                 "-o", str(out)]) == 0
    picture = _png(out)
    assert picture.shape[0] >= 100 and picture.shape[1] >= 100
    assert picture.std() > 5  # something was drawn
    assert str(out) in capsys.readouterr().out


def test_cam_on_a_file_image(weights, tmp_path):
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(tmp_path / "in.png")
    assert main(["inspect", "cam", *FCN, "--weights", weights, "--image",
                 str(tmp_path / "in.png"), "-o", str(tmp_path / "c.png")]) == 0
    assert (tmp_path / "c.png").is_file()


def test_neighbours_prints_words_and_writes_a_png(tmp_path, capsys):
    out = tmp_path / "words.png"
    assert main(["inspect", "neighbours", "word2vec", "--word", "return", "--analogy",
                 "list:lists:string", "--count", "3", "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("return: ") and len(lines[0].split(",")) == 3
    assert lines[1].startswith("list : lists :: string : ")
    assert _png(out).shape[0] > 100


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note:")]
    assert len(err) == 1, err
    return err[0]


def test_unknown_node_is_one_line(weights, capsys, tmp_path):
    line = _error(["inspect", "cam", *FCN, "--weights", weights, "--layer", "conv99",
                   "-o", str(tmp_path / "x.png")], capsys)
    assert "unknown node 'conv99'" in line and "last_conv" in line


def test_grad_cam_on_a_non_conv_layer_is_one_line(weights, capsys, tmp_path):
    line = _error(["inspect", "cam", *FCN, "--weights", weights, "--layer", "classifier",
                   "-o", str(tmp_path / "x.png")], capsys)
    assert "'classifier'" in line and "N×C×H×W" in line


def test_wrong_image_size_is_one_line(weights, capsys, tmp_path):
    Image.fromarray(np.zeros((40, 50), np.uint8)).save(tmp_path / "big.png")
    line = _error(["inspect", "attack", *FCN, "--weights", weights, "--image",
                   str(tmp_path / "big.png"), "-o", str(tmp_path / "x.png")], capsys)
    assert "big.png" in line and "50×40" in line and "32×32" in line


def test_weights_of_another_network_are_one_line(weights, capsys, tmp_path):
    line = _error(["inspect", "cam", "fcn", "--weights", weights, "-o",
                   str(tmp_path / "x.png")], capsys)  # width 16, weights of width 8
    assert "stage1" in line and "(8, 1, 3, 3)" in line


def test_missing_cached_vgg_is_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    line = _error(["inspect", "style", *FCN, "--vgg", "vgg16", "-o", str(tmp_path / "x.png")],
                  capsys)
    assert "not in the torch hub cache" in line
