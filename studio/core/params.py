"""Param values: literals, references to document variables (``"$num_classes"``) and small
arithmetic expressions (``"=width * 2"``), checked against a node type's schema.

Expressions are parsed with :mod:`ast` and only numbers, names, + - * / // % ** and unary minus
are allowed, so a template can say ``"=2*width"`` without the document ever running code.
"""
from __future__ import annotations

import ast
import operator

from nodes.base import Param

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
           ast.Pow: operator.pow}


class ParamError(ValueError):
    pass


def references(value) -> set[str]:
    """Variable names a param value refers to."""
    if isinstance(value, str) and value.startswith("$"):
        return {value[1:]}
    if isinstance(value, str) and value.startswith("="):
        try:
            tree = ast.parse(value[1:], mode="eval")
        except SyntaxError:
            return set()
        return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if isinstance(value, list):
        return set().union(*map(references, value)) if value else set()
    return set()


def _eval(node, scope):
    if isinstance(node, ast.Expression):
        return _eval(node.body, scope)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in scope:
            raise ParamError(f"unknown variable {node.id!r}")
        return scope[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_eval(node.left, scope), _eval(node.right, scope))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, scope)
    raise ParamError(f"not allowed in an expression: {ast.unparse(node)!r}")


def resolve(value, scope: dict):
    """The concrete value of a param: references and expressions looked up in ``scope``."""
    if isinstance(value, str) and value.startswith("$"):
        if value[1:] not in scope:
            raise ParamError(f"unknown variable {value[1:]!r}")
        return scope[value[1:]]
    if isinstance(value, str) and value.startswith("="):
        try:
            tree = ast.parse(value[1:], mode="eval")
        except SyntaxError as e:
            raise ParamError(f"cannot read expression {value!r}: {e.msg}") from None
        result = _eval(tree, scope)
        return int(result) if isinstance(result, float) and result.is_integer() else result
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
    bad = f"expected {p.expectation()}, got {value!r}"
    if p.kind == "int":
        return None if _is_int(value) and _in_range(p, value) else bad
    if p.kind == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok and _in_range(p, value) else bad
    if p.kind == "bool":
        return None if isinstance(value, bool) else bad
    if p.kind == "choice":
        return None if value in p.choices else bad
    if p.kind in ("str", "block"):
        return None if isinstance(value, str) else bad
    if p.kind == "ints":
        values = value if isinstance(value, list) else [value]
        ok = all(_is_int(v) and _in_range(p, v) for v in values) and values
        if isinstance(value, list) and p.length and len(value) != p.length:
            ok = False
        return None if ok else bad
    if p.kind == "shape":
        ok = isinstance(value, list) and all(_is_int(v) and (v >= 1 or v == -1) for v in value)
        return None if ok else bad
    if p.kind == "floats":
        ok = isinstance(value, list) and all(isinstance(v, (int, float)) for v in value)
        return None if ok else bad
    return None
