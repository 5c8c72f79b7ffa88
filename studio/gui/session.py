"""The editing session: the open document, its file, the scope on view, undo history and shapes.

Every edit goes through :meth:`Session.apply`, which applies one core op and pushes an undo
command. Shapes are re-inferred after document events, coalesced by a zero-delay timer so a
``Batch`` of twenty ops infers once; :meth:`flush` runs a pending inference now.

The session is the only subscriber to the open document. Views follow it through
:attr:`Session.document_event`: one Qt signal carrying every document event, and
``DOCUMENT_REPLACED`` when another document is opened. Views connect a method of their own, so Qt
drops the connection when the view is destroyed and no view keeps subscription bookkeeping.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from nodes import BLOCK, role_of
from studio.core.diagnostics import ERROR, Diagnostic
from studio.core.document import DOCUMENT_REPLACED, Document
from studio.core.ops import OpError
from studio.core.shapes import NetworkShapes, ShapeInference
from studio.gui.commands import OpCommand


class Session(QObject):
    # (event, info) for every event of the open document (names in studio.core.document.EVENTS),
    # then (DOCUMENT_REPLACED, {}) whenever a different document is opened
    document_event = Signal(str, object)
    document_replaced = Signal()  # a different document (or file) is open
    scope_changed = Signal()  # another graph (network or block body) is on view
    shapes_updated = Signal()
    message = Signal(str)  # a one-line explanation for the status bar

    def __init__(self, parent=None):
        super().__init__(parent)
        self.undo = QUndoStack(self)
        self.inference = ShapeInference()  # one instance: its cache makes re-inference cheap
        self.doc: Document | None = None
        self.path: str | None = None
        self.load_diagnostics: list[Diagnostic] = []
        # weights loaded from a run's checkpoint ({"network", "source", "state"}); None: untrained
        self.weights: dict | None = None
        self.trail: list[tuple[str, str]] = []  # (parent scope, Block node id) per open block
        self.scope = "model"
        self.shapes = NetworkShapes()
        self._unsubscribe = None
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh_shapes)

    # ---- the document -------------------------------------------------------------------
    def set_document(self, doc: Document, path: str | None = None, diagnostics=()) -> None:
        if self._unsubscribe:
            self._unsubscribe()
        self.doc, self.path = doc, path
        self.load_diagnostics = list(diagnostics)
        self._unsubscribe = doc.subscribe(self._on_event)
        self.undo.clear()
        self.trail = []
        self.scope = next(iter(doc.networks), "model")
        self.refresh_shapes()
        # views first (the canvas rebuilds its items), then the window frames them
        self.document_event.emit(DOCUMENT_REPLACED, {})
        self.document_replaced.emit()

    def close(self) -> None:
        if self._unsubscribe:
            self._unsubscribe()
            self._unsubscribe = None
        self._timer.stop()

    def _on_event(self, event: str, info: dict) -> None:
        if event == "block_removed" and self.scope == f"block:{info.get('name')}":
            self.open_scope(self.trail[0][0] if self.trail else next(iter(self.doc.networks)))
        self._timer.start()
        self.document_event.emit(event, info)

    @property
    def graph(self):
        return self.doc.graph(self.scope)

    # ---- edits ---------------------------------------------------------------------------
    def apply(self, op, title: str, merge_key=None) -> bool:
        """Apply ``op`` as one undo step; an op that does not apply becomes a message."""
        try:
            inverse = op.apply(self.doc)
        except OpError as e:
            self.message.emit(str(e))
            return False
        self.undo.push(OpCommand(self.doc, op, inverse, title, merge_key))
        return True

    # ---- scopes (networks and open blocks) ------------------------------------------------
    def open_block(self, node_id: str) -> bool:
        """Show the body of the Block node ``node_id`` (breadcrumbs remember the way back)."""
        node = self.graph.nodes.get(node_id)
        name = node.params.get("block") if node else None
        if node is None or role_of(node.type) != BLOCK or name not in self.doc.blocks:
            return False
        self.trail.append((self.scope, node_id))
        self.scope = f"block:{name}"
        self.refresh_shapes()
        self.scope_changed.emit()
        return True

    def open_scope(self, scope: str) -> None:
        """Go to ``scope``: a network, or a block already on the breadcrumb trail."""
        while self.trail and self.scope != scope:
            self.scope = self.trail.pop()[0]
        if self.scope != scope:
            self.scope = scope
            self.trail = []
        self.refresh_shapes()
        self.scope_changed.emit()

    def breadcrumbs(self) -> list[str]:
        return [*(s for s, _ in self.trail), self.scope]

    # ---- shapes --------------------------------------------------------------------------
    def flush(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self.refresh_shapes()

    def infer(self, doc: Document) -> NetworkShapes:
        """Shapes of the scope on view in ``doc`` (the real one, or a trial copy)."""
        if not self.trail:
            return self.inference.infer(doc, self.scope)
        from studio.core import params as P
        from studio.core.variables import scope_for
        variables, feed = {}, {}
        try:
            variables = scope_for(doc)
            for scope, block_node in self.trail:  # walk down, feeding each level's inputs
                outer = self.inference.infer(doc, scope, variables, feed)
                node = doc.graph(scope).nodes[block_node]
                block = doc.blocks[node.params["block"]]
                from studio.core.ports import node_ports
                ins, _ = node_ports(doc, node)
                feed = {p.name: s for p, s in zip(ins, outer.inputs.get(block_node) or [])}
                args = {k: P.resolve(v, variables) for k, v in block.params.items()}
                args.update(outer.params.get(block_node, {}))
                variables = {**variables, **args}
        except (KeyError, TypeError, P.ParamError) as e:  # TypeError: a list as a block name
            return NetworkShapes(diagnostics=[Diagnostic(ERROR, f"cannot infer inside the block: "
                                                         f"{e}", self.scope)])
        return self.inference.infer(doc, self.scope, variables, feed)

    def refresh_shapes(self) -> None:
        if self.doc is None or self.scope not in self.doc.scopes():
            return
        self.shapes = self.infer(self.doc)
        self.shapes_updated.emit()
