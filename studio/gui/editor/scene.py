"""The canvas scene: one item per node and edge of the graph on view, kept in step with the
document through its events, and decorated with the session's inferred shapes.

Gestures that edit (moving nodes, wiring ports) turn into ops pushed through the session; the
items change afterwards because the document said so.
"""
from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QTransform
from PySide6.QtWidgets import QGraphicsScene

import nodes
from studio.core.diagnostics import ERROR
from studio.core.document import DOCUMENT_REPLACED
from studio.core import params as P
from studio.core.node_text import block_miniature, block_outline, node_title
from studio.core.layout import layered_positions
from studio.core.ops import MoveNodes
from studio.core.ports import node_ports
from studio.core import edits
from studio.gui.editor.canvas_items import NodeItem, PortItem, format_value
from studio.gui.editor.edge_items import EdgeItem, WireItem, invalidate_routes, reroute_crossing
from studio.gui.editor import detail
from studio.gui.editor.detail import draw_overview, fresh_item, restyle_on_theme
from studio.gui.editor.grid import draw_grid
from studio.gui.editor.label_place import forget_label, grid_of, place_labels
from studio.gui.editor.layout_fit import settle_overlaps
from studio.gui.editor.recipe_losses import add_loss_badge
from studio.gui.editor.tie_links import TieLinks
from studio.gui.theme import colours


def node_content(doc, node, resolved: dict | None = None):
    """What a node item shows; ``resolved`` (from shape inference) puts values in place of
    ``$var`` / ``=expr`` in the one-line summary (the inspector keeps the expression)."""
    t = nodes.lookup(node.type)
    ins, outs = node_ports(doc, node)
    if t is None:
        return (node.label, "", f"missing type {node.type}", [], [], False, [])
    values = {**t.defaults(), **node.params, **{k: v for k, v in (resolved or {}).items()
                                                  if k in t.summary}}
    summary = "  ".join(f"{format_value(values[k])}" if k in ("shape", "block")
                        else f"{k}={format_value(values[k])}" for k in t.summary if k in values)
    type_title, miniature = t.title, []
    if t.role == nodes.BLOCK:  # "layer1 · bottleneck ×3" (as in the papers), its inside below
        type_title = format_value(values.get("block")) or t.title
        summary = block_outline(doc, values.get("block"))
        miniature = block_miniature(doc, values.get("block"))
    title = node_title(node.name or node.id, type_title)
    if t.role == nodes.BLOCK and values.get("repeat", 1) != 1:
        title += f" ×{format_value(values['repeat'])}"
    return (title, t.category, summary, [p.name for p in ins], [p.name for p in outs],
            t.role == nodes.BLOCK, miniature)


class GraphScene(QGraphicsScene):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict = {}
        self._by_node: dict[str, set] = {}
        self._wire = None
        self._wire_port = None
        self._checked: dict = {}
        self.setItemIndexMethod(QGraphicsScene.BspTreeIndex)
        detail.start(self)
        session.document_event.connect(self._on_event)
        session.scope_changed.connect(self.rebuild)
        session.shapes_updated.connect(self.apply_shapes)
        self.tie_links = TieLinks(self)  # dashed curves of weight ties (tied_to)
        # labels are placed for the whole scene at once, after a batch of changes
        self._labels_timer = QTimer(self, singleShot=True, interval=0)
        self._labels_timer.timeout.connect(self.place_labels)
        self._labels_dirty: set | None = set()  # output ports to label again; None: all

    # ---- building from the document ------------------------------------------------------
    def rebuild(self) -> None:
        self.clear_items()
        graph = self.session.graph
        if any("pos" not in n.ui for n in graph.nodes.values()):
            # a document without positions (hand-written, generated): lay it out once
            for nid, pos in layered_positions(graph).items():
                graph.nodes[nid].ui.setdefault("pos", pos)
        for node_id in graph.nodes:
            self._add_node(node_id)
        for edge in graph.edges:
            self._add_edge(edge)
        self.apply_shapes()
        settle_overlaps(self)  # a layout guessed without a view may not fit measured nodes
        add_loss_badge(self)  # a loss the recipe computes (a GAN's), beside its output

    def clear_items(self) -> None:
        self._labels_dirty, self._label_grid = None, None
        self.clear()
        self.nodes, self.edges, self._by_node = {}, {}, {}

    def _add_node(self, node_id: str) -> None:
        node = self.session.graph.nodes[node_id]
        item = NodeItem(node_id)
        item.set_content(*node_content(self.session.doc, node))
        pos = node.ui.get("pos", [0.0, 0.0])
        item.setPos(pos[0], pos[1])
        self.nodes[node_id] = item
        self._by_node.setdefault(node_id, set())
        fresh_item(self, item)
        self.addItem(item)
        invalidate_routes(self)

    def _add_edge(self, edge) -> None:
        src, dst = self.nodes.get(edge.src[0]), self.nodes.get(edge.dst[0])
        if src is None or dst is None or edge in self.edges:
            return
        item = EdgeItem(edge, src, dst)
        self.edges[edge] = item
        self._by_node[edge.src[0]].add(item)
        self._by_node[edge.dst[0]].add(item)
        fresh_item(self, item)
        self.addItem(item)
        self.request_labels(edge.src)

    def _remove_edge(self, edge) -> None:
        item = self.edges.pop(edge, None)
        if item is not None:
            for end in (edge.src[0], edge.dst[0]):
                self._by_node.get(end, set()).discard(item)
            forget_label(self, item.label_item)
            self.removeItem(item)
            self.request_labels(edge.src)  # a sibling may take over the port's label

    def _on_event(self, event: str, info: dict) -> None:
        if event == DOCUMENT_REPLACED:
            self.rebuild()
            return
        if info.get("scope") != self.session.scope:
            return
        graph = self.session.graph
        node_id = info.get("node")
        if event == "node_added":
            self._add_node(node_id)
        elif event == "node_removed":
            item = self.nodes.pop(node_id, None)
            for edge_item in list(self._by_node.pop(node_id, ())):
                self._remove_edge(edge_item.edge)
            if item is not None:
                self.removeItem(item)
                invalidate_routes(self)
        elif event == "edge_added":
            self._add_edge(info["edge"])
        elif event == "edge_removed":
            self._remove_edge(info["edge"])
        elif event in ("params_changed", "node_renamed") and node_id in self.nodes:
            # the item calls node_moved itself when its size or ports changed
            self.nodes[node_id].set_content(*node_content(self.session.doc, graph.nodes[node_id]))
        elif event == "nodes_moved":
            self.move_items({nid: graph.nodes[nid].ui["pos"] for nid in info.get("nodes", ())
                             if nid in graph.nodes and nid in self.nodes
                             and graph.nodes[nid].ui.get("pos") is not None})

    def move_items(self, positions: dict) -> None:
        """Move many node items, then re-route once (not after every single move)."""
        self._moving_many = True
        try:
            for nid, pos in positions.items():
                self.nodes[nid].setPos(pos[0], pos[1])
        finally:
            self._moving_many = False
        invalidate_routes(self)
        if len(positions) * 2 > len(self.nodes):
            wires = set(self.edges.values())
            self.request_labels()
        else:
            wires = {e for nid in positions for e in self._by_node.get(nid, ())}
            for nid in positions:
                reroute_crossing(self, self.nodes[nid])
                self._labels_under(nid)
        for edge_item in wires:
            edge_item.update_path()

    def node_moved(self, node_id: str) -> None:
        if getattr(self, "_moving_many", False):
            return  # move_items re-routes once at the end
        invalidate_routes(self)  # wires route around nodes: the obstacles changed
        for edge_item in self._by_node.get(node_id, ()):
            edge_item.update_path()
        if node_id in self.nodes:
            reroute_crossing(self, self.nodes[node_id])
            self._labels_under(node_id)

    # ---- shapes and diagnostics ----------------------------------------------------------
    def apply_shapes(self) -> None:
        shapes, graph = self.session.shapes, self.session.graph
        found: dict[str, list] = {}
        for d in shapes.diagnostics:
            if d.node:
                found.setdefault(d.node, []).append(d)
        for nid, item in self.nodes.items():
            diags = found.get(nid, [])
            severity = ("error" if any(d.severity == ERROR for d in diags)
                        else "warning" if diags else None)
            item.set_diagnostics(severity, [d.message for d in diags],
                                 shapes.param_counts.get(nid, 0))
            node = graph.nodes.get(nid)
            if node is not None and any(P.is_symbolic(v) for v in node.params.values()):
                content = node_content(self.session.doc, node, shapes.params.get(nid))
                if (content[0], content[2]) != (item.title, item.summary):  # title: a block ×N
                    item.set_content(*content)  # re-attaches the wires if its width changed
        for edge, item in self.edges.items():
            spec = shapes.edge_spec(edge)
            if spec is not item.spec and spec != item.spec:  # label() only where it changed
                item.spec = spec
                item.set_label(spec.label() if spec else "?", spec is not None)
        self.flush_labels()  # part of showing the new shapes (bench: edit -> labels)

    # ---- edge labels ----------------------------------------------------------------------
    def request_labels(self, src=None) -> None:
        """Place the labels of output port ``src`` (a (node, port) pair) again soon; all of
        them when ``src`` is None."""
        if src is None:
            self._labels_dirty = None
        elif self._labels_dirty is not None:
            self._labels_dirty.add(src)
        self._labels_timer.start()

    def _labels_under(self, node_id: str) -> None:
        """Labels a node now stands on find another spot."""
        for label in grid_of(self).near(self.nodes[node_id].sceneBoundingRect()):
            self.request_labels(label.edge_item.edge.src)

    def flush_labels(self) -> None:
        """Place the labels now if a change asked for it (in the same batch as the change: a
        later scene change would cost the minimap one more render)."""
        if self._labels_timer.isActive():
            self.place_labels()

    def place_labels(self) -> None:
        self._labels_timer.stop()
        only, self._labels_dirty = self._labels_dirty, set()
        place_labels(self, only)

    # ---- queries --------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def select_ids(self, ids) -> None:
        self.clearSelection()
        for nid in ids:
            if nid in self.nodes:
                self.nodes[nid].setSelected(True)

    def _transform(self) -> QTransform:
        views = self.views()
        return views[0].transform() if views else QTransform()

    def port_at(self, pos: QPointF):
        for item in self.items(pos, Qt.IntersectsItemShape, Qt.DescendingOrder, self._transform()):
            if isinstance(item, PortItem):
                return item
        return None

    def edge_at(self, pos: QPointF):
        for item in self.items(pos, Qt.IntersectsItemShape, Qt.DescendingOrder, self._transform()):
            if isinstance(item, EdgeItem):
                return item
        return None

    # ---- wiring gestures -----------------------------------------------------------------
    def check_wire(self, a, b):
        """(op, reason it cannot be made, shape problem it would cause) for ports a, b."""
        key = (a, b)
        if key not in self._checked:
            doc, scope = self.session.doc, self.session.scope
            ends, reason = edits.orient(doc, scope, a, b)
            op = problem = None
            if reason is None:
                op, reason = edits.connect_op(doc, scope, *ends)
            if op is not None:
                problem = edits.shape_problem(doc, scope, op, self.session.infer)
            self._checked[key] = (op, reason, problem)
        return self._checked[key]

    def connect_ports(self, a, b) -> bool:
        """Wire two port ends as one undo step, explaining why not or what breaks."""
        op, reason, problem = self.check_wire(a, b)
        self._checked.clear()
        if reason:
            self.session.message.emit(f"Cannot connect: {reason}")
            return False
        self.session.apply(op, op.title)
        if problem:
            self.session.message.emit(f"Connected, but {op.ops[-1].edge.dst[0]}: {problem}")
        return True

    def mousePressEvent(self, event):
        port = self.port_at(event.scenePos()) if event.button() == Qt.LeftButton else None
        if port is not None:
            self._wire_port = port
            self._wire = WireItem(port.scenePos(), port.kind == "out")
            self.addItem(self._wire)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):
        if self._wire is None:
            super().mouseMoveEvent(event)
            return
        target = self.port_at(event.scenePos())
        state, end = None, event.scenePos()
        for port in self._hovered_ports():
            port.set_state(None)
        if target is not None and target is not self._wire_port:
            _, reason, problem = self.check_wire(self._wire_port.end, target.end)
            state = "bad" if reason or problem else "ok"
            target.set_state(state)
            end = target.scenePos()
            tip = reason or problem
            self.session.message.emit(f"Incompatible: {tip}" if tip else
                                      f"{self._wire_port.node_id} → {target.node_id}")
        self._wire.set_end(end, state)

    def _hovered_ports(self):
        return [p for item in self.nodes.values() for p in item.ports.values() if p.state]

    def mouseReleaseEvent(self, event):
        if self._wire is not None:
            target = self.port_at(event.scenePos())
            for port in self._hovered_ports():
                port.set_state(None)
            self.removeItem(self._wire)
            self._wire, start = None, self._wire_port
            self._wire_port = None
            if target is not None and target is not start:
                self.connect_ports(start.end, target.end)
            self._checked.clear()
            return
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def commit_moves(self) -> None:
        """Positions dragged in the view become one MoveNodes edit."""
        graph, moved = self.session.graph, {}
        for nid, item in self.nodes.items():
            pos = graph.nodes[nid].ui.get("pos") if nid in graph.nodes else None
            here = [item.pos().x(), item.pos().y()]
            if pos is None or QLineF(QPointF(*pos), item.pos()).length() > 0.01:
                moved[nid] = here
        if moved:
            self.session.apply(MoveNodes(self.session.scope, moved), "Move")

    def drawForeground(self, painter, rect):
        draw_overview(self, painter, rect)  # zoomed out: the nodes, batched

    def drawBackground(self, painter, rect):
        c = colours()
        restyle_on_theme(self)
        painter.fillRect(rect, QColor(c["canvas"]))
        draw_grid(painter, rect, c)
