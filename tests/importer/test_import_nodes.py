"""Every catalogue node type that has a PyTorch module comes back from an import as itself.

For each registered test case of a layer type: build its module from the params, import that
module, and check the imported document holds one node of the same type with the same params,
and that the import's proof found identical outputs (the compiled document against the module).
"""
import math

import pytest
import torch
from torch import nn

import nodes
from nodes.base import LAYER, BuildContext, TensorSpec
from studio.importer import import_module

# Types whose module needs inputs a float example cannot give: Embedding reads token ids.
NOT_FLOAT_INPUT = {"recurrent.Embedding"}
# Types whose module is half of a pair: a TiedLinear's weight is its partner Linear's (the
# compiled network passes it in), so alone it has no weight to import as itself.
NEEDS_A_PARTNER = {"linear.TiedLinear"}
# Several inputs: the test feeds the one example to every port (shapes must then agree).
SAME_INPUT_TWICE = {"merge.Concat", "merge.Add", "merge.Multiply", "generative.Reparameterize"}


class _Twice(nn.Module):
    def __init__(self, inner, ports):
        super().__init__()
        self.inner, self.ports = inner, ports

    def forward(self, x):
        return self.inner(*([x] * self.ports))


class _Unpool(nn.Module):
    """MaxUnpool2d needs the indices of a pool: the pool comes first, with the same window."""

    def __init__(self, unpool):
        super().__init__()
        self.pool = nn.MaxPool2d(unpool.kernel_size, unpool.stride, unpool.padding,
                                 return_indices=True)
        self.unpool = unpool

    def forward(self, x):
        y, indices = self.pool(x)
        return self.unpool(y, indices)


def _cases():
    for t in nodes.all_types():
        if t.role != LAYER or t.build is None or t.id in NOT_FLOAT_INPUT | NEEDS_A_PARTNER:
            continue
        for i, (overrides, shapes) in enumerate(t.test_cases):
            yield pytest.param(t, overrides, shapes, id=f"{t.id}-{i}")


def _canonical(value):
    """Equal settings written alike: [3, 3] is 3, tuples are lists, floats to 6 digits."""
    if isinstance(value, (list, tuple)):
        values = [_canonical(v) for v in value]
        return values[0] if len(values) > 1 and len(set(map(repr, values))) == 1 else values
    if isinstance(value, float):
        return round(value, 6)
    return value


def _expected(node_type, params, specs) -> dict:
    expected = dict(params)
    if node_type.id == "merge.Split" and not expected["first_size"]:
        expected["first_size"] = math.ceil(specs[0].shape[expected["dim"]] / 2)
    if node_type.id.startswith("recurrent.") and expected.get("num_layers") == 1:
        expected["dropout"] = 0.0  # the node drops it: nothing to act on between layers
    return {k: _canonical(v) for k, v in expected.items()}


@pytest.mark.parametrize("node_type, overrides, shapes", list(_cases()))
def test_a_node_types_module_imports_back_as_itself(node_type, overrides, shapes):
    specs = [TensorSpec(tuple(s)) for s in shapes if not isinstance(s[1], str)]
    if node_type.id in SAME_INPUT_TWICE:
        specs = [specs[0]] * len(shapes)
    params = {**node_type.defaults(), **overrides}
    torch.manual_seed(0)
    module = node_type.build(BuildContext(params, list(specs)))
    if node_type.id in SAME_INPUT_TWICE:
        module = _Twice(module, len(specs))
    elif node_type.id == "pooling.MaxUnpool2d":
        module = _Unpool(module)
        specs = specs[:1]
    for buffer in module.buffers():  # batch-norm statistics that are not the defaults
        if buffer.is_floating_point():
            buffer.uniform_(0.5, 1.5)

    result = import_module(module, input_shape=specs[0].shape)

    graph = result.document.networks["model"]
    found = [n for n in graph.nodes.values() if n.type == node_type.id]
    assert len(found) == 1, [n.type for n in graph.nodes.values()]
    imported = {k: _canonical(v) for k, v in found[0].params.items()}
    if node_type.id == "module.Module":  # the class as Python names it, all its arguments
        import json
        assert imported["cls"].endswith(":" + params["cls"].rsplit(":", 1)[1])
        kwargs = json.loads(imported["kwargs"])
        assert json.loads(params["kwargs"]).items() <= kwargs.items()
    else:
        assert imported == _expected(node_type, params, specs)
    assert result.report.catalogue_share == 1.0 or node_type.id == "module.Module"
    assert result.report.max_abs_diff == 0.0  # the same operations: bit-identical outputs
