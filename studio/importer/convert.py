"""A recorded fx trace -> a flat list of :class:`Item`s: one future document node each.

Leaf module calls map to their catalogue type (``modules_map``) or become Module nodes; other
calls map through ``calls_map``. A call with no equivalent inside a submodule makes that
submodule a leaf (``Promote``: the caller traces again), so the smallest enclosing module becomes
one Module node; at the root it becomes a placeholder node naming the operation.
"""
from __future__ import annotations

import inspect
import json
import operator
import sys
from dataclasses import dataclass, field

import torch
from torch import fx, nn

import nodes
from studio.importer.calls_map import Alias, map_call
from studio.importer.export_map import map_aten
from studio.importer.modules_map import map_module
from studio.importer.patterns import is_token_expand, map_parameter_call
from studio.importer.trace import Trace

INPUT = "__input__"
CATALOGUE, MODULE, PLACEHOLDER = "catalogue", "module", "placeholder"
MAX_CONCAT = 4  # ports of merge.Concat: longer concatenations become a chain


@dataclass
class Item:
    name: str  # unique key (the fx node name, plus a suffix for chained parts)
    type_id: str
    params: dict
    inputs: list  # refs (item name or INPUT, output index or None), in port order
    scope: str  # module path the operation lives in ("" = the root)
    stem: str  # the node id's last part: "conv1" for a leaf, "add" for a function
    owner: str | None = None  # qualname of the module whose state_dict the node carries
    kind: str = CATALOGUE
    attrs: dict = field(default_factory=dict)  # node weight name -> model attribute path


@dataclass
class Converted:
    items: list
    outputs: list  # (name, ref) in the model's output order
    promote: set = field(default_factory=set)  # scopes to trace again as leaves
    notes: list = field(default_factory=list)


def module_reference(module: nn.Module) -> str | None:
    """``package.module:Class`` (or ``path/file.py:Class`` for a user's file) of ``module``'s
    class; None when no import can find it again (a class defined in a function, __main__)."""
    cls = type(module)
    if "." in cls.__qualname__ or cls.__module__ == "__main__":
        return None
    if cls.__module__.startswith("netstudio_user_"):
        file = getattr(sys.modules.get(cls.__module__), "__file__", None)
        return f"{file}:{cls.__name__}" if file else None
    return f"{cls.__module__}:{cls.__name__}"


def _jsonable(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return not isinstance(value, float) or value == value
    if isinstance(value, (list, tuple)):
        return all(_jsonable(v) for v in value)
    return False


def recover_kwargs(module: nn.Module) -> tuple[dict | None, str]:
    """The constructor keyword arguments of ``module``, read back from same-named attributes and
    checked by building a twin (same parameter and buffer names and shapes); (None, why) when
    they cannot be recovered."""
    cls = type(module)
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return None, "its constructor has no readable signature"
    kwargs, missing = {}, []
    for name, p in list(signature.parameters.items())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        value = getattr(module, name, inspect.Parameter.empty)
        if value is not inspect.Parameter.empty and _jsonable(value):
            kwargs[name] = list(value) if isinstance(value, tuple) else value
        elif p.default is inspect.Parameter.empty:
            missing.append(name)
    mine = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    if len(missing) > 1 or (missing and not mine):
        return None, f"constructor argument {missing[0]!r} is not stored on the module"
    # A size the module does not store (Swin's attention keeps no `dim`) is one of its
    # weights' sizes: each is tried, and only a twin with exactly the same weights counts.
    sizes = sorted({d for shape in mine.values() for d in shape}) if missing else [None]
    why = ""
    for size in sizes:
        trial = {**kwargs, **({missing[0]: size} if missing else {})}
        try:
            with torch.device("meta"):
                twin = cls(**trial)
        except Exception as e:  # noqa: BLE001 - the user's constructor
            why = f"rebuilding it failed ({type(e).__name__}: {e})"
            continue
        if {k: tuple(v.shape) for k, v in twin.state_dict().items()} == mine:
            return trial, ""
        why = "rebuilt from the recovered arguments it has other weights"
    if missing:
        why = f"constructor argument {missing[0]!r} is not stored on the module"
    return None, why


def _stem(name: str) -> str:
    base = name.rstrip("0123456789")
    return base[:-1] if base.endswith("_") and base != name else base or name


class _Converter:
    def __init__(self, trace: Trace, model):
        self.trace, self.values, self.model = trace, trace.values, model
        self.gm = trace.graph_module
        self.refs: dict[str, tuple] = {}  # fx node name -> ref
        self.out = Converted([], [])

    def ref(self, arg):
        return self.refs.get(arg.name) if isinstance(arg, fx.Node) else None

    def run(self) -> Converted:
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                self.refs[node.name] = (INPUT, None)
            elif node.op == "output":
                self._outputs(node.args[0])
            elif node.op == "call_module":
                self._module(node)
            elif node.op in ("call_function", "call_method"):
                self._call(node)
            elif node.op == "get_attr":
                pass  # a parameter used in code: its users have no mapping (promoted)
        return self.out

    def _outputs(self, result):
        if isinstance(result, dict):
            pairs = list(result.items())
        elif isinstance(result, (list, tuple)):
            pairs = [("y" if i == 0 else f"y{i + 1}", r) for i, r in enumerate(result)]
        elif isinstance(result, fx.Node) and isinstance(self.values.get(result.name), tuple):
            ref = self.ref(result)  # a layer's tuple output returned as it is: one per port
            pairs = [] if ref is None else [
                ("y" if i == 0 else f"y{i + 1}", (ref[0], i))
                for i in range(len(self.values[result.name]))]
            for name, r in pairs:
                self.out.outputs.append((name, r))
            return
        else:
            pairs = [("y", result)]
        for name, arg in pairs:
            ref = self.ref(arg)
            if ref is None:
                self.out.notes.append(f"output {name}: not a tensor computed by the network; "
                                      "left out")
                continue
            self.out.outputs.append((str(name), ref))

    def _add(self, node, type_id, params, args, owner=None, kind=CATALOGUE, stem=None):
        inputs = [self.ref(a) for a in args]
        item = Item(node.name, type_id, params, inputs, self.trace.scopes[node.name],
                    stem or _stem(node.name), owner, kind)
        self.out.items.append(item)
        self.refs[node.name] = (node.name, None)
        return item

    def _tensor_args(self, node) -> list | None:
        """The call's arguments when all are tensors of the graph (positional), else None.
        ``need_weights=False`` is what the MultiheadAttention node always passes."""
        if {k: v for k, v in node.kwargs.items() if (k, v) != ("need_weights", False)} or \
                not all(isinstance(a, fx.Node) and
                                  isinstance(self.values.get(a.name), torch.Tensor)
                                  for a in node.args):
            return None
        return list(node.args)

    def _module(self, node):
        if self.values.get(node.name) is None:
            return  # torch.export's shape guards: no value, nothing to compute
        module = self.gm.get_submodule(node.target)
        stem = node.target.rpartition(".")[2]
        args = self._tensor_args(node)
        mapped = map_module(module)
        value = self.values.get(node.name)
        if mapped and args is not None:
            type_id, params = mapped
            t = nodes.lookup(type_id)
            if len(args) <= len(t.inputs):
                self._add(node, type_id, params, args, node.target, stem=stem)
                return
        reference = module_reference(module)
        kwargs, why = recover_kwargs(module) if reference else (None, "its class cannot be "
                                                                "imported by name")
        if args is None or len(args) > 4:
            why = "it is called with arguments a Module node cannot pass (keywords or " \
                  "non-tensors)"
        elif not isinstance(value, torch.Tensor):
            why = "it returns more than one tensor"
        if why:
            self.out.notes.append(f"{node.target} ({type(module).__name__}): placeholder: {why}")
            self._add(node, f"placeholder.{type(module).__name__}",
                      {"cls": reference or type(module).__qualname__, "reason": why},
                      [a for a in node.args if self.ref(a) is not None], node.target,
                      PLACEHOLDER, stem)
            return
        self._add(node, "module.Module", {"cls": reference, "kwargs": json.dumps(kwargs)},
                  args, node.target, MODULE, stem)

    def _call(self, node):
        value = self.values.get(node.name)
        if node.target is operator.getitem and isinstance(node.args[0], fx.Node):
            source = self.refs.get(node.args[0].name)
            if source is not None and source[1] is None and isinstance(node.args[1], int) \
                    and isinstance(self.values.get(node.args[0].name), (tuple, list)):
                self.refs[node.name] = (source[0], node.args[1])
                return
        if not isinstance(value, (torch.Tensor, tuple, list)) or (
                not isinstance(value, torch.Tensor)
                and not all(isinstance(v, torch.Tensor) for v in value)):
            return  # sizes and other Python values: read by the calls that use them
        if is_token_expand(node):
            return  # read by the concatenation that prepends it (ClassToken)
        if not any(isinstance(self.values.get(a.name), torch.Tensor)
                   for a in node.all_input_nodes):
            self._unmapped(node, "it makes a tensor from no input (a constant)")
            return
        if self.trace.method == "export":
            mapped = map_aten(node, self.values)
        else:
            mapped = map_parameter_call(node, self.values) or map_call(node, self.values)
        if isinstance(mapped, Alias):
            self.refs[node.name] = self.ref(mapped.source)
            return
        if mapped is None or any(self.ref(a) is None for a in mapped.inputs):
            self._unmapped(node, "no catalogue node computes it")
            return
        if mapped.type_id == "merge.Concat" and len(mapped.inputs) > MAX_CONCAT:
            self._concat_chain(node, mapped)
            return
        item = self._add(node, mapped.type_id, mapped.params, mapped.inputs)
        item.attrs = mapped.attrs
        owner = getattr(mapped, "owner", None)
        if owner and self._owns_exactly(owner, mapped.attrs):
            # named and weighted like the layer the operator came from: conv1, bn1
            item.owner, item.attrs = owner, {}
            item.scope, _, item.stem = owner.rpartition(".")

    def _concat_chain(self, node, mapped):
        """cat(a, b, c, d, e, f) = cat(cat(a, b, c, d), e, f): same dim, same result."""
        pending, first, part = list(mapped.inputs), True, 1
        scope, stem = self.trace.scopes[node.name], _stem(node.name)
        previous = None
        while pending:
            take = MAX_CONCAT if first else MAX_CONCAT - 1
            group, pending = pending[:take], pending[take:]
            inputs = ([] if first else [previous]) + [self.ref(a) for a in group]
            name = node.name if not pending else f"{node.name}__part{part}"
            self.out.items.append(Item(name, "merge.Concat", dict(mapped.params), inputs,
                                       scope, stem))
            previous, first, part = (name, None), False, part + 1
        self.refs[node.name] = (node.name, None)

    def _owns_exactly(self, owner: str, attrs: dict) -> bool:
        try:
            keys = set(self.model.get_submodule(owner).state_dict())
        except AttributeError:
            return False
        return keys - {"num_batches_tracked"} == {p.rpartition(".")[2] for p in attrs.values()} \
            and all(p.rpartition(".")[0] == owner for p in attrs.values()) \
            and set(attrs) == {p.rpartition(".")[2] for p in attrs.values()}

    def _unmapped(self, node, why):
        scope = self.trace.scopes[node.name]
        target = getattr(node.target, "__name__", str(node.target))
        if scope and self.trace.method == "fx":  # export has no leaves to keep
            self.out.promote.add(scope)
            return
        self.out.notes.append(f"{node.name} ({target}): placeholder: {why}")
        self._add(node, f"placeholder.{target}", {"op": target, "reason": why},
                  [a for a in node.all_input_nodes if self.ref(a) is not None], kind=PLACEHOLDER)


def convert(trace: Trace, model) -> Converted:
    return _Converter(trace, model).run()
