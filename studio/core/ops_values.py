"""Edits of values: node params, positions and labels, document variables and the training
section. Each records the old values and the old key order, so its inverse puts every key back
where it was (see :mod:`studio.core.ops`)."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from studio.core import op_args as A
from studio.core.op_base import MISSING, Op, inverse, node_of, order_fits, reorder
from studio.core.op_args import OpError


def _deletes(op: Op, value) -> bool:
    """Whether ``value`` in an op means "remove the key": ``None`` in an edit someone made; in an
    inverse only MISSING does, since there ``None`` is a JSON null a loaded file held."""
    return value is MISSING or (value is None and not op.restores)


@dataclass
class SetParams(Op):
    """Set ``values`` and delete the keys in ``remove`` of one node's params; ``order`` (the
    inverse's) is the key order to leave behind, so undo puts removed keys back in place."""

    node_id: str
    values: dict
    remove: tuple = ()
    order: tuple | None = None

    def check(self):
        A.check_text(self, "node_id", self.node_id)
        self.values = A.check_mapping(self, "values", self.values)
        if not isinstance(self.remove, (list, tuple)) or not all(
                isinstance(k, str) for k in self.remove):
            raise A.bad(self, "remove", "a list of param names", self.remove)
        self.remove = tuple(self.remove)
        both = set(self.remove) & set(self.values)
        if both:
            raise OpError(f"SetParams.remove: {sorted(both)} also set in values; a param is "
                          "either set or removed")
        self.order = A.check_order(self, "order", self.order)

    def apply(self, doc):
        node = node_of(doc, self.scope, self.node_id)
        params = node.params
        after = [k for k in params if k not in self.remove]
        after += [k for k in self.values if k not in params]
        order_fits(self.order, after, f"{self.scope}.{self.node_id}.params")
        old = {k: copy.deepcopy(params[k]) if k in params else MISSING
               for k in (*self.values, *self.remove)}
        before = tuple(params)
        for k in self.remove:
            params.pop(k, None)
        params.update(copy.deepcopy(self.values))
        reorder(params, self.order)
        doc.emit("params_changed", scope=self.scope, node=self.node_id, params=sorted(old))
        return inverse(SetParams, self.scope, self.node_id,
                       {k: v for k, v in old.items() if v is not MISSING},
                       tuple(k for k, v in old.items() if v is MISSING), before)


@dataclass
class MoveNodes(Op):
    """Set (``[x, y]``) or clear (``None``) node positions; ints stay ints. ``orders`` (the
    inverse's) gives each node's ``ui`` key order to leave behind."""

    positions: dict  # node id -> [x, y] or None
    orders: dict = field(default_factory=dict)  # node id -> ui key order

    def check(self):
        if not isinstance(self.positions, dict):
            raise A.bad(self, "positions", "a dict of node id -> [x, y]", self.positions)
        for nid in self.positions:
            A.check_text(self, "positions key", nid)
        self.positions = {nid: A.position(self, f"positions[{nid!r}]", pos)
                          for nid, pos in self.positions.items()}
        if not isinstance(self.orders, dict):
            raise A.bad(self, "orders", "a dict of node id -> key order", self.orders)
        self.orders = {nid: A.check_order(self, f"orders[{nid!r}]", order)
                       for nid, order in self.orders.items()}

    def apply(self, doc):
        nodes = {nid: node_of(doc, self.scope, nid) for nid in self.positions}
        for nid, node in nodes.items():
            clears = _deletes(self, self.positions[nid])
            after = [k for k in node.ui if k != "pos" or not clears]
            after += ["pos"] if "pos" not in after and not clears else []
            order_fits(self.orders.get(nid), after, f"{self.scope}.{nid}.ui")
        old, orders = {}, {}
        for nid, node in nodes.items():
            old[nid], orders[nid] = copy.deepcopy(node.ui.get("pos", MISSING)), tuple(node.ui)
            if _deletes(self, self.positions[nid]):
                node.ui.pop("pos", None)
            else:
                node.ui["pos"] = copy.deepcopy(self.positions[nid])
            reorder(node.ui, self.orders.get(nid))
        doc.emit("nodes_moved", scope=self.scope, nodes=list(self.positions))
        return inverse(MoveNodes, self.scope, old, orders)


@dataclass
class RenameNode(Op):
    node_id: str
    name: str

    def check(self):
        A.check_text(self, "node_id", self.node_id)
        A.check_text(self, "name", self.name, empty=True)

    def apply(self, doc):
        node = node_of(doc, self.scope, self.node_id)
        old, node.name = node.name, self.name
        doc.emit("node_renamed", scope=self.scope, node=self.node_id)
        return inverse(RenameNode, self.scope, self.node_id, old)


@dataclass
class SetVariable(Op):
    """Set (value) or delete (``value`` is None) a document variable. A value must be one a
    document's variables may hold (:func:`studio.core.variables.value_problem`); one that would
    make variables refer to each other in a loop is refused. ``order`` (the inverse's) is the
    order of the variables to leave behind."""

    name: str = ""
    value: object = None
    order: tuple | None = None

    def check(self):
        from studio.core.variables import name_problem, value_problem
        if name_problem(self.name):
            raise A.bad(self, "name", name_problem(self.name), self.name)
        if self.value is not None and value_problem(self.value):
            raise A.bad(self, "value", f"None (delete) or {value_problem(self.value)}",
                        self.value)
        self.value = A.as_json(self.value)
        self.order = A.check_order(self, "order", self.order)

    def apply(self, doc):
        from studio.core.variables import loop_through
        variables, deletes = doc.variables, _deletes(self, self.value)
        after = [k for k in variables if k != self.name or not deletes]
        after += [self.name] if not deletes and self.name not in variables else []
        order_fits(self.order, after, "variables")
        # an inverse puts back what was there, even a loop a loaded file came with
        loop = None if self.restores or deletes else \
            loop_through({**variables, self.name: self.value}, self.name)
        if loop:
            raise OpError(f"SetVariable.value: {self.name} = {self.value!r} would make variables "
                          f"refer to each other in a loop: {' -> '.join(loop)}")
        old, before = copy.deepcopy(variables.get(self.name, MISSING)), tuple(variables)
        if deletes:
            variables.pop(self.name, None)
        else:
            variables[self.name] = copy.deepcopy(self.value)
        reorder(variables, self.order)
        doc.emit("variable_changed", scope=self.scope, name=self.name)
        return inverse(SetVariable, self.scope, self.name, old, before)


@dataclass
class SetTraining(Op):
    """Set top-level keys of the document's ``training`` section (``None`` deletes a key).

    A nested value (``optimizer``, ``dataset``) is replaced whole, so the inverse is simply the
    old values of the same keys, plus the old key order (``order``)."""

    values: dict = field(default_factory=dict)
    order: tuple | None = None

    def check(self):
        self.values = A.check_mapping(self, "values", self.values, deletes=True)
        self.order = A.check_order(self, "order", self.order)

    def apply(self, doc):
        training = doc.training
        after = [k for k in training if k not in self.values or not _deletes(self, self.values[k])]
        after += [k for k, v in self.values.items() if not _deletes(self, v) and k not in training]
        order_fits(self.order, after, "training")
        old = {k: copy.deepcopy(training.get(k, MISSING)) for k in self.values}
        before = tuple(training)
        for key, value in self.values.items():
            if _deletes(self, value):
                training.pop(key, None)
            else:
                training[key] = copy.deepcopy(value)
        reorder(training, self.order)
        doc.emit("training_changed", scope=self.scope, keys=sorted(self.values))
        return inverse(SetTraining, self.scope, old, before)
