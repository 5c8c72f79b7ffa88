"""Parsing untrusted JSON within stated bounds, with errors that name the place.

Python's :mod:`json` recurses once per nesting level (a file of 1,000 nested lists raises
RecursionError), refuses integers past 4,300 digits with a ValueError that names no place, and
turns ``"\\ud800"`` escapes into lone surrogates that no file can be written with. Documents are
shallow (about 8 levels) and hold no long numbers, so :func:`read_json` refuses all three up
front, as a :class:`DocumentError` with the line or the JSON path.
"""
from __future__ import annotations

import json
import re

from studio.core.diagnostics import DocumentError

MAX_DEPTH = 64  # lists/objects inside each other; a document needs about 8
MAX_NUMBER_CHARS = 100  # digits of an integer literal; seeds and sizes need 20 at most

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: faster
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_TOKEN = re.compile(_STRING.pattern + r"|[\[\]{}]", re.DOTALL)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _LongNumber:
    """Stands in for an integer literal too long to convert, so its path can be reported."""

    def __init__(self, digits: int):
        self.digits = digits


def _too_deep(text: str) -> bool:
    """Whether brackets nest past MAX_DEPTH, by peeling innermost pairs (C-speed string ops)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    for _ in range(MAX_DEPTH):
        peeled = brackets.replace("[]", "").replace("{}", "")
        if peeled == brackets:
            return False  # empty, or unbalanced: json reports the latter with its position
        brackets = peeled
    return bool(brackets)


def _deep_place(text: str) -> str:
    """``line L, column C`` of the first bracket past MAX_DEPTH (only called on that error)."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                at = match.start()
                column = at - text.rfind("\n", 0, at)
                return f"line {text.count(chr(10), 0, at) + 1}, column {column}"
        elif token in "]}":
            depth -= 1
    return "somewhere"


def _walk(value):
    """Every (path, value) in parsed JSON, keys included, in document order, iteratively."""
    stack = [("", value)]
    while stack:
        where, item = stack.pop()
        yield where or "document", item
        if isinstance(item, dict):
            children = [(f"{where}.{key}" if where else str(key), key, child)
                        for key, child in item.items()]
            for place, key, _ in children:
                yield place, key
            stack.extend((place, child) for place, _, child in reversed(children))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", item[i]) for i in reversed(range(len(item))))


def _is_unencodable(value) -> bool:
    if not isinstance(value, str) or value.isascii():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def unencodable(value) -> str | None:
    """The JSON path of the first string (or key) holding a lone surrogate, else None."""
    return next((where for where, item in _walk(value) if _is_unencodable(item)), None)


def read_json(text: str):
    """Parsed JSON, or :class:`DocumentError` naming the line or path of what is out of bounds."""
    if _too_deep(text):
        raise DocumentError(f"JSON nested more than {MAX_DEPTH} levels deep at "
                            f"{_deep_place(text)}")
    long_numbers = []

    def parse_int(digits: str):
        if len(digits) <= MAX_NUMBER_CHARS:
            return int(digits)
        long_numbers.append(_LongNumber(len(digits)))
        return long_numbers[-1]

    try:
        raw = json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as e:
        raise DocumentError(f"not valid JSON at line {e.lineno}, column {e.colno}: "
                            f"{e.msg}") from None
    except RecursionError:  # unbalanced brackets slip past _too_deep; json recurses on them
        raise DocumentError(f"JSON nested more than {MAX_DEPTH} levels deep") from None
    for where, item in _walk(raw) if long_numbers else ():
        if isinstance(item, _LongNumber):
            raise DocumentError(f"{where}: a number of {item.digits} characters "
                                f"(at most {MAX_NUMBER_CHARS})")
    if _SURROGATE_ESCAPE.search(text):
        place = unencodable(raw)
        if place:
            raise DocumentError(f"{place}: contains a lone surrogate (an escape such as "
                                r"\ud800 that is not a Unicode character)")
    return raw
