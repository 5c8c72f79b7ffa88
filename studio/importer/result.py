"""What an import gives back: the document, its weights and a report of how it went.

Shared by every source (PyTorch, ONNX) and every front end (CLI, the studio's Import dialog).
"""
from __future__ import annotations

from dataclasses import dataclass, field


class ImportFailed(Exception):
    """An import that cannot finish; the message is one line saying what and where."""


@dataclass
class ImportReport:
    """How an import went. ``method``: 'fx', 'export' (torch.export fallback) or 'onnx'.
    ``nodes`` counts layer nodes (Input/Output excluded, block bodies counted once per use);
    ``catalogue_nodes + module_nodes + placeholder_nodes == nodes``."""

    method: str
    nodes: int = 0
    catalogue_nodes: int = 0
    module_nodes: int = 0
    placeholder_nodes: int = 0
    max_abs_diff: float = 0.0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def catalogue_share(self) -> float:
        return self.catalogue_nodes / self.nodes if self.nodes else 1.0

    def lines(self) -> list[str]:
        """The report as a person reads it (CLI output, the dialog's summary)."""
        return [f"method: {self.method}",
                f"nodes: {self.nodes} ({self.catalogue_nodes} catalogue, {self.module_nodes} "
                f"module, {self.placeholder_nodes} placeholder)",
                f"catalogue share: {100 * self.catalogue_share:.1f} %",
                f"max abs diff: {self.max_abs_diff:.3g}",
                f"seconds: {self.seconds:.2f}",
                *(f"note: {n}" for n in self.notes)]


@dataclass
class ImportResult:
    """``document``: a normal NetStudio document; ``state_dict``: its weights, keyed like the
    compiled document's ``state_dict`` (studio.compile.fx)."""

    document: object  # studio.core.document.Document (kept loose: no import at module level)
    state_dict: dict
    report: ImportReport
