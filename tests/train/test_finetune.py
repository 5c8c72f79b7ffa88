"""Fine-tuning an imported torchvision model, the way the README tells a user to: import
``torchvision:resnet18`` with fixed random weights, keep its stem and first stage as the frozen
backbone, give it a new 3-class head for the bundled shapes data and train 2 epochs from the
imported weights. The frozen weights and batch-norm buffers come out bit-identical to the
imported ones (frozen batch norm runs in evaluation mode), the head has learned, and the
accuracy is above chance.

Why the first stage only: with random weights the deeper stages pool a 32×32 image into 512
numbers that a 3-class probe does not separate in 2 epochs (it stays near chance), while the
first stage keeps where things are; cutting a pretrained backbone early is a common transfer
recipe too, and it keeps the test to seconds.
"""
from __future__ import annotations

import pytest
import torch

import nodes
from studio.core.edits import delete_op
from studio.core.document import Edge
from studio.core.ops import Connect, SetParams, SetTraining
from studio.core.serialize import load
from studio.importer import import_model, write_import
from studio.train.engine import Trainer
from studio.train.init_weights import absolute_override

LATER_STAGES = ("layer2_0", "layer2_1", "layer3_0", "layer3_1", "layer4_0", "layer4_1",
                "avgpool")


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """``netstudio import torchvision:resnet18 --input 1x3x32x32 -o r18.nnet.json``."""
    torch.manual_seed(0)
    result = import_model("torchvision:resnet18", input_shape=(1, 3, 32, 32))
    doc_path, _ = write_import(result, tmp_path_factory.mktemp("import") / "r18.nnet.json")
    return result, doc_path


def _open(doc_path):
    doc, diagnostics = load(doc_path)
    assert not [d for d in diagnostics if d.severity == "error"]
    return doc


def test_imported_classifier_trains_as_it_is(imported):
    """The importer wired the label Target and the loss: nothing to add before training."""
    doc = _open(imported[1])
    graph = doc.networks["model"]
    types = {n.type for n in graph.nodes.values()}
    assert {"io.Target", "loss.CrossEntropy"} <= types
    assert doc.training["recipe"] == "classification"


def test_imported_torchvision_model_fine_tunes_with_a_frozen_backbone(imported, tmp_path):
    result, doc_path = imported
    doc = _open(doc_path)
    graph = doc.networks["model"]
    delete_op(doc, "model", LATER_STAGES).apply(doc)  # the head now reads the first stage
    Connect("model", Edge(("layer1_1", "y"), ("flatten", "x"))).apply(doc)
    SetParams("model", "fc", {"out_features": 3}).apply(doc)  # 1000 classes -> 3 shapes
    backbone = [n.id for n in graph.nodes.values() if n.id != "fc" and
                nodes.lookup(n.type).role in (nodes.LAYER, nodes.BLOCK)]
    SetTraining("model", {
        "freeze": backbone, "epochs": 2, "batch_size": 16,
        "dataset": {"name": "shapes", "channels": 3, "size": 32, "count": 2000},
        "optimizer": {"name": "adam", "lr": 0.01}}).apply(doc)

    trainer = Trainer(doc, {"device": "cpu", **absolute_override(doc.training, doc_path.parent)},
                      out=str(tmp_path / "runs"))
    trainer.setup()
    net = trainer.nets["model"].module
    head_before = net.fc.weight.detach().clone()
    outcome = trainer.run()

    assert outcome.status == "finished" and outcome.epoch == 2
    frozen = {k: v for k, v in net.state_dict().items() if not k.startswith("fc.")}
    assert any(k.endswith("running_mean") for k in frozen)
    assert all(not p.requires_grad for k, p in net.named_parameters() if not k.startswith("fc."))
    for key, value in frozen.items():  # weights and statistics, untouched by 2 epochs
        assert torch.equal(value, result.state_dict[key]), key
    assert not torch.equal(net.fc.weight.detach(), head_before)
    assert outcome.metrics["val"]["accuracy"] > 0.5  # 3 classes: chance is 1/3
    assert any("fresh layers (shape changed or not in the file): fc" in n for n in trainer.notes)
    assert any("frozen batch norm layers run in evaluation mode" in n and "layer1_0.bn1" in n
               for n in trainer.notes)
