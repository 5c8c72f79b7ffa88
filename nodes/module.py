"""The Module node: a layer that has no catalogue equivalent, kept as a reference to its
importable class (``package.module:Class`` or ``path/to/file.py:Class``) and its constructor
keyword arguments, so an imported network is never silently changed.

Its shapes are inferred on meta like every node's. Building it imports code, so code from
outside torch and torchvision is imported only once the user trusts it (:func:`trust`; the CLI's
``--trust``, the studio's dialog): a document opened from elsewhere must not run code by being
opened. Until then the node carries a diagnostic naming the import that is needed.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import sys
from pathlib import Path

import torch
from torch import nn
from torch.utils._pytree import tree_map

from nodes.base import NodeType, Param, Port, ctor, register

# Installed libraries the studio itself depends on: importing their modules runs no user code.
ALWAYS_TRUSTED = ("torch", "torchvision")
_trusted: set[str] = set()  # class references ("pkg.mod:Class") the user agreed to import


def trust(*references: str) -> None:
    """Allow the classes ``references`` (``pkg.mod:Class`` or ``file.py:Class``) to be built."""
    _trusted.update(references)


def untrust(*references: str) -> None:
    _trusted.difference_update(references)


@contextlib.contextmanager
def trusting(*references: str):
    """Trust ``references`` for the duration of a ``with`` block (tests, one import)."""
    new = [r for r in references if r not in _trusted]
    trust(*new)
    try:
        yield
    finally:
        untrust(*new)


def is_trusted(reference: str) -> bool:
    where = reference.rpartition(":")[0]
    root = where.split(".")[0]
    return reference in _trusted or (root in ALWAYS_TRUSTED and not where.endswith(".py"))


def file_module_name(path: str) -> str:
    """The name a user's Python file is imported under: derived from its absolute path, so the
    importer and a Module node referencing ``path:Class`` find the same module."""
    return "netstudio_user_" + "".join(c if c.isalnum() else "_" for c in str(Path(path).resolve()))


def _load_file(path: str):
    name = file_module_name(path)
    if name in sys.modules:
        return sys.modules[name]
    if not Path(path).is_file():
        raise ValueError(f"cls: the file {path} is missing")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules[name]
        raise ValueError(f"cls: importing {path} failed: {type(e).__name__}: {e}") from None
    return module


def resolve_class(reference: str) -> type:
    """The ``nn.Module`` subclass ``reference`` names; ValueError (a node diagnostic) naming
    the import when it is untrusted, missing, or not a module class."""
    where, colon, name = str(reference).rpartition(":")
    if not colon or not where or not name.isidentifier():
        raise ValueError(f"cls: expected package.module:Class or path/file.py:Class, "
                         f"received {reference!r}")
    if not is_trusted(reference):
        raise ValueError(f"cls: needs code from {where} ({name}); it is imported only when "
                         "trusted (--trust on the command line, or agree in the studio)")
    try:
        module = _load_file(where) if where.endswith(".py") else importlib.import_module(where)
    except ImportError as e:
        raise ValueError(f"cls: cannot import {where} ({e}); install it or edit around "
                         "this node") from None
    cls = getattr(module, name, None)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"cls: {where} has no nn.Module class {name!r}")
    return cls


def parse_kwargs(text) -> dict:
    try:
        kwargs = json.loads(text or "{}")
    except (TypeError, ValueError) as e:
        raise ValueError(f"kwargs: expected a JSON object, received {text!r} ({e})") from None
    if not isinstance(kwargs, dict):
        raise ValueError(f"kwargs: expected a JSON object, received {text!r}")
    return kwargs


def _meta_fallback(module: nn.Module, cls: type, kwargs: dict) -> None:
    """Let shape inference on meta tensors work for code that reads values (``if x.sum() >
    0``): when the meta run fails, a CPU twin runs on zeros of the same shapes once and its
    output shapes are given back as meta tensors. Set on the instance, so the class, its
    ``state_dict`` and real runs stay untouched."""
    plain = module.forward

    def forward(*args, **kw):
        metas = [a for a in args if isinstance(a, torch.Tensor) and a.is_meta]
        if not metas:
            return plain(*args, **kw)
        try:
            return plain(*args, **kw)
        except Exception:  # noqa: BLE001 - the user's code may fail on meta in any way
            with torch.device("cpu"), torch.no_grad():  # also inside a caller's meta context
                twin = cls(**kwargs).train(module.training)
                real = [torch.zeros(a.shape, dtype=a.dtype) if isinstance(a, torch.Tensor)
                        else a for a in args]
                out = twin(*real, **kw)
            return tree_map(lambda t: torch.empty(t.shape, dtype=t.dtype, device="meta")
                            if isinstance(t, torch.Tensor) else t, out)

    module.forward = forward


def _build(c):
    cls = resolve_class(c["cls"])
    kwargs = parse_kwargs(c["kwargs"])
    try:
        module = ctor(cls, **kwargs)
    except Exception as e:  # the user's constructor: any error is a message on the node
        raise ValueError(f"kwargs: {cls.__name__}(...) failed: {type(e).__name__}: {e}") from None
    _meta_fallback(module, cls, kwargs)
    return module


register(
    NodeType(
        id="module.Module", title="Module", category="Imported",
        doc="A layer kept as its own PyTorch class (no catalogue equivalent), built from its "
            "constructor arguments.",
        inputs=(Port("x"), Port("b", optional=True), Port("c", optional=True),
                Port("d", optional=True)),
        params=(Param("cls", "str", "torch.nn:Identity",
                      "the class: package.module:Class or path/file.py:Class"),
                Param("kwargs", "str", "{}", "constructor keyword arguments as a JSON object")),
        build=_build, summary=("cls",), shape_doc="whatever the class computes",
        test_cases=(({"cls": "torch.nn:Hardtanh", "kwargs": '{"min_val": -2.0}'}, [(2, 5)]),
                    ({"cls": "torch.nn:PixelShuffle", "kwargs": '{"upscale_factor": 2}'},
                     [(2, 8, 3, 3)])),
    ),
)
