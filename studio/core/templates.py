"""The bundled template documents, and resolving a command-line NAME_OR_FILE to a document."""
from __future__ import annotations

import importlib.resources
import json
from pathlib import Path

from studio.core.diagnostics import DocumentError
from studio.core.document import Document
from studio.core.serialize import load

SUFFIX = ".nnet.json"
DEFAULT_TEMPLATE = "lenet5"


def template_dir() -> Path:
    return Path(str(importlib.resources.files("studio.templates")))


def template_path(name: str) -> Path:
    return template_dir() / f"{name}{SUFFIX}"


def template_names() -> list[str]:
    return sorted(p.name[: -len(SUFFIX)] for p in template_dir().glob(f"*{SUFFIX}"))


def template_info(name: str) -> dict:
    """The template's ``meta`` section (title, description, source...) without a full load."""
    raw = json.loads(template_path(name).read_text(encoding="utf-8"))
    return {"name": name, **raw.get("meta", {}), "presets": list(raw.get("presets", {}))}


def open_document(name_or_file: str) -> tuple[Document, list, str]:
    """A template by name, else a file by path: (document, load diagnostics, where it came from)."""
    if "/" not in name_or_file and template_path(name_or_file).is_file():
        doc, diags = load(template_path(name_or_file))
        return doc, diags, f"template {name_or_file}"
    path = Path(name_or_file)
    if not path.exists():
        names = ", ".join(template_names())
        raise DocumentError(f"{name_or_file}: no such template or file (templates: {names})")
    doc, diags = load(path)
    return doc, diags, str(path)
