"""The self-organizing map: the node's outputs against a plain reference, and the ``som``
recipe learning the digits by competition (no optimizer): the quantization error drops, the
topographic error stays low, grid neighbours end up alike, and a resumed run anneals on exactly."""
import json

import pytest
import torch
from safetensors.torch import load_file

from nodes import BuildContext, TensorSpec, lookup
from nodes.som import SelfOrganizingMap, umatrix
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.engine import Trainer, train
from studio.train.optim import ConfigError

RUN = {"device": "cpu", "threads": 1, "log_every": 1}


pytestmark = pytest.mark.usefixtures("one_thread")


def _doc(**variables):
    doc, _, _ = open_document("som")
    doc = apply_preset(doc)
    doc.variables.update(variables)
    return doc


def test_node_gives_distances_and_the_best_matching_unit():
    som = lookup("som.SelfOrganizingMap").build(
        BuildContext({"rows": 2, "cols": 3, "output": "distances"}, [TensorSpec((4, 1, 2, 2))]))
    x = torch.rand(4, 1, 2, 2)
    want = torch.stack([torch.stack([(s.flatten() - w).norm() for w in som.weight]) for s in x])
    torch.testing.assert_close(som(x), want)
    som.output = "bmu"
    unit = want.argmin(1)
    assert som(x).tolist() == torch.stack([unit // 3, unit % 3], 1).float().tolist()


def test_umatrix_is_the_mean_distance_to_the_eight_neighbours():
    weight = torch.rand(3 * 4, 5)
    grid = weight.reshape(3, 4, 5)
    u = umatrix(weight, 3, 4)
    for r in range(3):
        for c in range(4):
            near = [(grid[r, c] - grid[i, j]).norm() for i in range(r - 1, r + 2)
                    for j in range(c - 1, c + 2) if (i, j) != (r, c) and 0 <= i < 3 and 0 <= j < 4]
            assert abs(float(u[r, c]) - float(torch.stack(near).mean())) < 1e-5


def test_som_learns_the_digits_by_competition(tmp_path):
    trainer = Trainer(_doc(), {**RUN, "epochs": 3}, out=str(tmp_path / "run"))
    trainer.setup()
    assert trainer.optimizers == {}  # the recipe moves the prototypes itself
    before = trainer.evaluate(trainer.data.val)
    result = trainer.run()
    after = result.metrics["val"]
    assert result.status == "finished"
    # random prototypes in [0, 1)^64 are ~3 from a digit; an ordered 10x10 map ~1.6
    assert after["quantization_error"] < 0.6 * before["quantization_error"], (before, after)
    assert after["topographic_error"] < 0.1, after
    som = next(m for m in trainer.nets["model"].module.modules()
               if isinstance(m, SelfOrganizingMap))
    w = som.weight.detach().reshape(10, 10, -1)
    neighbours = torch.cat([(w[1:] - w[:-1]).norm(dim=-1).flatten(),
                            (w[:, 1:] - w[:, :-1]).norm(dim=-1).flatten()]).mean()
    flat = w.reshape(100, -1)
    pairs = torch.cdist(flat, flat)
    random_pairs = pairs.sum() / (100 * 99)
    assert neighbours < 0.5 * random_pairs, (float(neighbours), float(random_pairs))
    events = [json.loads(line) for line in
              (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    steps = [e for e in events if e["event"] == "step"]
    assert steps[0]["lr"] > steps[-1]["lr"] and steps[0]["sigma"] > steps[-1]["sigma"]
    shown = [e for e in events if e["event"] == "samples"][-1]
    assert shown["kind"] == "som" and (shown["rows"], shown["cols"]) == (10, 10)
    assert len(shown["prototypes"]) == 100 and len(shown["prototypes"][0]) == 8  # 8x8 images
    torch.testing.assert_close(torch.tensor(shown["umatrix"]), umatrix(som.weight, 10, 10),
                               atol=1e-4, rtol=0)


def test_som_orders_the_colour_cube_into_swatches(tmp_path):
    doc, _, _ = open_document("som-colours")
    trainer = Trainer(apply_preset(doc), {**RUN, "epochs": 3}, out=str(tmp_path / "run"))
    trainer.setup()
    before = trainer.evaluate(trainer.data.val)
    after = trainer.run().metrics["val"]
    # random prototypes already fill the cube (a low quantization error) in no order: what the
    # map learns here is the order, traded against a little quantization error
    assert before["topographic_error"] > 0.5 and after["topographic_error"] < 0.1, (before, after)
    assert after["quantization_error"] < 0.3, after
    shown = trainer.recipe.samples()
    assert shown["picture"] == "colour"
    swatches = torch.tensor(shown["prototypes"])
    assert swatches.shape == (12 * 12, 8, 8, 3)
    weight = trainer.recipe.som.weight.detach()
    assert (swatches[:, 3, 5].float() / 255 - weight).abs().max() <= 0.5 / 255 + 1e-6
    grid = weight.reshape(12, 12, 3)
    neighbours = (grid[:, 1:] - grid[:, :-1]).norm(dim=-1).mean()
    assert neighbours < 0.3 * torch.pdist(weight).mean(), float(neighbours)


def test_a_resumed_som_run_anneals_on_as_the_whole_run(tmp_path):
    settings = {**RUN, "epochs": 2, "limit": 64, "batch_size": 16}
    train(_doc(rows=4, cols=4), settings, out=str(tmp_path / "whole"))
    part = train(_doc(rows=4, cols=4), {**settings, "max_steps": 5}, out=str(tmp_path / "part"))
    assert part.status == "stopped" and part.step == 5
    Trainer(None, resume=str(tmp_path / "part")).run()
    a = load_file(str(tmp_path / "whole" / "checkpoints" / "last.safetensors"))
    b = load_file(str(tmp_path / "part" / "checkpoints" / "last.safetensors"))
    assert a.keys() == b.keys() and any("som_state" in k for k in a)
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_bad_settings_and_a_network_without_a_map_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"training\.som\.sigma_end: expected a number > 0"):
        train(_doc(), {**RUN, "som": {"sigma_end": -1}, "limit": 16}, out=str(tmp_path / "a"))
    doc, _, _ = open_document("mlp")
    with pytest.raises(ValueError, match="needs a SelfOrganizingMap node in network 'model'"):
        train(apply_preset(doc), {**RUN, "recipe": "som", "limit": 16}, out=str(tmp_path / "b"))
