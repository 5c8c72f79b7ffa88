"""Param values: literals, references to document variables (``"$num_classes"``) and small
arithmetic expressions (``"=width * 2"``), checked against a node type's schema.

Expressions are parsed with :mod:`ast` and only numbers, names, + - * / // % ** and unary minus
are allowed, so a template can say ``"=2*width"`` without the document ever running code.
A document is untrusted input, so evaluation is bounded as well as restricted: the text length and
nesting depth are checked before anything recursive runs, operands must be numbers (no list
repetition), and every value built must be a finite real number whose integer part fits in
:data:`MAX_INT_BITS` bits, checked before a power is computed (``9**9**9`` would take minutes).
"""
from __future__ import annotations

import ast
import json
import math
import operator

from nodes.base import Param

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
           ast.Pow: operator.pow}
MAX_EXPRESSION_CHARS = 200  # the longest template expression has 29
MAX_EXPRESSION_DEPTH = 32  # operators nested in one expression; keeps _eval's recursion short
MAX_INT_BITS = 64  # no size, count or seed a network uses is beyond 2**64


class ParamError(ValueError):
    pass


class _ValueProblem(ParamError):
    """A value out of bounds inside an expression; :func:`evaluate` adds which expression."""


def _depth(tree: ast.AST) -> int:
    """Nesting depth of ``tree``, iteratively (the tree may be deeper than Python recurses)."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def parse(text: str) -> ast.Expression:
    """The syntax tree of ``"=expr"``; :class:`ParamError` when it is unreadable or too big."""
    body = text[1:]
    if len(body) > MAX_EXPRESSION_CHARS:
        raise ParamError(f"expression of {len(body)} characters is too long "
                         f"(at most {MAX_EXPRESSION_CHARS}): {text[:40]!r}...")
    try:
        tree = ast.parse(body, mode="eval")
    except SyntaxError as e:
        raise ParamError(f"cannot read expression {text!r}: {e.msg}") from None
    except (ValueError, RecursionError, MemoryError) as e:  # null bytes, deep nesting
        raise ParamError(f"cannot read expression {text!r}: {type(e).__name__}") from None
    if _depth(tree) > MAX_EXPRESSION_DEPTH:
        raise ParamError(f"expression {text!r} nests more than {MAX_EXPRESSION_DEPTH} deep")
    return tree


def parse_value(text: str):
    """A value typed by a person (a variables table cell): numbers and lists as JSON, anything
    else (an ``=expression`` or ``$reference``) as text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text.strip()


def references(value) -> set[str]:
    """Variable names a param value refers to (none for an unreadable expression: resolving it
    reports the problem)."""
    if isinstance(value, str) and value.startswith("$"):
        return {value[1:]}
    if isinstance(value, str) and value.startswith("="):
        try:
            tree = parse(value)
        except ParamError:
            return set()
        return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if isinstance(value, list):
        return set().union(*map(references, value)) if value else set()
    return set()


def _number(value, what: str):
    """``value`` if it is a real number within the bounds, else :class:`ParamError`."""
    if isinstance(value, complex):
        raise _ValueProblem(f"{what} is not a real number ({value!r})")
    if not isinstance(value, (int, float)):
        raise _ValueProblem(f"{what} is {type(value).__name__} {value!r:.40}; "
                         "expressions compute with numbers")
    if isinstance(value, float) and not math.isfinite(value):
        raise _ValueProblem(f"{what} is not a finite number ({value!r})")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise _ValueProblem(f"{what} is too large (more than 2**{MAX_INT_BITS})")
    return value


def _power(base, exponent):
    """``base ** exponent`` refused before it is computed when the result cannot fit."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
            raise _ValueProblem(f"{base}**{exponent} is too large (more than 2**{MAX_INT_BITS})")
    return base ** exponent


def _apply(op: type, left, right):
    left, right = _number(left, "an operand"), _number(right, "an operand")
    try:
        result = _power(left, right) if op is ast.Pow else _BINOPS[op](left, right)
    except ZeroDivisionError:
        raise _ValueProblem("division by zero (or zero to a negative power)") from None
    except OverflowError:
        raise _ValueProblem("the result is too large for a number") from None
    return _number(result, "the result")


def _eval(node, scope):
    if isinstance(node, ast.Expression):
        return _eval(node.body, scope)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return _number(node.value, "a constant")
    if isinstance(node, ast.Name):
        if node.id not in scope:
            raise ParamError(f"unknown variable {node.id!r}")
        return scope[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _apply(type(node.op), _eval(node.left, scope), _eval(node.right, scope))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_number(_eval(node.operand, scope), "an operand")
    raise ParamError(f"not allowed in an expression: {ast.unparse(node)!r}")


def evaluate(text: str, scope: dict):
    """The value of ``"=expr"`` under ``scope``; floats with integral values become ints."""
    tree = parse(text)  # its errors quote the (possibly long) text themselves
    try:
        result = _eval(tree, scope)
    except _ValueProblem as e:
        raise ParamError(f"expression {text!r}: {e}") from None
    if isinstance(result, float) and result.is_integer() and abs(result) < 2.0 ** MAX_INT_BITS:
        return int(result)
    return result


def resolve(value, scope: dict):
    """The concrete value of a param: references and expressions looked up in ``scope``."""
    if isinstance(value, str) and value.startswith("$"):
        if value[1:] not in scope:
            raise ParamError(f"unknown variable {value[1:]!r}")
        return scope[value[1:]]
    if isinstance(value, str) and value.startswith("="):
        return evaluate(value, scope)
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    return value


def is_symbolic(value) -> bool:
    return bool(references(value)) or (isinstance(value, str) and value[:1] in "$=")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _in_range(p: Param, v) -> bool:
    return (p.min is None or v >= p.min) and (p.max is None or v <= p.max)


def check(p: Param, value) -> str | None:
    """None when ``value`` fits ``p``; else ``expected int >= 1, got "3x3"``."""
    if _fits(p, value):
        return None  # the message is built only when needed: this runs for every param
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."  # a hostile value stays one line
    return f"expected {p.expectation()}, got {shown}"


def _fits(p: Param, value) -> bool:
    if p.kind == "int":
        return _is_int(value) and _in_range(p, value)
    if p.kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and \
            not (isinstance(value, float) and not math.isfinite(value))
        return ok and _in_range(p, value)
    if p.kind == "bool":
        return isinstance(value, bool)
    if p.kind == "choice":
        return value in p.choices
    if p.kind in ("str", "block"):
        return isinstance(value, str)
    if p.kind == "ints":
        values = value if isinstance(value, list) else [value]
        ok = bool(values) and all(_is_int(v) and _in_range(p, v) for v in values)
        return ok and not (isinstance(value, list) and p.length and len(value) != p.length)
    if p.kind == "shape":
        return isinstance(value, list) and all(_is_int(v) and (v >= 1 or v == -1) for v in value)
    if p.kind == "floats":
        return isinstance(value, list) and all(isinstance(v, (int, float)) for v in value)
    return True
