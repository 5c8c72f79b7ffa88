"""A trained network's weights carried across the fully-connected-to-convolution edit.

:mod:`studio.core.fc_to_conv` keeps every node id, so each layer keeps its module; only the
converted Linears' weights change shape (reshaped, never recomputed: the convolution computes the
same dot products). Names go through both compiled networks' node maps rather than assuming a
module is named after its node, so a renamed module (``n_1`` for a node ``1``) still matches.
"""
from __future__ import annotations

import torch

from studio.compile.fx import Compiled, compile_network
from studio.core.document import Document
from studio.core.fc_to_conv import FcToConvError, Head, conv_weight, fc_to_conv_op


def convert_state_dict(state: dict, head: Head, before: Compiled, after: Compiled) -> dict:
    """``state`` (keyed like ``before.module``) keyed and shaped like ``after.module``."""
    module_of = {node: name for name, node in after.node_map.items()}
    out = {}
    for key, tensor in state.items():
        name, _, rest = key.partition(".")
        node = before.node_map.get(name)
        if node not in module_of:
            raise FcToConvError(f"weights: {key!r} belongs to no node of the converted network")
        if node in head.linears and rest == "weight":
            tensor = conv_weight(tensor, head, node)
        out[f"{module_of[node]}.{rest}"] = tensor
    return out


def convert_network(doc: Document, network: str, node_id: str, state: dict | None = None):
    """Convert ``doc`` in place: (the inverse op, the head, the converted ``state`` or None).
    The converted weights are checked by loading them into the compiled result."""
    before = compile_network(doc, network)
    batch, head = fc_to_conv_op(doc, network, node_id)
    undo = batch.apply(doc)
    if state is None:
        return undo, head, None
    try:
        after = compile_network(doc, network)
        converted = convert_state_dict(state, head, before, after)
        after.module.load_state_dict(converted)
    except (FcToConvError, RuntimeError) as e:
        undo.apply(doc)  # the document as it was: weights that do not fit change nothing
        raise FcToConvError(f"weights do not fit the network: {str(e).splitlines()[0]}") from e
    return undo, head, {k: v.detach().clone() for k, v in converted.items()
                        if isinstance(v, torch.Tensor)}
