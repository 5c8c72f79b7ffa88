"""The studio hands its inferred shapes to the training child (issue 19): set-up compiles from
them without building a single module for shape inference, and compiles the same network."""
import json

import pytest
import torch

from studio.core.shapes import ShapeInference
from studio.core.templates import open_document
from studio.core.variables import apply_preset
from studio.train.engine import Trainer


@pytest.mark.parametrize("name", ["lenet5", "resnet18"])  # plain, and blocks inside blocks
def test_set_up_with_the_studios_shapes_infers_nothing_again(name, tmp_path):
    doc = apply_preset(open_document(name)[0])
    studio = ShapeInference()
    # through JSON, as across the process boundary
    entries = json.loads(json.dumps(studio.entries_for(doc)))
    assert entries and studio.runs > 0
    overrides = {"device": "cpu", "limit": 16, "batch_size": 8}
    handed = Trainer(doc, overrides, out=str(tmp_path / "a"), shapes=entries)
    handed.setup()
    assert handed.inference.runs == 0  # every node's shape came from the studio
    alone = Trainer(doc, overrides, out=str(tmp_path / "b"))
    alone.setup()
    assert alone.inference.runs > 0
    for net in handed.nets:  # the same network, the same seeded weights
        a = handed.nets[net].compiled.module.state_dict()
        b = alone.nets[net].compiled.module.state_dict()
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a)


def test_entries_that_do_not_apply_are_never_read():
    doc = apply_preset(open_document("mlp")[0])
    entries = ShapeInference().entries_for(doc)
    doc.variables["hidden1"] = 48  # another width than the studio inferred
    child = ShapeInference()
    child.seed(entries)
    shapes = child.infer(doc, "model")
    assert child.runs > 0 and not shapes.diagnostics
    widths = [s.shape[-1] for outs in shapes.outputs.values() for s in outs.values() if s.shape]
    assert 48 in widths
