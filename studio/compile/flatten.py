"""The module a training step calls: one flat fx graph over the network's weight-owning layers.

The compiled module keeps one submodule per document node, because hooks, names and the map
back to the canvas need them. A step through it pays Python for every node: an
``nn.Module.__call__`` for each activation, pooling, add and loss node, a second one inside
wrapper nodes (the recurrent node around its ``nn.LSTM``) and fx's error-reporting wrapper for
every block. A hand-written module of the same network calls ``F.relu`` and ``x + y`` instead.

:func:`flat_module` gives the training step the same: torch.fx traces through every module that
owns no parameters or buffers, so those become plain function calls, and keeps calls to the
layers that do own them (convolutions, linear, normalization, recurrent cores). The result shares
those layers with the compiled module (same parameter and buffer objects, same names), so the
optimizer, checkpoints, hooks and ``.train()``/``.eval()`` on the compiled module all still hold.

Tracing fixes the Python-level decisions of every inlined module, ``self.training`` among them.
The network is traced in train and in eval mode and every module whose trace differs (dropout,
noise) is kept as a call, so it keeps following the mode. A network that cannot be traced
(Python control flow on tensor values) or whose flat graph would not use every parameter is
trained through the compiled module itself.
"""
from __future__ import annotations

from torch import fx, nn


def _owns_state(module: nn.Module) -> bool:
    return any(True for _ in module.parameters(recurse=False)) or \
        any(True for _ in module.buffers(recurse=False))


class _Tracer(fx.Tracer):
    """Calls a module as a module when it owns state or ``keep`` holds it; traces into the rest."""

    def __init__(self, keep: set):
        super().__init__()
        self.keep = keep

    def is_leaf_module(self, m: nn.Module, qualified_name: str) -> bool:
        return id(m) in self.keep or _owns_state(m)


def _trace(module: nn.Module, keep: set, training: bool) -> fx.Graph:
    modes = [(m, m.training) for m in module.modules()]  # each one's, which may differ
    module.train(training)
    try:
        return _Tracer(keep).trace(module)
    finally:
        for m, mode in modes:
            m.training = mode


def _signature(node: fx.Node) -> tuple:
    # not format_node(): it counts a node's users, which differ before the code does
    return node.op, str(node.target), repr(node.args), repr(node.kwargs)


def _first_difference(a: fx.Graph, b: fx.Graph) -> fx.Node | None:
    """The first node of ``a`` that differs from ``b`` (op, target, arguments), or None."""
    nodes_a, nodes_b = list(a.nodes), list(b.nodes)
    for x, y in zip(nodes_a, nodes_b):
        if _signature(x) != _signature(y):
            return x
    if len(nodes_a) != len(nodes_b):
        return (nodes_a + nodes_b)[min(len(nodes_a), len(nodes_b))]
    return None


def _inlined_owner(root: nn.Module, node: fx.Node) -> nn.Module | None:
    """The innermost traced-through module the node came from (None: the root's own code)."""
    stack = list((node.meta.get("nn_module_stack") or {}).values())
    if node.op == "call_module" and stack and stack[-1][0] == node.target:
        stack.pop()  # the called layer itself: it behaves the same in both modes
    return root.get_submodule(stack[-1][0]) if stack else None


def flat_module(module: nn.Module) -> nn.Module:
    """A flat GraphModule computing ``module``'s training forward, sharing its layers; or
    ``module`` itself where flattening cannot be trusted (see the module docstring)."""
    keep: set = set()
    try:
        for _ in range(len(list(module.modules())) + 1):
            graph = _trace(module, keep, True)
            differs = _first_difference(graph, _trace(module, keep, False))
            if differs is None:
                break
            owner = _inlined_owner(module, differs)
            if owner is None or id(owner) in keep:
                return module
            keep.add(id(owner))
        else:
            return module
    except Exception:  # noqa: BLE001 - any tracing failure: train the unflattened module
        return module
    flat = fx.GraphModule(module, graph, class_name=type(module).__name__)
    if {id(p) for p in flat.parameters()} != {id(p) for p in module.parameters()} or \
            {id(b) for b in flat.buffers()} != {id(b) for b in module.buffers()}:
        return module
    flat.training = module.training  # (not .train(): that would reset the shared layers)
    return flat
