"""The Lab's "Generate a class" tool on the conditional GAN template (fresh weights: the shapes,
the seeding and the errors; tests/train/test_cgan.py checks what a trained generator draws).

Oracle for "same seed, other class, same noise": with the generator's label Embedding set to
zero the class has no effect, so every row of the all-classes grid must be the same picture;
with its own weights the rows differ.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from studio.core.templates import open_document
from studio.inspect.errors import InspectError
from studio.inspect.generate import class_count, conditional_samples
from studio.inspect.lab_tools import TOOLS, LabInput
from studio.inspect.load import open_network

SIDE = 8
TILE = 32  # the Lab enlarges 8x8 digits 4 times (nearest pixels)


@pytest.fixture(scope="module")
def doc():
    return open_document("cgan")[0]


def _generate(doc, network="generator", **settings):
    return TOOLS["generate"](LabInput(doc, network), **settings)


def test_one_class_gives_a_row_of_count_pictures(doc):
    result = _generate(doc, label=4, count=5, seed=0)
    assert result.tool == "generate" and len(result.pictures) == 1
    picture = result.pictures[0].rgb
    assert picture.dtype == np.uint8 and picture.shape == (TILE, 5 * (TILE + 2) - 2, 3)
    assert "class 4" in result.pictures[0].caption and "seed 0" in result.summary


def test_every_class_gives_one_row_each_from_the_discriminator_tab_too(doc):
    result = _generate(doc, "discriminator", label=-1, count=3, seed=1)
    assert result.pictures[0].rgb.shape == (10 * (TILE + 2) - 2, 3 * (TILE + 2) - 2, 3)
    assert result.lines == ["rows: " + ", ".join(str(k) for k in range(10))]


def test_the_seed_fixes_the_noise(doc):
    first = _generate(doc, label=2, count=4, seed=7).pictures[0].rgb
    assert np.array_equal(_generate(doc, label=2, count=4, seed=7).pictures[0].rgb, first)
    assert not np.array_equal(_generate(doc, label=2, count=4, seed=8).pictures[0].rgb, first)


def test_rows_share_their_noise_so_only_the_class_differs(doc):
    compiled = open_network(doc, "generator")
    images = conditional_samples(compiled, range(3), count=4, seed=3)
    assert images.shape == (12, 1, SIDE, SIDE) and 0 <= images.min() and images.max() <= 1
    assert not torch.allclose(images[:4], images[4:8])  # the class changes the picture
    with torch.no_grad():
        compiled.module.get_submodule("label_embed").weight.zero_()
    blind = conditional_samples(compiled, range(3), count=4, seed=3)
    torch.testing.assert_close(blind[:4], blind[4:8])
    torch.testing.assert_close(blind[:4], blind[8:])
    assert not torch.allclose(blind[0], blind[1])  # each column its own noise


def test_class_count_comes_from_the_label_embedding(doc):
    assert class_count(doc, "generator", open_network(doc, "generator")) == 10


@pytest.mark.parametrize("settings, message", [
    ({"label": 10}, "class 10 is out of range: the generator knows classes 0..9"),
    ({"label": -2}, "class -2 is out of range"),
    ({"label": 1, "count": 0}, "count must be at least 1, got 0"),
])
def test_bad_settings_are_one_line_errors(doc, settings, message):
    with pytest.raises(InspectError, match=message):
        _generate(doc, **settings)


def test_a_network_without_a_label_input_is_refused():
    lenet = open_document("lenet5")[0]
    with pytest.raises(InspectError, match="no class-label input .* not a conditional generator"):
        TOOLS["generate"](LabInput(lenet, "model"), label=1)
