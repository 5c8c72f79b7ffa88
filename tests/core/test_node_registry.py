"""Every registered node type against the real thing: its inferred output specs (meta tensors)
must equal a real CPU forward, and its schema must be well formed.

The test cases live on the node types themselves (``NodeType.test_cases``), so a new type is
covered by adding cases next to its definition.
"""
import inspect

import pytest
import torch

import nodes
from nodes.base import (BLOCK, BLOCK_INPUT, BLOCK_OUTPUT, INPUT, OUTPUT, TARGET, BuildContext,
                        TensorSpec, built_on_meta)
from studio.core.meta import infer_node_outputs, spec_of

# These roles have no build: the compiler and shape inference treat them specially.
UNBUILT_ROLES = {BLOCK, INPUT, TARGET, BLOCK_INPUT, BLOCK_OUTPUT}
FORBIDDEN_PARAMS = {"in_channels", "in_features", "input_size", "num_features"}
# io.py belongs to the lead; strict, so this fails (and must be removed) once it gains a case.
ALL = nodes.all_types()
BUILT = [t for t in ALL if t.role not in UNBUILT_ROLES]


def _spec(shape) -> TensorSpec:
    """A test-case input: ``(2, 3)`` is float32, ``((2, 3), "int64")`` names its dtype."""
    if len(shape) == 2 and isinstance(shape[1], str):
        return TensorSpec(tuple(shape[0]), shape[1])
    return TensorSpec(tuple(shape))


def _cases():
    for t in BUILT:
        for i, (overrides, shapes) in enumerate(t.test_cases):
            yield pytest.param(t, overrides, [_spec(s) for s in shapes], id=f"{t.id}-{i}")


def _random_input(spec: TensorSpec, type_id: str) -> torch.Tensor:
    if spec.dtype == "int64":  # 0..1: valid class indices, token ids and unpool indices
        return torch.randint(0, 2, spec.shape)
    x = torch.randn(spec.shape, dtype=getattr(torch, spec.dtype))
    # BCE needs probabilities (input and target); shapes are unaffected.
    return torch.sigmoid(x) if type_id.startswith("loss.BCE") else x


@pytest.mark.parametrize("node_type, overrides, specs", list(_cases()))
def test_inferred_specs_match_a_real_forward(node_type, overrides, specs):
    params = {**node_type.defaults(), **overrides}
    inferred = infer_node_outputs(node_type, params, specs)

    torch.manual_seed(0)
    module = node_type.build(BuildContext(params, list(specs))).eval()
    with torch.no_grad():
        result = module(*[_random_input(s, node_type.id) for s in specs])
    real = [spec_of(result)] if isinstance(result, torch.Tensor) else [spec_of(r) for r in result]

    assert inferred == real
    if node_type.role != OUTPUT:  # an Output node is a sink: no ports, its input passes through
        assert len(real) == len(node_type.outputs), "one tensor per output port, in port order"


@pytest.mark.parametrize("node_type, overrides, specs", list(_cases()))
def test_case_matches_the_schema(node_type, overrides, specs):
    """A misspelt override would silently test the default; a wrong input count, nothing."""
    assert set(overrides) <= {p.name for p in node_type.params}
    required = [p for p in node_type.inputs if not p.optional]
    assert len(required) <= len(specs) <= len(node_type.inputs)


@pytest.mark.parametrize("node_type, overrides, specs", list(_cases()))
def test_module_is_recorded_for_export(node_type, overrides, specs):
    """Built through ``ctor`` with plain arguments, so exported code can re-create it."""
    params = {**node_type.defaults(), **overrides}
    module = node_type.build(BuildContext(params, list(specs)))
    cls, args, kwargs = module._ns_ctor
    assert all(_is_plain(a) for a in [*args, *kwargs.values()]), module._ns_ctor
    if not cls.__module__.startswith("torch.nn"):
        # Exported code copies custom classes by source under `import torch; from torch import nn`.
        namespace = {"torch": torch, "nn": torch.nn}
        exec(inspect.getsource(cls), namespace)
        cls = namespace[cls.__name__]
    again = cls(*args, **kwargs)
    assert {k: v.shape for k, v in again.state_dict().items()} == \
        {k: v.shape for k, v in module.state_dict().items()}


@pytest.mark.parametrize("node_type, overrides, specs", list(_cases()))
def test_built_for_shapes_allocates_nothing(node_type, overrides, specs):
    """Shape inference sizes a node before any weight exists (a hostile width must become a
    budget diagnostic, not an allocation): every tensor built for it is on the meta device,
    whether torch's class took the device as an argument or a context placed it there."""
    params = {**node_type.defaults(), **overrides}
    with built_on_meta():
        module = node_type.build(BuildContext(params, list(specs)))
    tensors = {name: t.device.type for name, t in
               [*module.named_parameters(), *module.named_buffers()]}
    assert all(device == "meta" for device in tensors.values()), tensors
    # and what was recorded for export is the call as written, without the device
    assert "device" not in module._ns_ctor[2]


def _is_plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(map(_is_plain, value))
    return value is None or isinstance(value, (bool, int, float, str))


@pytest.mark.parametrize("node_type", BUILT, ids=lambda t: t.id)
def test_every_built_type_has_two_cases(node_type):
    assert len(node_type.test_cases) >= 2


@pytest.mark.parametrize("node_type", ALL, ids=lambda t: t.id)
def test_type_is_documented(node_type):
    assert node_type.doc.strip() and "\n" not in node_type.doc, "a one-line doc"
    assert node_type.category.strip() and node_type.title.strip()
    assert node_type.id.count(".") == 1, "ids are family.Name"
    assert set(node_type.summary) <= {p.name for p in node_type.params}
    assert (node_type.build is None) == (node_type.role in UNBUILT_ROLES)


@pytest.mark.parametrize("node_type", ALL, ids=lambda t: t.id)
def test_sizes_come_from_inputs_not_params(node_type):
    assert not FORBIDDEN_PARAMS & {p.name for p in node_type.params}


def test_ids_and_aliases_are_unique():
    ids = [t.id for t in ALL]
    aliases = [a for t in ALL for a in t.aliases]
    assert len(set(ids)) == len(ids)
    assert len(set(aliases)) == len(aliases) and not set(aliases) & set(ids)
    assert all(nodes.lookup(i).id == i for i in ids)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _default_is_valid(p) -> bool:
    v = p.default
    if p.kind == "choice":
        return v in p.choices
    if p.kind in ("str", "block"):
        return isinstance(v, str)
    if p.kind == "bool":
        return isinstance(v, bool)
    if p.kind == "int":
        values = [v] if _is_int(v) else None
    elif p.kind == "float":
        values = [v] if _is_number(v) else None
    elif p.kind == "ints":
        values = [v] if _is_int(v) else list(v) if isinstance(v, list) and all(
            map(_is_int, v)) and (p.length is None or len(v) == p.length) else None
    elif p.kind == "shape":
        values = list(v) if isinstance(v, list) and all(map(_is_int, v)) else None
        values = values and [x for x in values if x != -1]  # -1 means "inferred"
    elif p.kind == "floats":
        values = list(v) if isinstance(v, list) and all(map(_is_number, v)) else None
    else:
        return False
    return values is not None and all(
        (p.min is None or x >= p.min) and (p.max is None or x <= p.max) for x in values)


@pytest.mark.parametrize("node_type", ALL, ids=lambda t: t.id)
def test_param_defaults_fit_their_schema(node_type):
    names = [p.name for p in node_type.params]
    assert len(set(names)) == len(names)
    for p in node_type.params:
        assert _default_is_valid(p), f"{node_type.id}.{p.name}: default {p.default!r} is not " \
                                     f"{p.expectation()}"
        assert p.doc.strip(), f"{node_type.id}.{p.name} has no doc"
        if p.kind == "choice":
            assert p.choices


# Semantics a shape comparison cannot see.

def _build(type_id, specs, **overrides):
    t = nodes.lookup(type_id)
    return t.build(BuildContext({**t.defaults(), **overrides}, [TensorSpec(s) for s in specs]))


@pytest.mark.parametrize("cell", ["RNN", "GRU", "LSTM"])
def test_recurrent_last_is_the_final_state_of_each_direction(cell):
    module = _build(f"recurrent.{cell}", [(2, 5, 3)], hidden_size=4, num_layers=2,
                    bidirectional=True).eval()
    sequence, last = module(torch.randn(2, 5, 3))
    # forward direction ends at the last step, the backward one at the first
    assert torch.allclose(last, torch.cat([sequence[:, -1, :4], sequence[:, 0, 4:]], dim=1))


def test_stochastic_layers_are_identity_in_eval_only():
    x = torch.randn(3, 4)
    noise = _build("generative.GaussianNoise", [(3, 4)], std=1.0)
    assert torch.equal(noise.eval()(x), x) and not torch.equal(noise.train()(x), x)
    sample = _build("generative.Reparameterize", [(3, 4), (3, 4)])
    assert torch.equal(sample.eval()(x, x), x) and not torch.equal(sample.train()(x, x), x)


def test_loss_terms_are_weighted():
    mu, logvar = torch.randn(3, 4), torch.randn(3, 4)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / 3
    assert torch.allclose(_build("loss.KLStandardNormal", [(3, 4)] * 2, weight=2.0)(mu, logvar),
                          2 * kl)
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    assert torch.allclose(_build("loss.MSE", [(3, 4)] * 2, weight=0.5)(a, b),
                          0.5 * torch.nn.functional.mse_loss(a, b))


@pytest.mark.parametrize("type_id, specs, overrides, param", [
    ("merge.Concat", [(2, 3), (2, 3)], {"dim": 0}, "dim"),
    ("merge.Split", [(2, 4)], {"first_size": 4}, "first_size"),
    ("reshape.Permute", [(2, 3, 4)], {"dims": [1, 1]}, "dims"),
    ("norm.LayerNorm", [(2, 3)], {"dims": 2}, "dims"),
    ("pooling.GlobalAvgPool", [(2, 3)], {}, "input"),
])
def test_bad_params_name_the_param(type_id, specs, overrides, param):
    with pytest.raises(ValueError, match=f"^{param}: expected .* received"):
        _build(type_id, specs, **overrides)
