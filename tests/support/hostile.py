"""Helpers of the hostile-document tests (tests/core/test_hostile_*.py): raw template JSON,
a node in it, a file of it, and the error diagnostics a raw document gets."""
import json

from studio.core.diagnostics import ERROR
from studio.core.serialize import document_from_json
from studio.core.templates import template_path
from studio.core.validate import validate_document


def template(name: str) -> dict:
    return json.loads(template_path(name).read_text(encoding="utf-8"))


def node(raw: dict, node_id: str, scope: str = "model") -> dict:
    graph = raw["blocks"][scope[6:]] if scope.startswith("block:") else raw["networks"][scope]
    return next(n for n in graph["nodes"] if n["id"] == node_id)


def write(tmp_path, raw, text: str | None = None):
    path = tmp_path / "hostile.nnet.json"
    path.write_text(json.dumps(raw) if text is None else text, encoding="utf-8")
    return path


def errors_of(raw: dict) -> list[str]:
    doc, diags = document_from_json(raw)
    return [str(d) for d in diags + validate_document(doc) if d.severity == ERROR]


def has(messages: list[str], *parts: str) -> bool:
    return any(all(p in m for p in parts) for m in messages)
