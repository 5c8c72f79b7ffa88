"""The conditional GAN learns to draw the digit it is asked for.

The template trains with its own settings (20 epochs of the 8x8 digits, ~4 s of CPU) through the
engine. The oracle is a small classifier trained here on the real digits (98 % on them): the
generator's pictures of each requested class must be recognised as that class far above chance
(0.10); the threshold, 0.6, sits well under what the seeds tried reach (0.87-0.98). The same
classifier reads the saved sample grid row by row (one row per class) and the Lab tool's grid.
The trained generator exports to ONNX with its two inputs (noise, label) and matches PyTorch.
"""
from __future__ import annotations

import json
import math

import numpy as np
import onnxruntime as ort
import pytest
import torch
from PIL import Image

from studio.cli import main
from studio.core.templates import open_document
from studio.inspect.generate import conditional_samples
from studio.inspect.lab_tools import TOOLS, LabInput
from studio.inspect.load import open_network
from studio.train.data.bundled import digits_table
from studio.train.engine import train

THRESHOLD = 0.6  # accuracy of the real-digit classifier on generated digits; chance is 0.1
SIDE = 8
TILE = 32  # the Lab's tiles: digits enlarged to at least 32 pixels


@pytest.fixture(scope="module")
def run(one_thread_module, tmp_path_factory):
    doc = open_document("cgan")[0]
    folder = tmp_path_factory.mktemp("cgan") / "run"
    events: list = []
    result = train(doc, {"device": "cpu"}, out=str(folder), callback=events.append)
    return doc, folder, events, result


@pytest.fixture(scope="module")
def classifier(one_thread_module):
    """An MLP trained on the real 8x8 digits (pixels in [0, 1]), full batch, 80 Adam steps."""
    pixels, labels = digits_table()  # counts 0..16
    images = torch.tensor(pixels, dtype=torch.float32).unsqueeze(1) / 16
    labels = torch.tensor(labels)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(SIDE * SIDE, 64),
                                torch.nn.ReLU(), torch.nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(80):
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    assert (model(images).argmax(1) == labels).float().mean() > 0.95  # a trustworthy oracle
    return model


def _accuracy(classifier, images, labels) -> float:
    with torch.no_grad():
        return float((classifier(images.float()).argmax(1) == labels).float().mean())


def test_generated_digits_are_recognised_as_the_requested_class(run, classifier):
    doc, folder, _, _ = run
    generator = open_network(doc, "generator", str(folder))
    images = conditional_samples(generator, range(10), count=30, seed=1)
    labels = torch.arange(10).repeat_interleave(30)
    assert images.shape == (300, 1, SIDE, SIDE)
    assert _accuracy(classifier, images, labels) >= THRESHOLD


def test_losses_stay_finite(run):
    _, _, events, result = run
    steps = [e for e in events if e["event"] == "step"]
    assert len(steps) >= 40  # one event every 10 steps
    for e in steps:
        assert math.isfinite(e["loss_d"]) and math.isfinite(e["loss_g"])
    assert result.epoch == 20
    assert all(math.isfinite(v) for v in result.metrics["test"].values())


def _tiles(picture: np.ndarray, rows: int, columns: int, pad: int, start: int,
           tile: int = SIDE) -> torch.Tensor:
    """(rows * columns, 1, 8, 8) grey tiles cut from an RGB grid picture of ``tile``-pixel
    tiles (8x8 digits enlarged by nearest pixels), values in [0, 1]."""
    step, every = tile + pad, tile // SIDE
    tiles = [picture[start + r * step: start + r * step + tile: every,
                     start + c * step: start + c * step + tile: every, 0]
             for r in range(rows) for c in range(columns)]
    return torch.tensor(np.stack(tiles), dtype=torch.float32).unsqueeze(1) / 255


def test_sample_grid_has_one_row_per_class(run, classifier):
    _, folder, events, _ = run
    samples = [e for e in events if e["event"] == "samples"][-1]
    assert samples["kind"] == "generated" and samples["rows"] == [str(k) for k in range(10)]
    picture = np.asarray(Image.open(folder / samples["image"]).convert("RGB"))
    columns = 8  # the probe size; torchvision's save_image pads every tile by 2 pixels
    assert picture.shape == (2 + 10 * (SIDE + 2), 2 + columns * (SIDE + 2), 3)
    tiles = _tiles(picture, 10, columns, pad=2, start=2)
    labels = torch.arange(10).repeat_interleave(columns)
    assert _accuracy(classifier, tiles, labels) >= THRESHOLD
    # the events file says the same (what the studio reads back)
    logged = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert [e for e in logged if e["event"] == "samples"][-1]["rows"] == samples["rows"]


def test_lab_tool_draws_the_chosen_class(run, classifier):
    doc, folder, _, _ = run
    result = TOOLS["generate"](LabInput(doc, "discriminator", str(folder)), label=3,
                               count=12, seed=5)
    picture = result.pictures[0].rgb
    assert picture.shape == (TILE, 12 * (TILE + 2) - 2, 3)  # 8x8 digits enlarged 4 times
    tiles = _tiles(picture, 1, 12, pad=2, start=0, tile=TILE)
    assert _accuracy(classifier, tiles, torch.full((12,), 3)) >= THRESHOLD
    again = TOOLS["generate"](LabInput(doc, "generator", str(folder)), label=3, count=12,
                              seed=5)
    assert np.array_equal(again.pictures[0].rgb, picture)  # the seed fixes the noise


def test_trained_generator_exports_to_onnx_with_noise_and_label(run, tmp_path, capsys):
    doc, folder, _, _ = run
    target = tmp_path / "generator.onnx"
    code = main(["export", "cgan", "--network", "generator", "--weights", str(folder),
                 "--onnx", str(target), "--dynamic-batch"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "onnx.checker: ok" in out
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    inputs = {i.name: i.type for i in session.get_inputs()}
    assert inputs == {"z": "tensor(float)", "label": "tensor(int64)"}
    z = torch.randn(10, 16, generator=torch.Generator().manual_seed(2))
    label = torch.arange(10)
    got, = session.run(None, {"z": z.numpy(), "label": label.numpy()})
    generator = open_network(doc, "generator", str(folder))
    with torch.no_grad():
        want = generator.module(z, label)
    np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=1e-5)


def test_a_gan_without_label_inputs_is_refused_in_one_line(tmp_path, capsys):
    code = main(["train", "dcgan", "--device", "cpu", "--set", "recipe=conditional-gan",
                 "--max-steps", "1", "--limit", "16", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines() == [
        "netstudio: error: the conditional-gan recipe needs a class-label Input (dtype int64) "
        "in network 'generator'; it has none"]
