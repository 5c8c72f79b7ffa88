"""Losses that live in the recipe, shown on the canvas where they apply.

A GAN's discriminator graph usually has no loss node: the adversarial loss is computed by the
recipe (``studio.train.recipes.generative.GAN``: binary cross-entropy on the discriminator's
first output, real images labelled 1 and generated ones 0; the generator's step labels its
fakes 1). Nothing on the canvas said so. A small badge beside the discriminator's output names
the loss and the recipe; it appears only when the recipe really supplies the loss (a
discriminator with its own loss nodes shows those instead). The recipe is recognised by its
class, as the trainer knows it, not by comparing names.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsItem

from nodes import LOSS, OUTPUT, role_of
from studio.gui.theme import category_colour, colours

BADGE_FONT = QFont("Sans Serif")
BADGE_FONT.setPixelSize(12)


def recipe_loss(doc, scope: str) -> tuple[str, str] | None:
    """(output node id, badge text) when the recipe computes this network's loss, else None."""
    from studio.train.recipes import recipes
    from studio.train.recipes.generative import GAN
    name = (doc.training or {}).get("recipe") if isinstance(doc.training, dict) else None
    cls = recipes().get(name) if isinstance(name, str) else None
    if cls is None or not issubclass(cls, GAN) or scope != "discriminator" \
            or scope not in doc.networks:
        return None
    graph = doc.networks[scope]
    roles = {nid: role_of(node.type) for nid, node in graph.nodes.items()}
    outputs = [nid for nid, role in roles.items() if role == OUTPUT]
    if not outputs or LOSS in roles.values():
        return None
    return outputs[0], (f"adversarial loss (recipe {name}): BCE with logits,\n"
                        f"real → 1, generated → 0; generator step: generated → 1")


class LossBadge(QGraphicsItem):
    """The badge, a child of the output node's item, under its body (an output has no wires
    leaving it, so nothing is routed there; the opening frame includes the badge)."""

    def __init__(self, node_item, text: str):
        super().__init__(node_item)
        self.text = text
        metrics = QFontMetricsF(BADGE_FONT)
        lines = text.split("\n")
        w = max(metrics.horizontalAdvance(line) for line in lines) + 12
        self.rect = QRectF(0, 0, w, metrics.height() * len(lines) + 8)
        # wider than the output node, it grows to the left: the output usually ends the
        # graph's last row, and a badge reaching past the graph's right edge would be cut
        # off by a view framed on the nodes (a laptop's 1280 px)
        self.setPos(min(0.0, node_item.width - w), node_item.height + 8)
        self.setToolTip("The discriminator's loss is computed by the training recipe, not by "
                        "a node of this graph")

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter, option, widget=None):
        c = colours()
        painter.setPen(QPen(category_colour("Loss"), 1.2, Qt.DashLine))  # as loss nodes
        painter.setBrush(QColor(c["node"]))
        painter.drawRoundedRect(self.rect, 5, 5)
        painter.setPen(QColor(c["text"]))
        painter.setFont(BADGE_FONT)
        painter.drawText(self.rect.adjusted(6, 4, -6, -4), Qt.AlignLeft | Qt.AlignVCenter,
                         self.text)


def add_loss_badge(scene) -> LossBadge | None:
    """Put the badge on ``scene`` (a ``GraphScene``) if the recipe supplies its loss."""
    doc = scene.session.doc
    found = recipe_loss(doc, scene.session.scope) if doc is not None else None
    if found is None or found[0] not in scene.nodes:
        scene.loss_badge = None
        return None
    scene.loss_badge = LossBadge(scene.nodes[found[0]], found[1])
    return scene.loss_badge
