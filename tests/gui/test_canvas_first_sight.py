"""The canvas at first sight (issue 17): every template, in every preset and every network,
opens in a 1600x1000 window framed at a zoom where node titles are at least 11 px high, with
every node on screen (or, for a graph too big for that, its inputs and at least MIN_SHARE of its
nodes), and no wire drawn across a node it does not connect.

One window serves every case (building one costs more than opening a document in it).
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF, QSizeF
from PySide6.QtGui import QFontInfo, QPainterPathStroker
from PySide6.QtWidgets import QApplication

from nodes import INPUT, role_of
from support.template_checks import cases, configured

READABLE_PX = 11.0
MIN_SHARE = 0.5  # of the nodes, on screen when the whole graph cannot be at a readable zoom
SIZE = (1600, 1000)


@pytest.fixture(scope="module")
def studio():
    from studio.gui.app import create_app
    from studio.gui.window import MainWindow
    app = create_app()
    window = MainWindow()
    window.ask_unsaved = lambda: "discard"
    window.notify = lambda title, text: None
    window.resize(*SIZE)
    window.show()
    app.processEvents()
    yield window
    window.session.undo.setClean()
    window.close()


def body(item) -> QRectF:
    return QRectF(item.scenePos(), QSizeF(item.width, item.height))


def check_scope(window, where: str) -> None:
    from studio.gui.editor.canvas_items import TITLE_FONT
    view, scene = window.view, window.scene
    title_px = QFontInfo(TITLE_FONT).pixelSize() * view.zoom()
    assert title_px >= READABLE_PX - 1e-6, f"{where}: titles {title_px:.1f} px high on screen"
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    items = scene.nodes
    inside = [nid for nid, item in items.items() if seen.contains(body(item))]
    if len(inside) < len(items):
        graph = window.session.graph
        inputs = [n for n in items if role_of(graph.nodes[n].type) == INPUT]
        assert set(inputs) <= set(inside), f"{where}: inputs {inputs} not all on screen"
        assert len(inside) >= MIN_SHARE * len(items), \
            f"{where}: only {len(inside)} of {len(items)} nodes on screen"
    check_labels(scene, where)
    stroker = QPainterPathStroker()
    stroker.setWidth(1.0)
    for edge, edge_item in scene.edges.items():
        wire = stroker.createStroke(edge_item.path)
        for nid, item in items.items():
            if nid in (edge.src[0], edge.dst[0]):
                continue
            assert not wire.intersects(body(item).adjusted(1, 1, -1, -1)), \
                f"{where}: wire {edge.src[0]} -> {edge.dst[0]} crosses node {nid}"


def check_labels(scene, where: str) -> None:
    """Shape labels never cover a node (nor its port knobs) or one another, and every output
    port with a wire still says its shape on one of its wires."""
    shown = [(e, i.label_item.rect) for e, i in scene.edges.items() if i.label_item.shown()]
    for n, (edge, rect) in enumerate(shown):
        for other, rect2 in shown[n + 1:]:
            assert not rect.intersects(rect2), \
                f"{where}: labels of {edge.src} and {other.src} overlap"
        for nid, item in scene.nodes.items():
            assert not rect.intersects(body(item)), f"{where}: label of {edge.src} on {nid}"
            for port in item.ports.values():  # the knob as painted (its hit area is larger)
                knob = port.mapRectToScene(port.rect()).adjusted(-0.75, -0.75, 0.75, 0.75)
                assert not rect.intersects(knob), \
                    f"{where}: label of {edge.src} on port {nid}.{port.name}"
    said = {e.src for e, _ in shown}
    ports = {e.src for e in scene.edges}
    assert said == ports, f"{where}: no label for {sorted(ports - said)}"


@pytest.mark.parametrize("name,preset", cases())
def test_template_opens_framed_and_readable(studio, name, preset):
    studio.set_document(configured(name, preset).copy())
    studio.session.flush()
    QApplication.processEvents()
    for network in list(studio.session.doc.networks):
        if studio.session.scope != network:
            studio.session.open_scope(network)
            studio.session.flush()
            QApplication.processEvents()
        check_scope(studio, f"{name} ({preset}) {network}")


def test_auto_layout_frames_a_long_chain(studio):
    """A chain far wider than the canvas wraps into bands: after Auto-layout it is all on
    screen at a readable zoom, and its wires route around the nodes."""
    from studio.core.builder import GraphBuilder
    from studio.core.document import Document
    doc = Document()
    b = GraphBuilder(doc)
    h = b.add("io.Input", shape=[8])
    for _ in range(14):
        h = b.add("linear.Linear", h, out_features=8)
    b.add("io.Output", h)
    for i, node in enumerate(doc.networks["model"].nodes.values()):
        node.ui["pos"] = [i * 260.0, 0.0]  # one long row: 16 nodes, 4,000 units wide
    studio.set_document(doc)
    studio.session.flush()
    studio.auto_layout()
    QApplication.processEvents()
    check_scope(studio, "16-node chain")
    seen = studio.view.mapToScene(studio.view.viewport().rect()).boundingRect()
    assert all(seen.contains(body(i)) for i in studio.scene.nodes.values())
    studio.session.undo.undo()
    assert studio.scene.nodes["linear1"].pos().x() == pytest.approx(260.0)


def test_first_start_is_maximized_then_the_window_opens_where_it_was_left(qtbot):
    from PySide6.QtWidgets import QMainWindow
    from studio.gui import files
    from studio.gui.window_geometry import KEY, remember_geometry, show_main_window
    files.settings().remove(KEY)
    first = QMainWindow()
    qtbot.addWidget(first)
    first.resize(1500, 900)  # the studio's own size, larger than the offscreen screen
    show_main_window(first)
    assert first.isMaximized()
    first.showNormal()
    # un-maximized (or where nothing maximizes) the window still fits the screen
    room = first.screen().availableGeometry()
    assert room.contains(first.geometry()), (room, first.geometry())
    assert first.width() < 1500 and first.height() < 900
    first.setGeometry(40, 30, 700, 500)  # within the offscreen screen (800x600)
    QApplication.processEvents()
    remember_geometry(first)
    later = QMainWindow()
    qtbot.addWidget(later)
    show_main_window(later)
    QApplication.processEvents()
    assert not later.isMaximized()
    assert (later.width(), later.height()) == (700, 500)
    files.settings().remove(KEY)


def test_a_node_moved_onto_a_wire_pushes_the_wire_around_it(studio):
    from studio.core.ops import MoveNodes
    studio.set_document(configured("lenet5", "small").copy())
    studio.session.flush()
    wire = next(i for e, i in studio.scene.edges.items() if e.src[0] == "input1")
    (ax, ay), (bx, _) = wire.points[0], wire.points[-1]
    label = studio.scene.nodes["label"]
    spot = [(ax + bx) / 2 - label.width / 2, ay - label.height / 2]
    studio.session.apply(MoveNodes("model", {"label": spot}), "Move")
    QApplication.processEvents()
    stroker = QPainterPathStroker()
    stroker.setWidth(1.0)
    assert not stroker.createStroke(wire.path).intersects(body(label).adjusted(1, 1, -1, -1))
    assert len(wire.points) > 2  # it bends around now


def test_the_opening_frame_follows_the_window_until_the_user_moves(studio, qtbot):
    """A window that maximizes, or a dock that opens, after the document was framed: the view
    frames again; once the user has zoomed, a resize keeps the user's view."""
    studio.set_document(configured("alexnet", "small").copy())
    studio.session.flush()
    QApplication.processEvents()
    size = studio.size()
    try:
        studio.resize(1400, 880)
        QApplication.processEvents()
        check_scope(studio, "alexnet (small), window shrunk after opening")
        studio.view.zoom_by(2.0)
        zoom = studio.view.zoom()
        studio.resize(1500, 950)
        QApplication.processEvents()
        assert studio.view.zoom() == zoom
    finally:
        studio.resize(size)
        QApplication.processEvents()


LAPTOP = (1280, 800)


@pytest.mark.parametrize("name,whole", [("lenet5", True), ("mlp", True), ("vae", True),
                                        ("resnet18", False)])
def test_a_laptop_window_shows_the_whole_graph(studio, name, whole):
    """Templates are wrapped for 1600x1000; in a 1280x800 window the layout is wrapped again
    for the narrower canvas on opening, so the whole network shows with readable titles (the
    positions are the automatic ones, so nobody's arrangement is lost), and the wires still go
    around the nodes. ResNet-18's blocks are too wide for a 726 px canvas at the readable zoom:
    it opens readable on its inputs with most of it on screen."""
    size = studio.size()
    try:
        studio.resize(*LAPTOP)
        QApplication.processEvents()
        studio.set_document(configured(name).copy())
        studio.session.flush()
        QApplication.processEvents()
        check_scope(studio, f"{name} at 1280x800")
        seen = studio.view.mapToScene(studio.view.viewport().rect()).boundingRect()
        outside = [n for n, i in studio.scene.nodes.items() if not seen.contains(body(i))]
        assert not outside or not whole, f"{name} at 1280x800: {outside} not on screen"
    finally:
        studio.resize(size)
        QApplication.processEvents()


def test_a_layout_a_person_arranged_is_not_wrapped_again(studio):
    """Only automatic layouts are wrapped for the view: moved nodes stay where they were put
    (the view then opens on the inputs' corner instead)."""
    doc = configured("lenet5").copy()
    graph = doc.networks["model"]
    graph.nodes["label"].ui["pos"] = [graph.nodes["label"].ui["pos"][0] + 40.0,
                                      graph.nodes["label"].ui["pos"][1]]
    stored = {n: list(node.ui["pos"]) for n, node in graph.nodes.items()}
    size = studio.size()
    try:
        studio.resize(*LAPTOP)
        QApplication.processEvents()
        studio.set_document(doc)
        studio.session.flush()
        QApplication.processEvents()
        now = {n: [i.pos().x(), i.pos().y()] for n, i in studio.scene.nodes.items()}
        assert now == stored
        check_scope(studio, "lenet5 arranged by hand at 1280x800")
    finally:
        studio.resize(size)
        QApplication.processEvents()
