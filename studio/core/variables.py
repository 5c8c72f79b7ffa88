"""Document variables, presets and command-line overrides resolved into one scope.

A variable may be defined by others (``"input_size": "=16*base"``). Variables are resolved in
dependency order, not in the order the document lists them, so moving a key (an edit, an undo, a
hand-edited file) never changes what a document means; variables that refer to each other in a
loop are an error naming the loop.
"""
from __future__ import annotations

import graphlib
import json
import keyword

from studio.core.diagnostics import DocumentError
from studio.core.document import Document
from studio.core.jsonsafe import read_json
from studio.core.op_args import json_problem
from studio.core.params import ParamError, references, resolve


def parse_overrides(pairs: list[str]) -> dict:
    """``["num_classes=10", "width=0.5"]`` -> values parsed as JSON where they parse."""
    out = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ParamError(f"--var expects key=value, got {pair!r}")
        out[key] = _override_value(key, text)
    return out


def _override_value(key: str, text: str):
    """JSON where the text is JSON (within the document reader's bounds), else the text."""
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return text  # plain words (`--var act=relu`) are strings
    except (RecursionError, ValueError):
        pass  # too deep or too long for json: read_json below says which, and where
    try:
        return read_json(text)
    except DocumentError as e:
        raise ParamError(f"--var {key}: {e}") from None


def scope_for(doc: Document, preset: str | None = None, overrides: dict | None = None) -> dict:
    """The variables in force: document values, then the preset's, then explicit overrides.
    A variable may be an expression over earlier ones (``"=2*width"``)."""
    values = dict(doc.variables)
    if preset:
        if preset not in doc.presets:
            known = ", ".join(doc.presets) or "none"
            raise ParamError(f"unknown preset {preset!r} (this document has: {known})")
        values.update(doc.presets[preset])
    values.update(overrides or {})
    unknown = set(overrides or {}) - set(doc.variables)
    if unknown:
        raise ParamError(f"unknown variable(s) {', '.join(sorted(unknown))} "
                         f"(this document has: {', '.join(doc.variables) or 'none'})")
    return resolve_values(values)


def name_problem(name) -> str | None:
    """None when ``name`` can be a variable (usable as ``$name`` and inside ``=expressions``)."""
    if isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name):
        return None
    return "a variable name (letters, digits and _, not starting with a digit)"


def value_problem(value) -> str | None:
    """None when ``value`` can be a variable's value: a number, a boolean, text (a literal,
    ``$name`` or ``=expression``) or a list of those. Not null (that is no value) and not an
    object (no param takes one)."""
    def scalar_or_list(v) -> bool:
        if isinstance(v, (list, tuple)):
            return all(map(scalar_or_list, v))
        return isinstance(v, (bool, int, float, str))

    if not scalar_or_list(value):
        return "a number, a boolean, text or a list of them"
    return json_problem(value)


def dependency_order(values: dict) -> list[str]:
    """The names of ``values`` so that each comes after the variables it refers to."""
    graph = {name: references(value) & values.keys() for name, value in values.items()}
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        loop = e.args[1]  # [a, b, ..., a]
        raise ParamError("variables refer to each other in a loop: " + " -> ".join(loop)) from None


def loop_through(values: dict, name: str) -> list[str] | None:
    """A loop of references through ``name`` (``[name, a, ..., name]``), or None."""
    path, seen = [name], {name}
    pending = [iter(sorted(references(values.get(name)) & values.keys()))]
    while pending:  # depth-first, without recursion (a document may chain many variables)
        step = next(pending[-1], None)
        if step is None:
            pending.pop()
            path.pop()
        elif step == name:
            return [*path, name]
        elif step not in seen:
            seen.add(step)
            path.append(step)
            pending.append(iter(sorted(references(values[step]) & values.keys())))
    return None


def resolve_values(values: dict) -> dict:
    """Each variable's concrete value, in the document's order; any variable may use any other
    (resolved in dependency order). Idempotent, so an already resolved scope passes through."""
    for name, value in values.items():
        problem = value_problem(value)
        if problem:
            raise ParamError(f"variable {name!r}: expected {problem}, got "
                             f"{type(value).__name__} {value!r:.60}")
    scope: dict = {}
    for name in dependency_order(values):
        try:
            scope[name] = resolve(values[name], scope)
        except ParamError as e:
            raise ParamError(f"{e} (in variable {name!r})") from None
    return {name: scope[name] for name in values}


def apply_preset(doc: Document, preset: str | None = None, overrides: dict | None = None) -> Document:
    """A copy of ``doc`` whose variables hold the chosen configuration."""
    scope = scope_for(doc, preset, overrides)
    out = doc.copy()
    out.variables = scope
    if preset:
        out.meta = {**out.meta, "preset": preset}
    return out
