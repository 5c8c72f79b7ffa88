"""Checks of the arguments an edit is built with, so a bad edit fails as an ``OpError`` when it is
made (naming the op, the argument and what was expected) instead of as a ``TypeError`` halfway
through changing the document.

The rule for values is "what a saved document can hold and load again": JSON values (text,
numbers, booleans, null, lists, objects with text keys; a tuple is taken as a list), valid
Unicode, within the depth and integer length :mod:`studio.core.jsonsafe` accepts when loading.
Variables are narrower (:func:`studio.core.variables.value_problem`); positions are pairs of
finite numbers.
"""
from __future__ import annotations

from studio.core import jsonsafe

# A value an edit puts in a document must load again: the reader refuses files nested past
# jsonsafe.MAX_DEPTH levels (a node's params already sit 6 levels down, block bodies too) and
# integer literals past jsonsafe.MAX_NUMBER_CHARS characters.
MAX_DEPTH = jsonsafe.MAX_DEPTH - 8
MAX_COORDINATE = 1e9  # canvas positions: far beyond any scene, well inside a float's exact range
_SURROGATE = "valid Unicode text (no lone surrogate such as \\ud800: a document cannot save it)"


class OpError(ValueError):
    """An edit that does not apply to this document (unknown node, occupied port...) or that was
    built with arguments of the wrong kind."""


def describe(value) -> str:
    """``dict {'k': 1}``: the received kind and a short repr, for error messages."""
    try:
        text = repr(value)
    except ValueError:  # an integer past Python's 4,300-digit printing limit, maybe nested
        return f"{type(value).__name__} too large to print"
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def bad(op, arg: str, expected: str, got) -> OpError:
    return OpError(f"{type(op).__name__}.{arg}: expected {expected}, got {describe(got)}")


def json_problem(value, depth: int = 0) -> str | None:
    """None when ``value`` can be saved in a document as it is; else what is wrong with it."""
    if depth > MAX_DEPTH:
        return f"a value nested at most {MAX_DEPTH} levels deep"
    if isinstance(value, str):
        return None if _unicode(value) else _SURROGATE
    if value is None or isinstance(value, (bool, float)):
        return None
    if isinstance(value, int):
        fits = value.bit_length() < 4 * jsonsafe.MAX_NUMBER_CHARS and \
            len(str(value)) <= jsonsafe.MAX_NUMBER_CHARS  # bits first: str() of a huge int fails
        return None if fits else f"an integer of at most {jsonsafe.MAX_NUMBER_CHARS} characters"
    if isinstance(value, (list, tuple)):  # a tuple is saved as a list (see as_json)
        return next((p for v in value if (p := json_problem(v, depth + 1))), None)
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            return "an object whose keys are text"
        if not all(map(_unicode, value)):
            return _SURROGATE
        return next((p for v in value.values() if (p := json_problem(v, depth + 1))), None)
    return "a JSON value (text, number, boolean, null, list or object)"


def as_json(value):
    """``value`` with tuples made lists (what saving and loading would make of it), so the
    document holds the same thing before and after a save."""
    if isinstance(value, (list, tuple)):
        return [as_json(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return value


def check_json(op, arg: str, value):
    """``value`` as the document will hold it (:func:`as_json`), or an OpError."""
    problem = json_problem(value)
    if problem:
        raise bad(op, arg, problem, value)
    return as_json(value)


def _unicode(text: str) -> bool:
    """False for text a UTF-8 file cannot hold (a lone surrogate such as ``"\\ud800"``)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(op, arg: str, value, empty: bool = False) -> None:
    if not isinstance(value, str) or (not empty and not value):
        raise bad(op, arg, "text" if empty else "non-empty text", value)
    if not _unicode(value):
        raise bad(op, arg, _SURROGATE, value)


def check_index(op, arg: str, value) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise bad(op, arg, "None or an index >= 0", value)


def check_mapping(op, arg: str, value, deletes: bool = False) -> dict:
    """A dict of text keys to JSON values (``None`` deletes a key when ``deletes``), returned as
    the document will hold it."""
    if not isinstance(value, dict):
        raise bad(op, arg, "a dict of names to values", value)
    for key in value:
        check_text(op, f"{arg} key", key)
    return {key: item if deletes and item is None else check_json(op, f"{arg}[{key!r}]", item)
            for key, item in value.items()}


def check_order(op, arg: str, value) -> tuple | None:
    """``None`` or a sequence of distinct names (the key order an edit leaves behind)."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(isinstance(k, str) for k in value) \
            or len(set(value)) != len(value):
        raise bad(op, arg, "None or a list of distinct names", value)
    return tuple(value)


def position(op, arg: str, value) -> list | None:
    """``None`` (no position) or ``[x, y]`` of finite numbers, ints kept as ints (a position
    saved as ``[120, 40]`` stays ``[120, 40]`` in the file, not ``[120.0, 40.0]``)."""
    if value is None:
        return None
    if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(map(_coordinate, value))):
        raise bad(op, arg, f"None or [x, y] of two numbers within +-{MAX_COORDINATE:g}", value)
    return [value[0], value[1]]


def _coordinate(v) -> bool:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    return abs(v) <= MAX_COORDINATE  # False for NaN and infinities too


def check_edge_end(op, arg: str, end) -> tuple:
    if not (isinstance(end, (list, tuple)) and len(end) == 2 and all(
            isinstance(x, str) and x and _unicode(x) for x in end)):
        raise bad(op, arg, "(node id, port name)", end)
    return tuple(end)
