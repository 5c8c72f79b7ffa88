"""Arguments shared by every command that takes a document: NAME_OR_FILE, --preset, --var."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where used: parsers are built without torch (see studio.cli)
    from studio.core.document import Document


def add_document_args(parser, network: bool = True) -> None:
    parser.add_argument("source", metavar="NAME_OR_FILE",
                        help="a template name (see `netstudio templates`) or a document file")
    parser.add_argument("--preset", help="a configuration of the template (e.g. small, paper)")
    parser.add_argument("--var", action="append", default=[], metavar="KEY=VALUE",
                        help="set a document variable (repeatable)")
    if network:
        parser.add_argument("--network", help="which network of the document (default: all, "
                            "or 'model')")


def load_configured(args) -> tuple[Document, list, str]:
    """The document named on the command line with its preset and --var values applied."""
    from studio.core.templates import open_document
    from studio.core.variables import apply_preset, parse_overrides
    doc, diags, where = open_document(args.source)
    return apply_preset(doc, args.preset, parse_overrides(args.var)), diags, where


MAX_ERROR_CHARS = 1000  # a hostile document can put a megabyte into a name; the line stays short


def one_line(text: str) -> str:
    """``text`` as the one line the README promises: whitespace runs (newlines from torch
    messages, names holding line breaks) become one space, and it is cut at MAX_ERROR_CHARS."""
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_ERROR_CHARS else line[:MAX_ERROR_CHARS - 3] + "..."


def diagnostics_line(diagnostics: list, shown: int = 3) -> str:
    """``the network has errors: a; b; c (and 14 more: `netstudio validate` lists all)``."""
    head = "; ".join(str(d).removeprefix("error: ") for d in diagnostics[:shown])
    more = len(diagnostics) - shown
    tail = f" (and {more} more: `netstudio validate` lists them all)" if more > 0 else ""
    return one_line(f"the network has errors: {head}") + tail
