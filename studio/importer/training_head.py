"""The training part an imported classifier gets, so `netstudio train` runs on it as it is.

A network whose one output is (N, classes) logits gets a ``label`` Target and a CrossEntropy
loss on that output, and the classification recipe. Both importers (PyTorch and ONNX) use it.
An output that already went through a softmax/sigmoid (or is a step, or a map's distances) is
left alone: CrossEntropy on it would train a different model without saying so.
"""
from __future__ import annotations

from studio.core.builder import GraphBuilder

# outputs that are probabilities, decisions or distances, not logits: no CrossEntropy is
# wired to them
_NOT_LOGITS = {"activation.Softmax", "activation.LogSoftmax", "activation.Sigmoid",
               "activation.Step", "som.SelfOrganizingMap"}

NOTE = ("added a 'label' Target and a CrossEntropy loss on the (N, classes) output and the "
        "classification recipe, so the network trains as it is (delete them for another task)")


def add_classifier_training(doc, shapes: list) -> str | None:
    """Wire Target + CrossEntropy when the network ``model`` ends in one (N, classes) output
    with 2 classes or more; ``shapes``: each output's shape (None: not a float tensor).
    Returns the report's note, or None (nothing added)."""
    graph = doc.networks["model"]
    outputs = [n for n in graph.nodes.values() if n.type == "io.Output"]
    if len(outputs) != 1 or len(shapes) != 1 or shapes[0] is None or len(shapes[0]) != 2 \
            or not isinstance(shapes[0][1], int) or shapes[0][1] < 2:
        return None
    feed = graph.edge_into(outputs[0].id, "x")
    if feed is None or graph.nodes[feed.src[0]].type in _NOT_LOGITS:
        return None
    b = GraphBuilder(doc, "model")
    target = b.add("io.Target", id=_free(graph, "label"), name="label", shape=[],
                   dtype="int64", field="label")
    b.add("loss.CrossEntropy", feed.src, target, id=_free(graph, "loss"))
    doc.training = {**doc.training, "recipe": "classification"}
    return NOTE


def _free(graph, wanted: str) -> str | None:
    """``wanted`` as the node id when no node has it yet (else the builder numbers one)."""
    return None if wanted in graph.nodes else wanted
