"""Diagnostics: what is wrong, how bad, and exactly where (network, node, param)."""
from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Diagnostic:
    severity: str
    message: str
    network: str | None = None  # a network name or "block:NAME"
    node: str | None = None
    param: str | None = None
    path: str | None = None  # the place in the file, e.g. networks.model.nodes[3].params.stride

    def where(self) -> str:
        if self.path:
            return self.path
        parts = [p for p in (self.network, self.node) if p]
        if self.param:
            parts.append(f"params.{self.param}")
        return ".".join(parts) or "document"

    def __str__(self) -> str:
        return f"{self.severity}: {self.where()}: {self.message}"

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def errors(diagnostics) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == ERROR]


class DocumentError(Exception):
    """A document that cannot be opened at all (not JSON, not a NetStudio file, too new)."""
