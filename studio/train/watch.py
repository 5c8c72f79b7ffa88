"""What a run's dashboard watches, derived from the document: the nodes whose weights and
activations the trainer snapshots, and the input shape their weight images are drawn at.

Qt-free, so the studio, the CLI and benchmarks ask the same questions of a document; the input
shape is read under the chosen preset and ``--var`` values, as the run trains it.
"""
from __future__ import annotations

from nodes import INPUT, is_inspectable, role_of
from studio.core import params as P
from studio.core.variables import scope_for

WATCHED_MAX = 10  # a snapshot costs the trainer time per node: the first few layers tell most


def _graph(doc, network: str):
    return doc.networks.get(network) or next(iter(doc.networks.values()))


def watched_nodes(doc, network: str = "model") -> list[str]:
    """The first :data:`WATCHED_MAX` layers and blocks of ``network`` (the first network when
    there is none of that name), in document order."""
    graph = _graph(doc, network)
    return [n.id for n in graph.nodes.values() if is_inspectable(n.type)][:WATCHED_MAX]


def input_shape(doc, network: str = "model", preset: str | None = None,
                overrides: dict | None = None) -> tuple[int, ...] | None:
    """The (C, H, W) of the network's first Input node with ``preset`` and ``overrides``
    applied; None when it has no Input or the shape does not resolve to integers (the
    document's variables are the validator's to report). An unknown preset is a
    :class:`~studio.core.params.ParamError`: the caller's mistake, not the document's."""
    if preset and preset not in doc.presets:
        scope_for(doc, preset)  # raises, naming the presets the document has
    graph = _graph(doc, network)
    node = next((n for n in graph.nodes.values() if role_of(n.type) == INPUT), None)
    if node is None:
        return None
    try:
        shape = P.resolve(node.params.get("shape"), scope_for(doc, preset, overrides))
        return tuple(int(v) for v in shape)
    except (P.ParamError, TypeError, ValueError):
        return None


def dashboard_overrides(doc) -> dict:
    """What the dashboard needs on top of the document: snapshots of the watched nodes every
    few steps (rate-limited by the engine) with room for one feature map stack per node."""
    return {"snapshot": {"nodes": watched_nodes(doc), "every_steps": 50, "min_interval_s": 2.0,
                         "max_values": 8192, "probe": 8}}
