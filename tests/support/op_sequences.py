"""Random edit sequences on real documents, and the check that undo and redo are exact.

Shared by ``tests/core/test_undo_property.py`` (hypothesis draws the choices, a few hundred sequences)
and ``bench/undo.py`` (a seeded ``random.Random``, 1,000 sequences x 50 edits over every
template). The edits mix well-formed ops, ops that the document refuses when applied (an occupied
input, a missing node) and ops built with arguments of the wrong kind (which must be refused with
an ``OpError`` when they are made). "Exact" means the saved JSON text, compared byte for byte:
after each undo step the text before the edit, after undo-all the original, and after redo-all
the text the forward sequence ended with; the edited text also loads back to itself.
"""
from __future__ import annotations

import json
import random
import traceback
from dataclasses import dataclass, field

from studio.core import grouping
from studio.core.document import BlockDef, Edge, Node
from studio.core.ops import (AddBlock, AddNode, Batch, Connect, Disconnect, MoveNodes, OpError,
                             RemoveBlock, RemoveNode, RenameNode, SetParams, SetTraining,
                             SetVariable)
from studio.core.diagnostics import DocumentError
from studio.core.serialize import document_from_json, dumps, loads
from studio.core.templates import template_names, template_path

TYPES = ["activation.ReLU", "linear.Linear", "activation.Tanh", "merge.Add", "conv.Conv2d",
         "block.Block", "io.BlockInput", "vendor.Missing"]
PORTS = ["x", "y", "x1", "input", "target"]
KINDS = ["add", "remove", "connect", "disconnect", "params", "params", "move", "move", "rename",
         "variable", "variable", "variable", "training", "training", "group", "ungroup",
         "ungroup", "block", "batch", "junk"]


class RandomChooser:
    """Choices from a seeded ``random.Random`` (the bench)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def pick(self, options):
        return self.rng.choice(list(options))

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def number(self) -> float:
        return self.rng.choice([0.5, -2.25, 1e-3, self.rng.uniform(-1e3, 1e3)])


class DataChooser:
    """Choices drawn by hypothesis (the suite), so failures shrink to a short sequence."""

    def __init__(self, data):
        from hypothesis import strategies as st
        self.data, self.st = data, st

    def pick(self, options):
        return self.data.draw(self.st.sampled_from(list(options)))

    def integer(self, lo: int, hi: int) -> int:
        return self.data.draw(self.st.integers(lo, hi))

    def number(self) -> float:
        return self.data.draw(self.st.floats(-1e3, 1e3, allow_nan=False))


def json_value(c, depth: int = 0):
    kind = c.pick(["int", "float", "text", "bool", "null", "list", "dict"] if depth < 2
                  else ["int", "text"])
    if kind == "list":
        return [json_value(c, depth + 1) for _ in range(c.integer(0, 2))]
    if kind == "dict":
        return {c.pick(["k", "a", "b"]): json_value(c, depth + 1) for _ in range(c.integer(0, 2))}
    return {"int": lambda: c.integer(-3, 64), "float": c.number, "bool": lambda: True,
            "null": lambda: None, "text": lambda: c.pick(["", "relu", "$width", "=2*base", "é"])
            }[kind]()


def _variable_value(c, doc):
    names = list(doc.variables) or ["base"]
    return c.pick([
        c.integer(1, 9), c.number(), [1, 2], {"k": 1}, None, None, True, "text",
        f"=2*{c.pick(names)}", f"${c.pick(names)}", f"={c.pick(names)}+1", [f"${c.pick(names)}", 3],
    ])


def _ids(doc, scope):
    return list(doc.graph(scope).nodes) or ["ghost"]


def _edit(c, doc, scope, kind):  # noqa: C901  (one branch per kind of edit reads best here)
    graph = doc.graph(scope)
    if kind == "add":
        nid = c.pick([graph.new_id("n"), *_ids(doc, scope)[:2]])
        ui = {"pos": c.pick([[c.integer(-50, 50), c.integer(-50, 50)], [c.number(), 2.5]])}
        params = {c.pick(["out_features", "block", "name"]): json_value(c)} if c.integer(0, 1) else {}
        return AddNode(scope, Node(nid, c.pick(TYPES), params, ui), c.pick(
            [None, c.integer(0, len(graph.nodes) + 1)]))
    if kind == "remove":
        return RemoveNode(scope, c.pick(_ids(doc, scope) + ["ghost"]))
    if kind == "connect":
        ids = _ids(doc, scope)
        return Connect(scope, Edge((c.pick(ids), c.pick(PORTS)), (c.pick(ids), c.pick(PORTS))),
                       c.pick([None, c.integer(0, len(graph.edges) + 1)]))
    if kind == "disconnect":
        edges = graph.edges or [Edge(("ghost", "y"), ("ghost", "x"))]
        return Disconnect(scope, c.pick(edges))
    if kind == "params":
        nid = c.pick(_ids(doc, scope))
        keys = list(graph.nodes[nid].params) if nid in graph.nodes else []
        values = {c.pick([*keys, "out_features", "block", "repeat", "zzz"]): json_value(c)
                  for _ in range(c.integer(0, 2))}
        remove = [k for k in keys if c.integer(0, 3) == 0]
        return SetParams(scope, nid, values, tuple(k for k in remove if k not in values))
    if kind == "move":
        chosen = {c.pick(_ids(doc, scope)) for _ in range(c.integer(1, 3))}
        return MoveNodes(scope, {n: c.pick([[c.integer(-500, 500), c.integer(-500, 500)],
                                           [c.number(), c.number()], None]) for n in chosen})
    if kind == "rename":
        return RenameNode(scope, c.pick(_ids(doc, scope)), c.pick(["", "stem", "ünï"]))
    if kind == "variable":
        name = c.pick([*doc.variables, "fresh"])
        return SetVariable(scope, name, _variable_value(c, doc))
    if kind == "training":
        keys = [*doc.training, "extra"]
        return SetTraining(scope, {c.pick(keys): c.pick([None, json_value(c)])
                                   for _ in range(c.integer(1, 2))})
    if kind == "group":
        chosen = [c.pick(_ids(doc, scope)) for _ in range(c.integer(1, 4))]
        return grouping.group(doc, scope, chosen, c.pick([f"g{len(doc.blocks)}", *doc.blocks]))
    if kind == "ungroup":
        blocks = [n.id for n in graph.nodes.values() if n.type == "block.Block"] or ["ghost"]
        return grouping.ungroup(doc, scope, c.pick(blocks))
    if kind == "block":
        if doc.blocks and c.integer(0, 1):
            return RemoveBlock(scope, c.pick(doc.blocks))
        return AddBlock(scope, c.pick(["spare", *doc.blocks]), BlockDef(), c.pick(
            [None, c.integer(0, len(doc.blocks) + 1)]))
    if kind == "batch":
        parts = [_edit(c, doc, scope, c.pick(KINDS[:14])) for _ in range(2)]
        return Batch(scope, parts, "two edits")
    return _junk(c, scope)


def _junk(c, scope):
    """An op built with arguments of the wrong kind: it must be refused as it is made."""
    return c.pick([
        lambda: SetVariable("base", {"k": 1}),
        lambda: SetVariable(scope, "width", {"k": 1}),
        lambda: SetVariable(scope, "2x", 1),
        lambda: SetParams(scope, 3, {}),
        lambda: SetParams(scope, "n", {"a": object()}),
        lambda: SetParams(scope, "n", {"a": 1}, ("a",)),
        lambda: MoveNodes(scope, {"n": ["a", 1]}),
        lambda: MoveNodes(scope, {"n": [float("nan"), 1]}),
        lambda: MoveNodes(scope, [1, 2]),
        lambda: RenameNode(scope, "n", 5),
        lambda: Connect(scope, Edge(["a"], ("b", "x"))),
        lambda: AddNode(scope, "not a node"),
        lambda: AddNode(scope, Node("n", "t", params={"k": {1, 2}})),
        lambda: AddNode(scope, Node("n", "t"), -1),
        lambda: SetTraining(scope, {"epochs": 10 ** 5000}),
        lambda: Batch(scope, [1, 2]),
        lambda: RemoveNode(None, "n"),
        lambda: RenameNode(scope, "n", "\ud800"),
    ])()


def random_edit(c, doc):
    """One edit on a random graph of ``doc`` (None when there is nothing to build it from)."""
    return _edit(c, doc, c.pick(doc.scopes()), c.pick(KINDS))


@dataclass
class Outcome:
    applied: int = 0
    refused_when_made: int = 0  # OpError from the op's arguments (or group/ungroup's checks)
    refused_when_applied: int = 0
    crashes: list = field(default_factory=list)  # anything but an OpError, with where it was
    undo_identical: bool = True
    undo_equal_as_dict: bool = True
    redo_identical: bool = True
    reloads_identical: bool = True  # the edited text, loaded and saved again, is the same text
    mismatch: str = ""

    @property
    def ok(self) -> bool:
        return (not self.crashes and self.undo_identical and self.redo_identical
                and self.reloads_identical and not self.mismatch)


def _crash(out: Outcome, stage: str) -> None:
    out.crashes.append(f"{stage}: {traceback.format_exc(limit=-2).strip().splitlines()[-1]}")


def run_sequence(doc, chooser, steps: int) -> Outcome:
    """Apply ``steps`` random edits to ``doc``, then undo all, then redo all, checking the text."""
    out, inverses, states = Outcome(), [], [dumps(doc)]
    for _ in range(steps):
        try:
            op = random_edit(chooser, doc)
        except OpError:
            out.refused_when_made += 1
            continue
        except Exception:
            _crash(out, "making an op")
            continue
        try:
            inverses.append(op.apply(doc))
        except OpError:
            out.refused_when_applied += 1
            if dumps(doc) != states[-1]:
                out.mismatch = f"a refused {type(op).__name__} changed the document"
            continue
        except Exception:
            _crash(out, f"applying {type(op).__name__}")
            return out
        states.append(dumps(doc))
    out.applied = len(inverses)
    try:  # what the edits made is a document: it loads back to the same text
        out.reloads_identical = dumps(loads(states[-1])[0]) == states[-1]
    except DocumentError:
        out.reloads_identical = False
    redos = []
    try:
        for i in range(len(inverses) - 1, -1, -1):
            redos.append(inverses[i].apply(doc))
            if dumps(doc) != states[i] and not out.mismatch:
                out.mismatch = f"undo of edit {i + 1} ({type(inverses[i]).__name__}) is not exact"
        out.undo_identical = dumps(doc) == states[0]
        out.undo_equal_as_dict = doc.to_json() == json.loads(states[0])
        for redo in reversed(redos):
            redo.apply(doc)
        out.redo_identical = dumps(doc) == states[-1]
    except Exception:
        _crash(out, "undo/redo")
        out.undo_identical = out.redo_identical = False
    return out


_TEMPLATES: dict[str, dict] = {}


def fresh_template(name: str):
    """A new document of template ``name`` (the file is read once per process)."""
    if name not in _TEMPLATES:
        _TEMPLATES[name] = json.loads(template_path(name).read_text(encoding="utf-8"))
    return document_from_json(_TEMPLATES[name])[0]


__all__ = ["DataChooser", "Outcome", "RandomChooser", "fresh_template", "run_sequence",
           "template_names"]
