"""The canvas at first sight (issue 17): nodes fit their text, titles tell nodes apart, blocks
show their inside, docks give the canvas room, several networks are all reachable, the inspector
looks finished and the light theme reaches the minimap. One window serves every test."""
import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QToolButton

from studio.core.ops import Disconnect
from studio.core.templates import open_document, template_names
from studio.gui.editor.canvas_items import MAX_WIDTH, NodeItem, TITLE_FONT
from studio.gui.editor.edge_labels import LABEL_FONT
from studio.gui.editor.scene import node_content

SIX = ("lenet5", "resnet50", "unet", "vae", "dcgan", "lstm-classifier")


@pytest.fixture(scope="module")
def win(qapp):
    from studio.gui.app import build_window, create_app
    create_app()
    window = build_window("lenet5")
    window.ask_unsaved = lambda: "discard"
    window.notify = lambda title, text: None
    window.resize(1600, 1000)
    window.show()
    window.session.flush()
    yield window
    window.close()


def _open(window, name):
    doc, diags, _ = open_document(name)
    window.set_document(doc, None, diags)
    window.session.flush()
    QApplication.processEvents()
    return doc


def test_no_title_is_elided_and_nodes_fit_their_title_in_every_template(qapp):
    for name in template_names():
        doc, _, _ = open_document(name)
        for scope, graph in doc.networks.items():
            for node in graph.nodes.values():
                item = NodeItem(node.id)
                item.set_content(*node_content(doc, node))
                where = f"{name}/{scope}/{node.id} {item.title!r}"
                assert item.title_width() <= item.width <= MAX_WIDTH, where  # title whole
                if item.elided:  # a long summary: cut on the node, whole in the tooltip
                    assert item.summary in item.toolTip(), where


def test_a_name_past_the_maximum_is_elided_with_the_whole_text_in_the_tooltip(qapp):
    item = NodeItem("x")
    long = "a_very_long_layer_name_nobody_would_read_on_one_node · Linear"
    item.set_content(long, "Linear", "out_features=4", ["x"], ["y"])
    assert item.width == MAX_WIDTH and item.elided
    assert long in item.toolTip()
    item.set_content("fc · Linear", "Linear", "out_features=4", ["x"], ["y"])
    assert item.width < MAX_WIDTH and item.toolTip() == ""
    assert item.ports[("out", "y")].pos().x() == item.width  # output ports on the right side


def test_titles_name_the_node_and_its_type(win):
    _open(win, "vae")
    titles = {nid: item.title for nid, item in win.scene.nodes.items()}
    assert titles["mu"] == "mu · Linear" and titles["logvar"] == "logvar · Linear"
    assert titles["relu1"] == "relu1"  # the id already says ReLU
    assert titles["kl"] == "kl · KLStandardNormal"


def test_readable_text_sizes():
    assert TITLE_FONT.pixelSize() * 0.79 >= 11  # the title at the readable zoom
    assert LABEL_FONT.pixelSize() * 0.79 >= 9  # edge labels were ~7 px high


def test_one_shape_label_per_output_port(win):
    _open(win, "vae")
    shown = {}
    for edge, item in win.scene.edges.items():
        if item.label_item.shown():
            assert edge.src not in shown, f"two labels for {edge.src}"
            shown[edge.src] = item
    fans = {e.src for e in win.scene.edges if sum(f.src == e.src for f in win.scene.edges) > 1}
    assert fans and fans <= set(shown)  # every fan (relu1 -> mu, logvar) still says its shape


def test_block_nodes_show_their_inside(win):
    _open(win, "resnet50")
    layer1, first = win.scene.nodes["layer1"], win.scene.nodes["layer1_0"]
    repeat = win.session.shapes.params["layer1"]["repeat"]
    assert repeat > 1 and layer1.title == f"layer1 · bottleneck ×{repeat}"  # as in the paper
    assert layer1.summary == "conv1×1 → conv3×3 → conv1×1 + skip"
    assert first.summary == "conv1×1 → conv3×3 → conv1×1 + conv1×1 skip"  # projection
    # the miniature: one chip per layer of the main path, in the layers' colours
    assert layer1.miniature == ["Convolution", "Normalization", "Activation"] * 2 + \
        ["Convolution", "Normalization", "Merge", "Activation"]


def test_a_block_expands_in_place_with_a_click_on_its_mark(win, qtbot):
    from PySide6.QtCore import Qt
    from studio.gui.editor.block_peek import MARK
    _open(win, "resnet50")
    item = win.scene.nodes["layer1"]
    win.view.centerOn(item)
    at = win.view.mapFromScene(item.mapToScene(MARK.center()))
    qtbot.mouseClick(win.view.viewport(), Qt.LeftButton, pos=at)
    assert item.peek is not None and win.session.scope == "model"  # still the parent graph
    texts = [text for _, text in item.peek.rows]
    assert texts[:2] == ["conv1 · conv1×1", "bn1 · bn"] and "add · add" in texts
    qtbot.mouseClick(win.view.viewport(), Qt.LeftButton, pos=at)
    assert item.peek is None


def test_problems_dock_folds_into_a_status_count(win, qtbot):
    _open(win, "lenet5")
    status = win.problems_status
    assert not win.problems_dock.isVisible() and "No problems" in status.text()
    graph = win.session.graph
    edge = next(e for e in graph.edges if e.dst[0] != "output1" and "target" not in e.src[0])
    win.session.apply(Disconnect("model", edge), "Disconnect")
    qtbot.waitUntil(lambda: win.problems_dock.isVisible(), timeout=3000)  # opened by itself
    assert win.problems.count() >= 1 and "problem" in status.text()
    win.session.undo.undo()
    qtbot.waitUntil(lambda: not win.problems_dock.isVisible(), timeout=3000)
    assert "No problems" in status.text()
    win.problems_dock.toggleViewAction().trigger()  # opened from the View menu: it stays
    win.problems.refresh()
    assert win.problems_dock.isVisible()
    win.problems_dock.hide()


def test_minimap_only_when_the_graph_does_not_fit(win, qtbot):
    _open(win, "lenet5")
    win.view.frame(False)
    win.minimap._render()
    QApplication.processEvents()
    assert not win.minimap.isVisible()
    win.view.zoom_by(3.0)
    qtbot.waitUntil(lambda: win.minimap.isVisible(), timeout=2000)
    win.minimap_action.trigger()  # the user's choice wins
    assert not win.minimap.isVisible()
    win.minimap_action.trigger()
    qtbot.waitUntil(lambda: win.minimap.isVisible(), timeout=2000)


def test_every_network_of_a_gan_is_reachable_and_where_they_meet_is_said(win, qtbot):
    _open(win, "lenet5")
    assert not win.network_tabs.isVisible()
    doc = _open(win, "dcgan")
    tabs = win.network_tabs
    assert tabs.isVisible() and tabs.tabs.count() == 2
    assert [tabs.tabs.tabText(i).split()[0] for i in range(2)] == ["generator", "discriminator"]
    meeting = tabs.meeting.text()
    assert "generator.output1" in meeting and "discriminator.input1" in meeting
    tabs.tabs.setCurrentIndex(1)
    assert win.session.scope == "discriminator"
    assert set(win.scene.nodes) == set(doc.networks["discriminator"].nodes)
    win.session.open_scope("generator")
    assert tabs.tabs.currentIndex() == 0


def test_a_loss_the_recipe_computes_is_shown_beside_the_discriminator_output(win):
    """A GAN's discriminator has no loss node: the badge under its output names the loss and
    the recipe, and the opening frame shows it; nowhere else (the generator, a classifier whose
    loss is a node, a discriminator that has its own loss node)."""
    from studio.core.builder import GraphBuilder
    from studio.gui.editor.recipe_losses import recipe_loss
    doc = _open(win, "dcgan")
    assert win.scene.loss_badge is None  # the generator is on view first
    win.session.open_scope("discriminator")
    QApplication.processEvents()
    badge = win.scene.loss_badge
    assert badge is not None and badge.parentItem() is win.scene.nodes["output1"]
    assert "adversarial loss (recipe gan)" in badge.text and "real → 1" in badge.text
    seen = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    assert seen.contains(badge.sceneBoundingRect())
    _open(win, "lenet5")
    assert win.scene.loss_badge is None
    own = doc.copy()
    assert recipe_loss(own, "discriminator") is not None
    GraphBuilder(own, "discriminator").add("loss.BCEWithLogits")
    assert recipe_loss(own, "discriminator") is None  # its own loss node says it


def test_the_loss_badge_stays_in_view_on_a_laptop_screen(win, qtbot):
    """At 1280x800 the discriminator's opening frame is at the readable zoom, framed on its
    nodes: the badge, wider than the output node, reaches left under the row instead of past
    the graph's right edge, where the view cut it off."""
    win.resize(1280, 800)
    try:
        QApplication.processEvents()
        _open(win, "dcgan")
        win.session.open_scope("discriminator")
        qtbot.wait(50)
        badge, output = win.scene.loss_badge, win.scene.nodes["output1"]
        assert badge.sceneBoundingRect().width() > output.sceneBoundingRect().width()
        assert badge.sceneBoundingRect().right() <= output.sceneBoundingRect().right() + 1
        seen = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
        assert seen.contains(badge.sceneBoundingRect())
        # switching back shows one name, not the new one over the old one: the new label is
        # shown when events are processed, the old one deleted only on a later turn of the loop
        win.session.open_scope("generator")
        QApplication.processEvents()
        bar = win.crumbs.parentWidget()
        shown = [w.text() for w in bar.findChildren(QLabel) if w.isVisible()]
        assert shown == ["<b>generator</b>"], shown
    finally:
        win.resize(1600, 1000)
        QApplication.processEvents()


def test_inspector_controls_are_one_line_high_and_explained(win):
    _open(win, "resnet50")
    win.select_node("layer1")
    QApplication.processEvents()
    line = QLineEdit().sizeHint().height()
    editors = win.inspector.editors
    assert set(editors) == {"block", "repeat"}
    for name, editor in editors.items():
        assert editor.height() <= line + 6, (name, editor.height())
        assert editor.toggle.text() != "$" and "$" in editor.toggle.toolTip()
    texts = " ".join(w.text() for w in win.inspector.widget().findChildren(QLabel))
    assert "block definition's ports" not in texts
    assert "conv1×1 → conv3×3" in texts  # what the block holds, instead
    assert not [b for b in win.inspector.findChildren(QToolButton) if b.text() == "$"]


def test_light_theme_reaches_the_minimap_and_plots(win, qtbot):
    import pyqtgraph as pg
    _open(win, "resnet50")
    win.view.zoom_by(3.0)
    qtbot.waitUntil(lambda: win.minimap.isVisible(), timeout=2000)
    try:
        win.set_theme("light")
        corner = QColor(win.minimap.grab().toImage().pixel(3, 3))
        assert corner.lightness() > 200
        plots = win.findChildren(pg.GraphicsView)  # this window's (other tests' may linger)
        assert plots and all(p.backgroundBrush().color().lightness() > 200 for p in plots)
    finally:
        win.set_theme("dark")
    assert QColor(win.minimap.grab().toImage().pixel(3, 3)).lightness() < 60


def test_first_start_hint_until_the_first_edit_and_on_an_empty_canvas(win, qtbot):
    from studio.core.document import Document
    from studio.gui import files
    from studio.gui.editor.canvas_hint import SEEN_KEY, CanvasHint
    files.settings().remove(SEEN_KEY)
    _open(win, "lenet5")
    hint = CanvasHint(win.view, win.session)  # a first start: nothing remembered
    try:
        assert hint.isVisible() and "F5" in hint.text() and "Tab" in hint.text()
        where = hint.geometry()
        win.view.horizontalScrollBar().setValue(win.view.horizontalScrollBar().value() + 300)
        assert hint.geometry() == where  # stays put while the canvas pans under it
        assert win.view.viewport().geometry().contains(where)
        node = next(iter(win.session.graph.nodes))
        from studio.core.ops import RenameNode
        win.session.apply(RenameNode("model", node, "first"), "Rename")
        assert not hint.isVisible()  # the first edit: the newcomer found the way
        win.set_document(Document())
        assert hint.isVisible()  # an empty canvas always says how to begin
    finally:
        hint.deleteLater()
        files.settings().remove(SEEN_KEY)


def test_zoomed_out_nodes_drop_their_pixmaps_and_labels_and_a_theme_switch_restyles(win):
    """Below the text zoom, node pixmap caches and shape labels only cost frame time
    (bench/editor.py): the view switches them off as a whole, and on again when zooming in.
    Ports and wires are painted by Qt from stored pens: a theme switch restyles them."""
    from PySide6.QtWidgets import QGraphicsItem
    from studio.gui.theme import DARK, LIGHT
    _open(win, "lenet5")
    view, scene = win.view, win.scene
    view.zoom_by(0.3 / view.zoom())
    view.viewport().repaint()
    assert all(n.cacheMode() == QGraphicsItem.NoCache for n in scene.nodes.values())
    assert not any(e.label_item.isVisible() for e in scene.edges.values())
    view.zoom_by(1.0 / view.zoom())
    view.viewport().repaint()
    QApplication.processEvents()
    assert all(n.cacheMode() == QGraphicsItem.DeviceCoordinateCache
               for n in scene.nodes.values())
    assert all(e.label_item.isVisible() for e in scene.edges.values())
    assert sum(e.label_item.shown() for e in scene.edges.values()) >= len(scene.edges) - 2
    edge = next(iter(scene.edges.values()))
    port = next(iter(scene.nodes["c1"].ports.values()))
    try:
        win.set_theme("light")
        view.viewport().repaint()
        assert edge.pen().color() == QColor(LIGHT["edge"])
        assert port.pen().color() == QColor(LIGHT["node"])
    finally:
        win.set_theme("dark")
        view.viewport().repaint()
    assert edge.pen().color() == QColor(DARK["edge"])
