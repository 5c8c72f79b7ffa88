"""Freeze / Unfreeze on the canvas: the context menu of nodes and blocks (multi-selection too)
edits the training section's ``freeze`` list as one undoable ``SetTraining``; frozen nodes wear
a hatched, icy overlay with a snowflake so the backbone of a fine-tuning run is visible at once.

The list holds node ids of the network (a Block node freezes its whole sub-graph; see
``studio.train.optim.freeze``). A document with several networks keeps one list per network
(``{"generator": [...]}``). Inside an open block there is nothing to freeze by itself: the
Block node is frozen from the network.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QMenu
from shiboken6 import isValid

from nodes import BLOCK, LAYER, role_of
from studio.core.ops import SetTraining
from studio.gui.editor.canvas_items import NodeItem
from studio.gui.editor.fc_conv_action import add_fc_to_conv

SNOWFLAKE = "\u2744"
ICE = QColor(120, 180, 255)


# ----- the model: which nodes are frozen, and the edit that changes it --------------------------
def frozen_ids(doc, network: str) -> list[str]:
    value = (doc.training or {}).get("freeze") or []
    if isinstance(value, dict):
        value = value.get(network) or []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def freezable(doc, network: str, ids) -> list[str]:
    """The ids among ``ids`` that own weights to freeze: layers and blocks of a network, in the
    network's order (a selection has none of its own: the saved list must not depend on it)."""
    graph = doc.networks.get(network)
    if graph is None:
        return []
    wanted = set(ids)
    return [i for i, node in graph.nodes.items()
            if i in wanted and role_of(node.type) in (LAYER, BLOCK)]


def freeze_op(doc, network: str, ids, frozen: bool) -> SetTraining | None:
    """The ``SetTraining`` that freezes (or unfreezes) ``ids``; None when nothing changes."""
    current = frozen_ids(doc, network)
    chosen = freezable(doc, network, ids)
    new = current + [i for i in chosen if i not in current] if frozen else \
        [i for i in current if i not in chosen]
    if new == current:
        return None
    value = (doc.training or {}).get("freeze")
    if len(doc.networks) > 1 or isinstance(value, dict):
        others = dict(value) if isinstance(value, dict) else {}
        new = {**others, network: new} if new else {k: v for k, v in others.items()
                                                     if k != network}
    return SetTraining(network, {"freeze": new or None})


# ----- the look -----------------------------------------------------------------------------------
class FrozenOverlay(QGraphicsItem):
    """Drawn over a frozen node: diagonal ice hatching and a snowflake badge. Its shape is
    empty, so clicks, drags and port hits still find the node underneath."""

    def __init__(self, parent: NodeItem):
        super().__init__(parent)
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setToolTip("Frozen: training leaves these weights as they are")

    def boundingRect(self) -> QRectF:
        return self.parentItem().boundingRect()

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter, option, widget=None) -> None:
        rect = self.parentItem().boundingRect().adjusted(2, 2, -2, -2)
        tint = QColor(ICE)
        tint.setAlpha(55)
        painter.fillRect(rect, tint)
        hatch = QBrush(QColor(ICE.red(), ICE.green(), ICE.blue(), 90), Qt.BDiagPattern)
        painter.fillRect(rect, hatch)
        badge = QRectF(rect.right() - 19, rect.top() + 1, 17, 17)  # in the title bar
        painter.setPen(QPen(ICE.darker(140), 1.2))
        painter.setBrush(QColor(235, 245, 255))
        painter.drawEllipse(badge)
        font = QFont(painter.font())
        font.setPointSizeF(10)
        painter.setFont(font)
        painter.setPen(ICE.darker(170))
        painter.drawText(badge, Qt.AlignCenter, SNOWFLAKE)


class FreezeView:
    """Keeps the overlays in step with the document and offers the context menu."""

    def __init__(self, window):
        self.window, self.session, self.scene = window, window.session, window.scene
        self.overlays: dict[str, FrozenOverlay] = {}
        # connected after the scene's own slots: the node items exist when these run
        self.session.document_event.connect(lambda *_: self.refresh())
        self.session.scope_changed.connect(self.refresh)
        view = window.view
        view.setContextMenuPolicy(Qt.CustomContextMenu)
        view.customContextMenuRequested.connect(
            lambda pos: self.menu_at(view.mapToScene(pos)).exec(view.viewport().mapToGlobal(pos)))
        self.refresh()

    def refresh(self) -> None:
        doc, scope = self.session.doc, self.session.scope
        frozen = set(frozen_ids(doc, scope)) if doc is not None and scope in doc.networks \
            else set()
        for nid, overlay in list(self.overlays.items()):
            item = self.scene.nodes.get(nid)
            # a rebuilt scene deleted the old node items and their overlays with them
            alive = isValid(overlay) and item is not None and overlay.parentItem() is item
            if alive and nid in frozen:
                overlay.prepareGeometryChange()  # the node may have been resized
                continue
            del self.overlays[nid]
            if alive:
                self.scene.removeItem(overlay)
        for nid in frozen:
            if nid not in self.overlays and nid in self.scene.nodes:
                self.overlays[nid] = FrozenOverlay(self.scene.nodes[nid])

    def targets(self, scene_pos: QPointF | None = None) -> list[str]:
        """The selection; a right-click on a node outside it selects that node first."""
        if scene_pos is not None:
            hit = next((i for i in self.scene.items(scene_pos) if isinstance(i, NodeItem)), None)
            if hit is not None and not hit.isSelected():
                self.scene.select_ids([hit.node_id])
        return self.scene.selected_ids()

    def menu_at(self, scene_pos: QPointF | None = None) -> QMenu:
        ids = self.targets(scene_pos)
        doc, scope = self.session.doc, self.session.scope
        menu = QMenu(self.window)
        in_network = scope in doc.networks
        chosen = freezable(doc, scope, ids) if in_network else []
        frozen = set(frozen_ids(doc, scope)) if in_network else set()
        freeze = menu.addAction(f"{SNOWFLAKE} Freeze", lambda: self.set_frozen(ids, True))
        thaw = menu.addAction("Unfreeze", lambda: self.set_frozen(ids, False))
        freeze.setEnabled(any(i not in frozen for i in chosen))
        thaw.setEnabled(any(i in frozen for i in chosen))
        if not in_network:
            freeze.setToolTip("Freeze the Block node in its network")
        add_fc_to_conv(menu, self.session, ids)
        return menu

    def set_frozen(self, ids, frozen: bool) -> bool:
        op = freeze_op(self.session.doc, self.session.scope, ids, frozen)
        if op is None:
            return False
        what = f"{len(freezable(self.session.doc, self.session.scope, ids))} node(s)"
        return self.session.apply(op, f"{'Freeze' if frozen else 'Unfreeze'} {what}")


def install_freeze(window) -> FreezeView:
    window.freeze_view = FreezeView(window)
    return window.freeze_view
