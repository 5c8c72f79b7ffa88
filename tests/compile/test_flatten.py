"""The flat training module (studio.compile.flatten): the same numbers as the compiled module,
fewer Python calls, the compiled module's layers shared, mode-dependent nodes kept as calls."""
from __future__ import annotations

import pytest
import torch
from torch import fx, nn

from studio.compile.flatten import flat_module
from studio.core.templates import template_names
from support.template_checks import compile_on, configured, inputs_for, targets_for


def _networks():
    return [(name, net) for name in template_names() for net in configured(name).networks]


def _calls(module, *args) -> int:
    """How many nn.Module.__call__ a forward makes (a global hook counts them)."""
    count = [0]
    handle = nn.modules.module.register_module_forward_pre_hook(
        lambda *_: count.__setitem__(0, count[0] + 1))
    try:
        module(*args)
    finally:
        handle.remove()
    return count[0]


def _run(module, args, seed=0):
    """Training forward and backward from a fixed RNG state: losses, outputs, gradients."""
    torch.manual_seed(seed)
    module.zero_grad(set_to_none=True)
    out = module(*args)
    # a generator has no loss of its own: back-propagate from its outputs instead
    terms = list(out["losses"].values()) or [v.mean() for v in out["outputs"].values()]
    sum(terms).backward()
    grads = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    return out, grads


@pytest.mark.parametrize("name,network", _networks())
def test_every_template_flattens_to_the_same_step(name, network):
    compiled = compile_on(configured(name), network, training=True, seed=0)
    module = compiled.module.train()
    flat = flat_module(module)
    assert flat is not module, f"{name}/{network} was not flattened"
    # the same parameter and buffer objects under the same names: one set of weights
    assert dict(flat.named_parameters()) == dict(module.named_parameters())
    assert dict(flat.named_buffers()) == dict(module.named_buffers())
    inputs = inputs_for(compiled)
    args = [*inputs, *targets_for(compiled, inputs)]
    out_m, grads_m = _run(module, args)
    out_f, grads_f = _run(flat, args)
    for key in ("losses", "outputs"):
        assert out_f[key].keys() == out_m[key].keys()
        for k in out_m[key]:
            torch.testing.assert_close(out_f[key][k], out_m[key][k], rtol=0, atol=0)
    assert grads_f.keys() == grads_m.keys()
    for k in grads_m:
        torch.testing.assert_close(grads_f[k], grads_m[k], rtol=0, atol=0)
    calls = _calls(module, *args)
    # fewer calls, unless the network is nothing but its weighted layers (som-colours: input,
    # the map, output), where there is nothing to flatten away
    bare = 1 + sum(1 for m in module.modules() if m is not module
                   and next(m.parameters(recurse=False), None) is not None)
    assert _calls(flat, *args) < calls or calls == bare == _calls(flat, *args)


def test_only_layers_with_weights_stay_calls():
    compiled = compile_on(configured("lenet5"), "model", training=True, seed=0)
    flat = flat_module(compiled.module)
    called = [n.target for n in flat.graph.nodes if n.op == "call_module"]
    assert called == ["c1", "c3", "c5", "f6", "output"]  # tanh, pooling, flatten, loss: inlined


def test_a_block_is_traced_into():
    compiled = compile_on(configured("resnet18"), "model", training=True, seed=0)
    flat = flat_module(compiled.module)
    targets = {n.target for n in flat.graph.nodes if n.op == "call_module"}
    assert "layer2_0.conv1" in targets and "layer2_0" not in targets
    assert not any(isinstance(m, fx.GraphModule) for m in flat.children())


@pytest.mark.parametrize("name,node", [("alexnet", "dropout1"), ("vae", "z"),
                                       ("denoising-autoencoder", "noise")])
def test_mode_dependent_nodes_stay_calls_that_follow_eval(name, node):
    compiled = compile_on(configured(name), "model", training=True, seed=0)
    module = compiled.module
    flat = flat_module(module)
    called = [n.target for n in flat.graph.nodes if n.op == "call_module"]
    assert any(t.split(".")[-1] == node for t in called), called
    inputs = inputs_for(compiled)
    args = [*inputs, *targets_for(compiled, inputs)]
    module.eval()  # the engine switches the compiled module; the flat one follows
    with torch.no_grad():
        first, again = flat(*args), flat(*args)
        reference = module(*args)
    for k, v in reference["losses"].items():
        assert torch.equal(first["losses"][k], v) and torch.equal(again["losses"][k], v)


class _ValueDependent(nn.Module):
    """Python control flow on a tensor's value: fx cannot trace it."""

    def forward(self, x):
        return x * 2 if x.sum() > 0 else x


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc, self.branch = nn.Linear(3, 3), _ValueDependent()

    def forward(self, x):
        return self.branch(self.fc(x))


def test_an_untraceable_network_trains_unflattened():
    module = _Net()
    assert flat_module(module) is module


class _SideWeights(nn.Module):
    """A parameter the forward never reaches: the flat graph would drop it."""

    def __init__(self):
        super().__init__()
        self.fc, self.unused = nn.Linear(3, 3), nn.Linear(3, 3)

    def forward(self, x):
        return torch.relu(self.fc(x))


def test_a_network_with_unused_weights_trains_unflattened():
    module = _SideWeights()
    assert flat_module(module) is module


def test_flattening_leaves_every_module_in_its_mode():
    compiled = compile_on(configured("alexnet"), "model", training=True, seed=0)
    module = compiled.module.train()
    frozen = next(m for m in module.modules() if isinstance(m, nn.Dropout))
    frozen.eval()  # a mix of modes, as fine-tuning code may leave it
    modes = [m.training for m in module.modules()]
    flat_module(module)
    assert [m.training for m in module.modules()] == modes
