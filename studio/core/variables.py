"""Document variables, presets and command-line overrides resolved into one scope."""
from __future__ import annotations

import json

from studio.core.document import Document
from studio.core.params import ParamError, resolve


def parse_overrides(pairs: list[str]) -> dict:
    """``["num_classes=10", "width=0.5"]`` -> values parsed as JSON where they parse."""
    out = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ParamError(f"--var expects key=value, got {pair!r}")
        try:
            out[key] = json.loads(text)
        except json.JSONDecodeError:
            out[key] = text
    return out


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


def resolve_values(values: dict) -> dict:
    """Each variable's concrete value, in order (a later one may use an earlier one).
    Idempotent, so an already resolved scope passes through unchanged."""
    scope: dict = {}
    for name, value in values.items():
        scope[name] = resolve(value, scope)
    return scope


def apply_preset(doc: Document, preset: str | None = None, overrides: dict | None = None) -> Document:
    """A copy of ``doc`` whose variables hold the chosen configuration."""
    scope = scope_for(doc, preset, overrides)
    out = doc.copy()
    out.variables = scope
    if preset:
        out.meta = {**out.meta, "preset": preset}
    return out
