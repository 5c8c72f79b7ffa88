"""Small helpers shared by the GUI tests: building documents and driving the canvas."""
from PySide6.QtCore import Qt

from studio.core.builder import GraphBuilder
from studio.core.document import Document
from studio.core.layout import apply_layout

# A few seconds of training the mlp on a few digits (the dashboard tests' runs)
QUICK = {"epochs": 2, "limit": 120, "batch_size": 16, "log_every": 1, "device": "cpu"}


def small_conv_doc(input_shape=(1, 8, 8)) -> Document:
    """Input -> Conv2d -> Flatten -> Linear -> Output, laid out."""
    doc = Document()
    b = GraphBuilder(doc)
    x = b.add("io.Input", shape=list(input_shape))
    c = b.add("conv.Conv2d", x, out_channels=4, kernel_size=3)
    f = b.add("reshape.Flatten", c)
    lin = b.add("linear.Linear", f, out_features=3)
    b.add("io.Output", lin)
    apply_layout(doc.networks["model"])
    return doc


def port_point(window, node_id, kind, name):
    """The viewport point of a port, for real mouse gestures."""
    item = window.scene.nodes[node_id].ports[(kind, name)]
    return window.view.mapFromScene(item.scenePos())


def drag(qtbot, widget, start, end):
    qtbot.mousePress(widget, Qt.LeftButton, pos=start)
    qtbot.mouseMove(widget, pos=(start + end) / 2)
    qtbot.mouseMove(widget, pos=end)
    qtbot.mouseRelease(widget, Qt.LeftButton, pos=end)


def state(window) -> dict:
    return window.session.doc.to_json()


def scene_matches_document(window) -> bool:
    graph = window.session.graph
    return (set(window.scene.nodes) == set(graph.nodes) and
            set(window.scene.edges) == set(graph.edges))


WAIT = 60000  # ms: generous for a shared 2-core machine; the tools take 0.1–5 s


def run_tool(qtbot, lab, key: str, **values):
    form = lab.select_tool(key)
    for name, value in values.items():
        form.set_value(name, value)
    with qtbot.waitSignal(lab.finished, timeout=WAIT) as blocker:
        assert lab.run()
    qtbot.waitUntil(lambda: not lab.busy, timeout=WAIT)
    return blocker.args[0]
