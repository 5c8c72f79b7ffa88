"""t-SNE of a layer's outputs, word-vector neighbours, per-node previews and weight loading."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from support.inspect_net import small_cam_doc, trained_net
from studio.compile.fx import compile_network
from studio.core.templates import open_document
from studio.inspect.embeddings import (analogy, embedding_weight, layer_outputs, nearest_words,
                                       scatter_image, tsne)
from studio.inspect.errors import InspectError
from studio.inspect.images import PALETTE
from studio.inspect.network import load_weights
from studio.inspect.preview import preview_outputs, thumbnail


def _compiled(name, **variables):
    doc, _, _ = open_document(name)
    doc.variables.update(variables)
    return compile_network(doc, "model", doc.variables, seed=0)


def test_tsne_of_500_samples_returns_one_point_each_and_separates_classes():
    compiled, train, _ = trained_net(steps=120)
    images, labels = train["image"][:500], train["label"][:500].numpy()
    feats = layer_outputs(compiled.module, "gap", images, batch_size=200)
    assert feats.shape == (500, 32)
    points = tsne(feats, perplexity=30, seed=0)
    assert points.shape == (500, 2) and np.isfinite(points).all()
    # a trained classifier's features keep classes apart: nearest neighbour in the 2-D map
    d = ((points[:, None] - points[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.9
    picture = scatter_image(points, labels, ["circle", "square", "triangle"])
    colours = {tuple(c) for c in picture.reshape(-1, 3)}
    assert all(PALETTE[k] in colours for k in range(3))


def test_tsne_refuses_too_few_samples():
    with pytest.raises(InspectError, match="at least 5 samples"):
        tsne(np.zeros((3, 4)))


def test_word_neighbours_and_analogies_use_cosine():
    vocab = ["man", "woman", "king", "queen", "apple", "pear"]
    male, female, royal, fruit = torch.eye(4)
    weight = torch.stack([male, female, male + royal, female + royal, fruit,
                          fruit + 0.1 * female])
    assert nearest_words(weight, vocab, "apple", 1)[0][0] == "pear"
    (best, score), *_ = analogy(weight, vocab, "man", "king", "woman")
    assert best == "queen" and score == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(InspectError, match="'prince' is not in the vocabulary"):
        nearest_words(weight, vocab, "prince")


def test_embedding_weight_of_the_word2vec_template():
    compiled = _compiled("word2vec")
    name, weight = embedding_weight(compiled.module)
    assert name == "embedding" and weight.shape == (2000, 32)
    with pytest.raises(InspectError, match="'context_logits' is a Linear, not an Embedding"):
        embedding_weight(compiled.module, "context_logits")


@pytest.mark.parametrize("template", ["lenet5", "resnet18"])
def test_previews_cover_every_node_and_show_its_output(template):
    compiled = _compiled(template)
    module = compiled.module.train()
    probe = torch.rand(1, 32, 32)
    previews = preview_outputs(compiled, probe, size=64)
    computed = {compiled.node_map[n] for n in compiled.node_map}
    assert set(previews) == computed
    for node_id, picture in previews.items():
        assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
        assert max(picture.shape[:2]) <= 64, node_id
    assert module.training  # mode restored
    # the thumbnail is the node's real output (eval mode), drawn by the same function
    first = next(n for n, m in module.named_children() if isinstance(m, torch.nn.Conv2d))
    with torch.no_grad():
        expected = thumbnail(getattr(module, first)(probe[None])[0])
    assert np.array_equal(previews[compiled.node_map[first]], expected)


def test_thumbnail_shapes():
    assert thumbnail(torch.randn(120)).shape[:2] == (55, 55)  # 11×11 tiles scaled 5×
    assert thumbnail(torch.randn(16, 10, 10)).shape[2] == 3
    assert thumbnail(torch.randn(30, 8)).shape == (60, 16, 3)
    assert thumbnail(torch.tensor(3.0)).shape == (64, 64, 3)


def test_weights_round_trip_and_checkpoint_prefix(tmp_path):
    doc = small_cam_doc()
    a = compile_network(doc, "model", doc.variables, seed=1).module.eval()
    b = compile_network(doc, "model", doc.variables, seed=2).module.eval()
    x = torch.rand(2, 1, 32, 32)
    assert not torch.allclose(a(x), b(x))
    save_file({k: v.contiguous() for k, v in a.state_dict().items()}, tmp_path / "w.safetensors")
    load_weights(b, tmp_path / "w.safetensors")
    assert torch.allclose(a(x), b(x))
    # the training engine's layout: <run>/checkpoints/best.safetensors, keys model.<network>.*
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    save_file({f"model.model.{k}": v.contiguous() for k, v in a.state_dict().items()} |
              {"rng.torch": torch.zeros(3, dtype=torch.uint8)},
              tmp_path / "run" / "checkpoints" / "best.safetensors")
    c = compile_network(doc, "model", doc.variables, seed=3).module.eval()
    load_weights(c, tmp_path / "run")
    assert torch.allclose(a(x), c(x))


def test_weights_that_do_not_fit_are_named(tmp_path):
    doc = small_cam_doc()
    module = compile_network(doc, "model", doc.variables, seed=0).module
    state = {k: v.contiguous() for k, v in module.state_dict().items()}
    save_file({k: v for k, v in state.items() if k != "conv2.bias"}, tmp_path / "m.safetensors")
    with pytest.raises(InspectError, match="missing keys: conv2.bias"):
        load_weights(module, tmp_path / "m.safetensors")
    save_file({**state, "conv1.weight": torch.zeros(2, 1, 3, 3)}, tmp_path / "s.safetensors")
    with pytest.raises(InspectError,
                       match=r"conv1.weight: expected shape \(16, 1, 3, 3\), got \(2, 1, 3, 3\)"):
        load_weights(module, tmp_path / "s.safetensors")
    (tmp_path / "p.safetensors").write_bytes(b"\x80\x04pickle")
    with pytest.raises(InspectError, match="not a readable safetensors file"):
        load_weights(module, tmp_path / "p.safetensors")
    with pytest.raises(InspectError, match="no such weights file"):
        load_weights(module, tmp_path / "none.safetensors")
