"""Fine-tuning an imported model, the way the README tells a user to: import a model with fixed
random weights, give it a 3-class head for the bundled shapes data, freeze the backbone and train
2 epochs from the imported weights. The frozen weights come out bit-identical to the imported
ones, the head has learned, and the accuracy is above chance.

The model is a small user module (``python:`` source) rather than a torchvision network: with
random weights a linear probe needs features that keep where things are (a torchvision
backbone pools them away and its frozen batch norm statistics still move in training mode),
and it keeps the test to seconds. bench/import.py covers the torchvision zoo.
"""
from __future__ import annotations

import torch

import nodes
from studio.core.builder import GraphBuilder
from studio.core.ops import SetParams, SetTraining
from studio.core.serialize import load
from studio.importer import import_model, write_import
from studio.train.engine import Trainer
from studio.train.init_weights import absolute_override


TINY = """
from torch import nn


class TinyNet(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(16 * 16 * 16, classes)

    def forward(self, x):
        return self.fc(self.flatten(self.features(x)))
"""


def test_imported_model_fine_tunes_with_a_frozen_backbone(tmp_path):
    (tmp_path / "tiny.py").write_text(TINY, encoding="utf-8")
    torch.manual_seed(0)
    result = import_model(f"python:{tmp_path / 'tiny.py'}:TinyNet", input_shape=(1, 3, 32, 32),
                          trust=True)
    doc_path, _ = write_import(result, tmp_path / "tiny.nnet.json")
    doc, _ = load(doc_path)
    graph = doc.networks["model"]
    head = next(n for n in graph.nodes.values() if n.type == "linear.Linear")
    SetParams("model", head.id, {"out_features": 3}).apply(doc)  # 10 classes -> 3 shapes
    b = GraphBuilder(doc)  # a classification loss on the logits, as a user wires it
    logits = next(e.src for e in graph.edges if graph.nodes[e.dst[0]].type == "io.Output")
    b.add("loss.CrossEntropy", logits, b.add("io.Target", name="label", dtype="int64",
                                             shape=[], field="label"))
    backbone = [n.id for n in graph.nodes.values() if n.id != head.id and
                nodes.lookup(n.type).role in (nodes.LAYER, nodes.BLOCK)]
    SetTraining("model", {
        "recipe": "classification", "freeze": backbone, "epochs": 2, "batch_size": 32,
        "dataset": {"name": "shapes", "channels": 3, "size": 32, "count": 2000},
        "optimizer": {"name": "adam", "lr": 0.01}}).apply(doc)

    trainer = Trainer(doc, {"device": "cpu", **absolute_override(doc.training, tmp_path)},
                      out=str(tmp_path / "runs"))
    trainer.setup()
    net = trainer.nets["model"].module
    head_before = net.get_submodule(head.id).weight.detach().clone()
    outcome = trainer.run()

    assert outcome.status == "finished" and outcome.epoch == 2
    frozen = {k: v for k, v in net.named_parameters() if not k.startswith(head.id + ".")}
    assert frozen and all(not p.requires_grad for p in frozen.values())
    for key, value in frozen.items():  # the imported weights, untouched by 2 epochs
        assert torch.equal(value.detach(), result.state_dict[key]), key
    assert not torch.equal(net.get_submodule(head.id).weight.detach(), head_before)
    assert outcome.metrics["val"]["accuracy"] > 0.5  # 3 classes: chance is 1/3
    assert any(f"fresh layers (shape changed or not in the file): {head.id}" in n
               for n in trainer.notes)
