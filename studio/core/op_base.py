"""What every document edit shares: the :class:`Op` base (arguments checked when an op is made),
inverses built without those checks, lookups that fail as :class:`OpError`, and the in-place dict
changes that let an inverse put a key back at its old position (so undo restores the saved JSON
text byte for byte, key order included).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from studio.core import op_args as A
from studio.core.document import Document, Graph, Node
from studio.core.op_args import OpError

class _Missing:
    """"The key was absent", in an op's record of old values; one object, even through deepcopy."""

    def __repr__(self) -> str:
        return "MISSING"

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


MISSING = _Missing()


@dataclass
class Op:
    scope: str
    restores = False  # True on inverses: they put back a state the document was in

    def __post_init__(self):
        A.check_text(self, "scope", self.scope)
        self.check()

    def check(self) -> None:
        """Raise :class:`OpError` for arguments of the wrong kind (each op checks its own)."""

    def apply(self, doc: Document) -> "Op":
        raise NotImplementedError  # each subclass implements its own change


def inverse(cls, *args, **kwargs):
    """``cls(*args, **kwargs)`` without the argument checks, for inverses built from the
    document's own contents: a loaded file may hold what an edit may not put there, and undo
    must still put it back."""
    op = object.__new__(cls)
    given = dict(zip((f.name for f in dataclasses.fields(cls)), args), **kwargs)
    for f in dataclasses.fields(cls):
        if f.name in given:
            value = given[f.name]
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            value = f.default
        setattr(op, f.name, value)
    op.restores = True  # puts back a state the document was in (see SetVariable)
    return op


def graph_of(doc: Document, scope: str) -> Graph:
    try:
        return doc.graph(scope)
    except KeyError:
        known = ", ".join(doc.scopes()) or "none"
        raise OpError(f"no network or block {scope!r} (this document has: {known})") from None


def node_of(doc: Document, scope: str, node_id: str) -> Node:
    try:
        return graph_of(doc, scope).nodes[node_id]
    except KeyError:
        raise OpError(f"{scope}: no node {node_id!r}") from None


def insert_at(mapping: dict, index: int, key, value) -> None:
    """Put ``key`` at position ``index`` of ``mapping``, changing the dict in place."""
    items = list(mapping.items())
    items.insert(index, (key, value))
    mapping.clear()
    mapping.update(items)


def reorder(mapping: dict, order: tuple | None) -> None:
    """Leave ``mapping``'s keys in ``order`` (None: as they are)."""
    if order is None or tuple(mapping) == order:
        return
    items = [(k, mapping[k]) for k in order]
    mapping.clear()
    mapping.update(items)


def order_fits(order: tuple | None, keys: list, what: str) -> None:
    if order is not None and (len(order) != len(keys) or set(order) != set(keys)):
        raise OpError(f"{what}: the key order {list(order)} does not list the keys "
                      f"{keys} the edit leaves")
