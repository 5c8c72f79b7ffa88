"""The recipe interface: the engine runs any registered recipe through its hooks and holds no
recipe name; the best checkpoint ranks the way the metric registry says."""
import ast
import inspect

import pytest

import studio.train.engine as engine
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train import metric_registry
from studio.train.metric_registry import MAX, MIN, Metric
from studio.train.metrics import Accumulator
from studio.train.recipes import base
from studio.train.recipes import VAE, Recipe, Reconstruction, recipes, register

RUN = {"device": "cpu", "limit": 48, "batch_size": 16, "epochs": 3, "log_every": 1}


class Scored(Recipe):
    """A recipe the engine has never heard of: a score that falls after every evaluation."""

    kind = "scored-test"
    aliases = ("scored-alias",)
    default_monitor = "val.score"
    specs: list = []

    @classmethod
    def dataset_spec(cls, spec):
        cls.specs.append(dict(spec))
        return spec

    def accumulator(self):
        self.evaluations = getattr(self, "evaluations", 0) + 1
        acc, result, score = Accumulator(), Accumulator.result, 1.0 / self.evaluations
        acc.result = lambda: {**result(acc), "score": score}
        return acc


@pytest.fixture
def scored(monkeypatch):
    """``Scored`` registered, and both registries restored afterwards."""
    monkeypatch.setattr(base, "_RECIPES", dict(base._RECIPES))
    monkeypatch.setattr(metric_registry, "_METRICS", dict(metric_registry._METRICS))
    Scored.specs.clear()
    register(Scored)
    return Scored


def _improved(tmp_path, name="run"):
    doc, _, _ = open_document("lenet5")
    epochs = []
    engine.train(apply_preset(doc), {**RUN, "recipe": "scored-alias"},
                 out=str(tmp_path / name),
                 callback=lambda e: epochs.append(e) if e["event"] == "epoch" else None)
    assert [e["monitor"] for e in epochs] == ["val.score"] * 3
    return [e["improved"] for e in epochs]


def test_a_new_recipe_runs_through_its_hooks_and_ranks_by_the_registry(scored, tmp_path):
    metric_registry.register(Metric("score", MAX, "higher is better"))
    assert _improved(tmp_path, "max") == [True, False, False]  # the first score stays best
    assert scored.specs and scored.specs[0]["name"] == "digits"  # its dataset hook was asked
    metric_registry.register(Metric("score", MIN, "lower is better"))
    assert _improved(tmp_path, "min") == [True, True, True]


def test_the_engine_names_no_recipe():
    names = set(recipes())
    literals = {node.value for node in ast.walk(ast.parse(inspect.getsource(engine)))
                if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not names & literals


def test_aliases_are_declared_on_the_class_and_not_inherited():
    known = recipes()
    assert known["autoencoder"] is known["reconstruction"] is Reconstruction
    assert known["vae"] is VAE and "autoencoder" not in VAE.__dict__.get("aliases", ())
    assert list(known)[:2] == ["classification", "supervised"]  # the studio menu's order


def test_a_taken_recipe_name_is_refused(monkeypatch):
    monkeypatch.setattr(base, "_RECIPES", dict(base._RECIPES))

    class Clash(Recipe):
        kind = "clash-test"
        aliases = ("rbm",)

    with pytest.raises(ValueError, match="'rbm' is taken by ContrastiveDivergence"):
        register(Clash)


def test_default_monitors_are_registered_metrics():
    for cls in set(recipes().values()):
        if cls.default_monitor:
            split, _, key = cls.default_monitor.partition(".")
            assert split == "val" and metric_registry.lookup(key), cls.__name__
