"""Turning names from documents into file names and Python identifiers, safely.

A document's name, title and node ids are user input (or a stranger's, for a downloaded file).
They become file names only through :func:`safe_filename` and identifiers of generated code only
through :func:`identifier`, and every writer that derives a path from a name checks it with
:func:`inside`, so no document can write outside the folder the user chose or put code into a
generated module. Pure Python, no Qt: the CLI, the trainer and the studio share it.
"""
from __future__ import annotations

import keyword
import re
import unicodedata
from pathlib import Path

# Windows refuses these as file names whatever the extension ("NUL.txt" too), whatever the case.
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
             *(f"{p}{i}" for p in ("COM", "LPT") for i in (*"123456789", "¹", "²", "³"))}
# Separators and the characters Windows forbids; control characters are handled by category.
_FORBIDDEN = set('/\\:*?"<>|')
MAX_BYTES = 120  # room for suffixes ("-20250101-120000-2", ".nnet.json") under the 255-byte limit


class PathEscapeError(OSError, ValueError):
    """A path would leave the folder it belongs in. An OSError, so the places that report a
    failed write (the CLI's one-line errors, the studio's save) report this one too."""


def _file_char(ch: str) -> str:
    if ch in _FORBIDDEN or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return "_"  # separators, NUL and other controls, lone surrogates, unassigned code points
    return ch


def _truncate(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")[:max_bytes]
    return encoded.decode("utf-8", errors="ignore")  # never half a character


def safe_filename(name, fallback: str = "untitled", max_bytes: int = MAX_BYTES) -> str:
    """``name`` as one file name: never empty, never a path, never special on any system.

    Separators, ``: * ? " < > |``, control characters and lone surrogates become ``_``; leading
    dots and spaces go and runs of dots become one (no ``..``, no hidden files), as do trailing dots and spaces (Windows drops
    them); a Windows device name (``CON``, ``nul.txt``, ``COM1``) gets a ``_`` prefix; the result
    fits in ``max_bytes`` of UTF-8. ``fallback`` (made safe the same way) replaces what is left
    empty. ``safe_filename("../../escaped_run") == "_._escaped_run"``.
    """
    text = unicodedata.normalize("NFC", str(name))
    text = "".join(map(_file_char, text))
    text = re.sub(r"\.{2,}", ".", text)  # no ".." anywhere, not even inside a name
    text = _truncate(text, max_bytes).lstrip(". ").rstrip(". ")
    if not text:
        return "untitled" if fallback == "untitled" else safe_filename(fallback, "untitled",
                                                                       max_bytes)
    if text.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        text = _truncate("_" + text, max_bytes).rstrip(". ")
    return text


def inside(folder, path) -> Path:
    """``folder / path`` resolved (symbolic links followed), if it lies strictly inside
    ``folder``; else :class:`PathEscapeError` naming both. ``path`` may be relative to
    ``folder`` or absolute; ``..`` parts and links that lead out are refused."""
    root = Path(folder).resolve()
    target = (root / path).resolve()
    if target == root or not target.is_relative_to(root):
        raise PathEscapeError(f"{str(path)!r}: expected a name inside the folder {root}, but it "
                              f"leads to {target}")
    return target


def is_identifier(text) -> bool:
    """True for a name Python code can use as written: an identifier, not a keyword, and
    unchanged by the NFKC normalization Python applies to identifiers in source (so ``ﬁ``,
    which source code reads as ``fi``, is not one)."""
    return (isinstance(text, str) and text.isidentifier() and not keyword.iskeyword(text)
            and unicodedata.normalize("NFKC", text) == text)


def identifier_chars(text) -> str:
    """``text`` NFKC-normalized (as Python reads identifiers) with every character that cannot
    continue an identifier (``-``, ``/``, ``.``, ``²``, a lone surrogate) replaced by ``_``."""
    text = unicodedata.normalize("NFKC", str(text).encode("utf-8", "replace").decode("utf-8"))
    return "".join(ch if ("_" + ch).isidentifier() else "_" for ch in text)


def identifier(text, fallback: str = "x") -> str:
    """``text`` made an identifier for generated code: NFKC-normalized, characters that cannot
    be in an identifier become ``_``, a leading digit gets ``fallback`` + ``_`` in front, a
    keyword gets a trailing ``_``. Leading ``__`` (private-name mangling inside a class) is the
    caller's to avoid where it matters (see ``studio.compile.fx.legal_name``)."""
    name = identifier_chars(text)
    name = re.sub(r"^(?=\d)", f"{fallback}_", name) if name else fallback
    if keyword.iskeyword(name):
        name += "_"
    return name if is_identifier(name) else fallback


def class_name_for(text, suffix: str = "", avoid=()) -> str:
    """``lenet5`` -> ``Lenet5``, ``dcgan`` + ``generator`` -> ``DcganGenerator``; ``Model`` when
    no identifier can be made (a name of digits, ``none`` -> ``None`` is a keyword); a name in
    ``avoid`` (the layer classes generated code copies) gets ``Model`` appended."""
    words = re.split(r"[\W_]+", f"{text} {suffix}")
    name = "".join(w[:1].upper() + w[1:] for w in words if w)
    name = name if is_identifier(name) else "Model"
    return name + "Model" if name in avoid else name
