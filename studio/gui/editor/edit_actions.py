"""Canvas edits started from menus and keys: add, delete, copy/paste/duplicate via the system
clipboard (document JSON), group/ungroup blocks, auto-layout. Mixed into the main window."""
from __future__ import annotations

from PySide6.QtCore import QPointF
from PySide6.QtGui import QGuiApplication

from nodes import BLOCK, role_of
from studio.core.grouping import group, ungroup
from studio.core.layout import layered_positions
from studio.gui.editor.layout_fit import measured_sizes
from studio.core.ops import MoveNodes, OpError
from studio.core import edits


class EditActions:
    def add_node(self, type_id: str, pos: QPointF | None = None, on_edge=None) -> str | None:
        if pos is None:
            pos = self.view.mapToScene(self.view.viewport().rect().center())
        op, node_id = edits.add_node_op(self.session.doc, self.session.scope, type_id,
                                        (pos.x(), pos.y()), on_edge)
        if self.session.apply(op, op.title):
            self.scene.select_ids([node_id])
            return node_id
        return None

    def delete_selection(self) -> None:
        ids = self.scene.selected_ids()
        if ids:
            self.session.apply(edits.delete_op(self.session.doc, self.session.scope, ids),
                               f"Delete {len(ids)} node(s)")

    def copy_selection(self) -> bool:
        ids = self.scene.selected_ids()
        if not ids:
            return False
        QGuiApplication.clipboard().setText(
            edits.copy_selection(self.session.doc, self.session.scope, ids))
        return True

    def cut_selection(self) -> None:
        if self.copy_selection():
            self.delete_selection()

    def paste(self) -> None:
        op, ids = edits.paste_op(self.session.doc, self.session.scope,
                                 QGuiApplication.clipboard().text())
        if op is None:
            self.session.message.emit("The clipboard holds no NetStudio nodes")
            return
        if self.session.apply(op, op.title):
            self.scene.select_ids(ids)

    def duplicate(self) -> None:
        if self.copy_selection():
            self.paste()

    def group_selection(self) -> None:
        doc, scope = self.session.doc, self.session.scope
        try:
            op = group(doc, scope, self.scene.selected_ids(), edits.fresh_block_name(doc))
        except OpError as e:
            self.session.message.emit(f"Cannot group: {e}")
            return
        self.session.apply(op, op.title)

    def ungroup_selection(self) -> None:
        doc, scope = self.session.doc, self.session.scope
        blocks = [n for n in self.scene.selected_ids()
                  if role_of(doc.graph(scope).nodes[n].type) == BLOCK]
        if not blocks:
            self.session.message.emit("Select a Block node to ungroup")
            return
        try:
            op = ungroup(doc, scope, blocks[0])
        except OpError as e:
            self.session.message.emit(f"Cannot ungroup: {e}")
            return
        self.session.apply(op, op.title)

    def auto_layout(self) -> None:
        """Lay out the selection (or the whole graph) left to right as one undo step."""
        selected = set(self.scene.selected_ids())
        positions = layered_positions(self.session.graph, selected if len(selected) > 1 else None,
                                      sizes=measured_sizes(self.scene),
                                      max_width=self.view.readable_width())
        if positions:
            self.session.apply(MoveNodes(self.session.scope, positions), "Auto-layout")
            if not selected:
                self.view.frame_start()

    def open_block(self, node_id: str) -> None:
        if not self.session.open_block(node_id):
            self.session.message.emit("This Block node names no block definition yet: choose "
                                      "one in the inspector")
