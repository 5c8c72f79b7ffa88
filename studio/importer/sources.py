"""A source string -> the ``nn.Module`` it names, constructed with the given keyword arguments.

Forms: ``torchvision:NAME[?k=v&k=v]``, ``timm:NAME[?k=v]``, ``python:path/file.py:Class`` and
``package.module:factory``. Values in ``?k=v`` and ``--kw k=v`` are Python literals
(``num_classes=10``, ``aux_logits=False``), read with ``ast.literal_eval`` (never ``eval``); text
that is no literal stays a string. No weights are downloaded here: builders get ``weights=None``.
"""
from __future__ import annotations

import ast
import difflib
import importlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from torch import nn

from studio.importer.result import ImportFailed


@dataclass
class Source:
    kind: str  # torchvision | timm | python | module
    target: str  # builder name, or "path/file.py:Class", or "package.module:factory"
    kwargs: dict
    builder: object = None  # the callable that makes the module

    @property
    def name(self) -> str:
        """A short name for the document: ``resnet18``, ``MyNet``."""
        return self.target.rsplit(":", 1)[-1].rsplit(".", 1)[-1] or "model"


def literal(text: str):
    """``"10"`` -> 10, ``"False"`` -> False, ``"(1, 2)"`` -> (1, 2); anything else stays text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def parse_kwargs(pairs) -> dict:
    """``["k=v", ...]`` -> ``{k: literal(v)}``; a pair without ``=`` is a one-line error."""
    out = {}
    for pair in pairs or ():
        key, eq, value = pair.partition("=")
        if not eq or not key.strip().isidentifier():
            raise ImportFailed(f"--kw {pair!r}: expected NAME=VALUE, e.g. num_classes=10")
        out[key.strip()] = literal(value.strip())
    return out


def parse(source: str, kwargs: dict | None = None) -> Source:
    text, _, query = source.partition("?")
    extra = {k: literal(v) for k, v in parse_qsl(query, keep_blank_values=True)}
    kwargs = {**extra, **(kwargs or {})}
    head, colon, rest = text.partition(":")
    if colon and head in ("torchvision", "timm", "python"):
        if not rest:
            raise ImportFailed(f"{source}: expected a name after '{head}:'")
        return Source(head, rest, kwargs)
    if colon and rest and all(p.isidentifier() for p in head.split(".")) and rest.isidentifier():
        return Source("module", text, kwargs)
    raise ImportFailed(f"{source}: expected torchvision:NAME, timm:NAME, "
                       "python:path/file.py:Class, package.module:factory or FILE.onnx")


def _torchvision(name: str):
    from torchvision import models
    try:
        return models.get_model_builder(name)
    except ValueError:
        names = models.list_models()
        close = difflib.get_close_matches(name.lower(), names, n=4, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ImportFailed(f"torchvision:{name}: no such model builder{hint}") from None


def _timm(name: str):
    try:
        import timm
    except ImportError:
        raise ImportFailed(f"timm:{name}: timm is not installed; install it with "
                           "`pip install timm` (or `pip install netstudio[import]`)") from None
    if not timm.is_model(name):
        raise ImportFailed(f"timm:{name}: no such timm model")
    return lambda **kw: timm.create_model(name, pretrained=False, **kw)


def load_file_module(path: str):
    """The Python module in the file ``path``, imported as a Module node referencing
    ``path:Class`` imports it (the same name, so both find the same class)."""
    from nodes.module import _load_file
    if not Path(path).is_file():
        raise ImportFailed(f"{path}: no such Python file")
    try:
        return _load_file(path)
    except ValueError as e:
        raise ImportFailed(str(e).removeprefix("cls: ")) from None


def _attribute(module, attr: str, where: str):
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ImportFailed(f"{where}: {module.__name__} has no {attr!r}") from None


def resolve(source: Source):
    """The builder callable for ``source``."""
    if source.kind == "torchvision":
        return _torchvision(source.target)
    if source.kind == "timm":
        return _timm(source.target)
    if source.kind == "python":
        path, colon, attr = source.target.rpartition(":")
        if not colon or not attr.isidentifier():
            raise ImportFailed(f"python:{source.target}: expected python:path/file.py:Class")
        return _attribute(load_file_module(path), attr, f"python:{source.target}")
    module_name, _, attr = source.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ImportFailed(f"{source.target}: cannot import {module_name} ({e})") from None
    return _attribute(module, attr, source.target)


def build(source: Source) -> nn.Module:
    """The module, constructed in eval mode; any error in the user's code is one line."""
    builder = resolve(source)
    kwargs = dict(source.kwargs)
    if source.kind == "torchvision":
        kwargs.setdefault("weights", None)  # never a download; weights come from --weights
    try:
        model = builder(**kwargs)
    except Exception as e:
        raise ImportFailed(f"{source.kind}:{source.target}: constructing it failed: "
                           f"{type(e).__name__}: {e}") from None
    if not isinstance(model, nn.Module):
        raise ImportFailed(f"{source.kind}:{source.target}: made a {type(model).__name__}, "
                           "not a torch.nn.Module")
    return model.eval()
