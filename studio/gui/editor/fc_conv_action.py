"""*Convert to convolutions* in the canvas context menu: the Flatten -> Linear head holding the
right-clicked node becomes convolutions with a class-map output (``studio.core.fc_to_conv``),
as one undo step. Offered on a network's Flatten or Linear; the menu says why when the head
cannot be converted, so the action never fails after it is chosen."""
from __future__ import annotations

from PySide6.QtWidgets import QMenu

from studio.core.fc_to_conv import TITLE, FcToConvError, fc_to_conv_op, find_head

LABEL = "Convert to convolutions (FC → conv)"


def head_problem(session, ids) -> str | None:
    """Why the selection cannot be converted (None: it can)."""
    doc, scope = session.doc, session.scope
    if scope not in doc.networks:
        return "open the network: a head inside a block is converted from its network"
    if len(ids) != 1:
        return "select one node: the Flatten or a Linear of a classifier head"
    try:
        find_head(doc, scope, ids[0], session.shapes)
    except FcToConvError as e:
        return str(e)
    return None


def convert(session, node_id: str) -> bool:
    """Apply the conversion as one undo step; a refusal becomes the session's message."""
    try:
        batch, head = fc_to_conv_op(session.doc, session.scope, node_id, session.inference)
    except FcToConvError as e:
        session.message.emit(str(e))
        return False
    return session.apply(batch, f"{TITLE} ({len(head.linears)} layers)")


def add_fc_to_conv(menu: QMenu, session, ids) -> None:
    """Add the action to a canvas context menu for the selected node ids."""
    problem = head_problem(session, list(ids))
    action = menu.addAction(LABEL, lambda: convert(session, list(ids)[0]))
    action.setEnabled(problem is None)
    action.setToolTip(problem or "Linear layers become convolutions (the first with the "
                      "feature map's size as kernel, the others 1x1): the network then takes "
                      "larger inputs and outputs a class map")
    menu.setToolTipsVisible(True)
