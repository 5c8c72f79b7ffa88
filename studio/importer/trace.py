"""Tracing a module with torch.fx while keeping its module hierarchy.

A custom tracer keeps catalogue-mappable modules (and torch's own layers) as leaves, walks into
everything else, and turns a submodule that fx cannot trace (data-dependent control flow,
unsupported Python) into a leaf too, so one bad layer costs one Module node, not the import.
The caller may force more leaves (modules whose code uses an operation with no catalogue
equivalent) and trace again.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import fx, nn
from torch.utils._pytree import tree_map

from studio.importer.modules_map import is_mappable
from studio.importer.result import ImportFailed


class _Retry(Exception):
    """A submodule failed to trace: trace again with it as a leaf."""

    def __init__(self, qualname: str, reason: str):
        super().__init__(qualname)
        self.qualname, self.reason = qualname, reason


class _Tracer(fx.Tracer):
    def __init__(self, leaves: set[str]):
        super().__init__()
        self.leaves = leaves

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return qualname in self.leaves or is_mappable(m) or super().is_leaf_module(m, qualname)

    def call_module(self, m, forward, args, kwargs):
        qualname = self.path_of_module(m)
        try:
            return super().call_module(m, forward, args, kwargs)
        except _Retry:
            raise
        except Exception as e:  # noqa: BLE001 - any failure inside user code: make it a leaf
            if self.is_leaf_module(m, qualname):
                raise
            raise _Retry(qualname, f"{type(e).__name__}: {e}") from e


@dataclass
class Trace:
    graph_module: fx.GraphModule
    scopes: dict  # fx node name -> module path it was created in ("" = the root)
    values: dict  # fx node name -> its value on the example input (fake tensors: shapes only)
    notes: list = field(default_factory=list)
    method: str = "fx"  # or "export": ATen operators from torch.export
    example: torch.Tensor | None = None

    def real_values(self) -> dict:
        """Every node's real value: only when a proof fails and must name the node."""
        return _record(self.graph_module, self.example)


def _first_line(text: str) -> str:
    return " ".join(str(text).split())[:300]


def trace(model: nn.Module, example: torch.Tensor, leaves: set[str]) -> Trace:
    """Trace ``model`` (fx) with ``leaves`` kept as calls, then run it once on ``example`` to
    record every node's value (tensors, sizes, tuples) for the mapping."""
    leaves, notes = set(leaves), []
    for _ in range(200):  # each retry adds one leaf; bounded in case a module keeps failing
        tracer = _Tracer(leaves)
        try:
            graph = tracer.trace(model)
        except _Retry as retry:
            leaves.add(retry.qualname)
            notes.append(f"{retry.qualname}: fx cannot trace it ({_first_line(retry.reason)}); "
                         "kept as one Module node")
            continue
        except Exception as e:  # noqa: BLE001 - the root itself cannot be traced
            return _export_trace(model, example, _first_line(f"{type(e).__name__}: {e}"))
        break
    else:
        raise ImportFailed(f"{type(model).__name__}: torch.fx kept failing in new submodules")
    gm = fx.GraphModule(tracer.root, graph, class_name=type(model).__name__)
    scopes = {}
    for node in graph.nodes:
        path, _ = tracer.node_name_to_scope.get(node.name, ("", None))
        if node.op == "call_module":
            path = node.target.rpartition(".")[0]  # a leaf call lives in its parent
        scopes[node.name] = path
    values = _record_shapes(gm, example)
    return Trace(gm, scopes, values, notes, example=example)


def _export_trace(model: nn.Module, example: torch.Tensor, fx_error: str) -> Trace:
    """torch.export where fx failed at the root (shape-dependent Python, assertions): ATen
    operators, parameters as ``get_attr``, the module path of each node in its metadata."""
    name = type(model).__name__
    try:
        program = torch.export.export(model, (example,), strict=False)
    except Exception as e:  # noqa: BLE001
        raise ImportFailed(f"{name}: torch.fx cannot trace it ({fx_error}) and torch.export "
                           f"cannot either ({_first_line(f'{type(e).__name__}: {e}')})") from None
    gm = program.module()
    scopes = {}
    for node in gm.graph.nodes:
        stack = list((node.meta.get("nn_module_stack") or {}).values())
        path = stack[-1][0] if stack else ""
        if path and is_mappable(model.get_submodule(path)):
            path = path.rpartition(".")[0]  # a layer's own operator lives in its parent
        scopes[node.name] = path
    notes = [f"torch.fx cannot trace it ({fx_error}); imported from torch.export instead"]
    return Trace(gm, scopes, _record(gm, example), notes, method="export", example=example)


class _Recorder(fx.Interpreter):
    def __init__(self, gm):
        super().__init__(gm)
        self.values = {}

    def run_node(self, n):
        result = super().run_node(n)
        if n.op == "get_attr":  # the model's own tensor, real even in fake mode
            self.values[n.name] = result
            return result
        # a copy: a later in-place operation (relu_, +=) must not change what was recorded
        self.values[n.name] = tree_map(
            lambda v: v.detach().clone() if isinstance(v, torch.Tensor) else v, result)
        return result


def _record_shapes(gm: fx.GraphModule, example: torch.Tensor) -> dict:
    """Every node's value as a fake tensor (shape and dtype, no arithmetic): the mapping
    needs no more, and it saves a forward pass; code that reads values (``if x.sum() > 0``)
    gets a real run instead."""
    from torch._subclasses.fake_tensor import FakeTensorMode
    mode = FakeTensorMode(allow_non_fake_inputs=True)
    recorder = _Recorder(gm)
    try:
        with mode, torch.no_grad():
            recorder.run(mode.from_tensor(example))
    except Exception:  # noqa: BLE001 - data-dependent code: record real values
        return _record(gm, example)
    return recorder.values


def _record(gm: fx.GraphModule, example: torch.Tensor) -> dict:
    recorder = _Recorder(gm)
    try:
        with torch.no_grad():
            recorder.run(example)
    except Exception as e:  # noqa: BLE001
        raise ImportFailed(f"running the traced model on an input of shape "
                           f"{tuple(example.shape)} failed: {_first_line(f'{type(e).__name__}: {e}')}"
                           " (is --input right?)") from None
    return recorder.values
