"""The declarative shape of a node type: ports, a param schema, and ``build``.

A node type never asks the user for ``in_channels`` / ``in_features``: ``build`` receives the
incoming :class:`TensorSpec` list and reads sizes from it (like ``LazyLinear``). ``build`` returns
an ``nn.Module`` whose ``forward`` takes the input ports positionally and returns one tensor, or a
tuple in output-port order when the type has several outputs.

Modules are made through :func:`ctor` so the code exporter can write them back as constructor
calls (``nn.Conv2d(1, 6, kernel_size=5)``) without guessing from ``repr``.
"""
from __future__ import annotations

import functools
import inspect
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

# Roles decide how the compiler and the trainer treat a node.
LAYER, INPUT, TARGET, OUTPUT, LOSS, BLOCK, BLOCK_INPUT, BLOCK_OUTPUT = (
    "layer", "input", "target", "output", "loss", "block", "block_input", "block_output")

PARAM_KINDS = ("int", "float", "bool", "choice", "ints", "shape", "str", "block", "floats")


@dataclass(frozen=True)
class TensorSpec:
    """Shape (batch first) and dtype of one tensor flowing along an edge."""

    shape: tuple[int, ...]
    dtype: str = "float32"

    def label(self) -> str:
        """``N×6×28×28``: the batch dimension is symbolic for the user."""
        dims = ["N", *map(str, self.shape[1:])] if self.shape else ["scalar"]
        text = "×".join(dims)
        return text if self.dtype == "float32" else f"{text} {self.dtype}"

    def to_json(self) -> dict:
        return {"shape": list(self.shape), "dtype": self.dtype}


@dataclass(frozen=True)
class Param:
    """One entry of a node type's param schema; the inspector is generated from these."""

    name: str
    kind: str
    default: Any
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    length: int | None = None  # for "ints": how many values a tuple form holds

    def __post_init__(self):
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"param {self.name}: unknown kind {self.kind!r}")

    def expectation(self) -> str:
        """What a valid value looks like, for messages: ``int >= 1``."""
        bounds = []
        if self.min is not None:
            bounds.append(f">= {self.min:g}")
        if self.max is not None:
            bounds.append(f"<= {self.max:g}")
        if self.kind == "choice":
            return "one of " + ", ".join(map(repr, self.choices))
        if self.kind == "ints":
            base = f"int or list of {self.length} ints" if self.length else "int or list of ints"
        elif self.kind == "shape":
            base = "list of ints"
        elif self.kind == "floats":
            base = "list of numbers"
        else:
            base = {"float": "number", "block": "block name"}.get(self.kind, self.kind)
        return " ".join([base, *bounds])


@dataclass(frozen=True)
class Port:
    name: str
    doc: str = ""
    optional: bool = False


@dataclass
class BuildContext:
    """What ``build`` sees: resolved params and the incoming tensor specs (None for an open
    optional port)."""

    params: dict
    inputs: list

    def __getitem__(self, name):
        return self.params[name]

    @property
    def x(self) -> TensorSpec:
        return self.inputs[0]

    @property
    def in_channels(self) -> int:
        return self.inputs[0].shape[1]

    @property
    def in_features(self) -> int:
        return self.inputs[0].shape[-1]


@dataclass(frozen=True)
class NodeType:
    """A node type: id, title, category, a one-line doc, ports, params and a builder."""

    id: str
    title: str
    category: str
    doc: str
    inputs: tuple[Port, ...] = (Port("x"),)
    outputs: tuple[Port, ...] = (Port("y"),)
    params: tuple[Param, ...] = ()
    build: Callable[[BuildContext], Any] | None = None
    role: str = LAYER
    aliases: tuple[str, ...] = ()
    summary: tuple[str, ...] = ()  # params shown in the node's one-line summary
    shape_doc: str = ""  # the shape contract, e.g. "(N, C, H, W) -> (N, out_channels, H', W')"
    test_cases: tuple = field(default=())  # ((params, [input shapes]), ...) for the registry test
    # "elementwise": output spec = input spec, validity depends on rank and dtype only;
    # "channelwise": the same, but dimension 1 (channels/features) matters too. Shape inference
    # then runs the module on a tiny stand-in of the input (much faster than a meta run of
    # batch norm); the registry test checks the claim against a real forward.
    same_shape: str = ""
    # The axis of input 0 that is a sequence of steps the module walks one by one (recurrent
    # layers: 1). Shape inference then runs one step, since a meta run costs Python time per
    # step, and gives that length back to every output of input 0's rank; the registry test
    # checks the claim against real forwards of several lengths.
    steps_axis: int | None = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def input_names(self) -> list[str]:
        return [p.name for p in self.inputs]

    def output_names(self) -> list[str]:
        return [p.name for p in self.outputs]


def ctor(cls, *args, **kwargs):
    """Instantiate ``cls`` and remember the call, so exported code can write it out again."""
    module = _on_meta(cls, args, kwargs) if getattr(_meta, "on", False) else cls(*args, **kwargs)
    object.__setattr__(module, "_ns_ctor", (cls, args, kwargs))
    return module


_meta = threading.local()


@contextmanager
def thread_flag(flag: threading.local):
    """``flag.on`` is True inside, on this thread only; nested uses restore what was."""
    before = getattr(flag, "on", False)
    flag.on = True
    try:
        yield
    finally:
        flag.on = before


def built_on_meta():
    """Modules made through :func:`ctor` on this thread have their tensors on the meta device
    (shape inference: sizes known, nothing allocated)."""
    return thread_flag(_meta)


def _on_meta(cls, args, kwargs):
    import torch  # already imported by whoever asked for a module
    if _takes_device(cls):
        # torch.nn's layers take the device as a factory argument, which costs nothing; a
        # device context would intercept every torch call of the constructor in Python
        # (a third of building a Conv2d)
        return cls(*args, device="meta", **kwargs)
    with torch.device("meta"):  # any other class, and what it builds inside
        return cls(*args, **kwargs)


@functools.cache
def _takes_device(cls) -> bool:
    if not cls.__module__.startswith("torch.nn."):
        return False  # a class of ours or a user's: ``device`` may mean something else there
    try:
        return "device" in inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return False


def pair_or_int(value):
    """Params of kind ``ints`` arrive as int or list; torch takes int or tuple."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


_REGISTRY: dict[str, NodeType] = {}
_ALIASES: dict[str, str] = {}


def register(*types: NodeType) -> None:
    for t in types:
        if t.id in _REGISTRY:
            raise ValueError(f"node type {t.id} registered twice")
        _REGISTRY[t.id] = t
        for alias in t.aliases:
            _ALIASES[alias] = t.id


def lookup(type_id: str) -> NodeType | None:
    """The node type for an id or a legacy alias; None when unknown (a placeholder node)."""
    return _REGISTRY.get(type_id) or _REGISTRY.get(_ALIASES.get(type_id, ""))


def all_types() -> Sequence[NodeType]:
    return list(_REGISTRY.values())


def role_of(type_id: str) -> str | None:
    """The role of the type ``type_id`` (aliases followed); None for an unknown type. Code that
    treats nodes differently asks this, never the spelling of the id."""
    t = lookup(type_id)
    return t.role if t else None


# What moves data into, out of and between networks and blocks, and what scores it: nothing in
# these to watch train or to look into.
_NOT_LAYERS = frozenset({INPUT, TARGET, OUTPUT, LOSS, BLOCK_INPUT, BLOCK_OUTPUT})


def is_inspectable(type_id: str) -> bool:
    """True for a node whose weights and outputs are worth looking into: layers and blocks. An
    unknown type (a placeholder) counts, so a missing node is never hidden."""
    return role_of(type_id) not in _NOT_LAYERS
