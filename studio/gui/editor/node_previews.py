"""Live node previews: each node on the canvas shows a thumbnail of its output for a probe input.

A View menu toggle. After each edit (shapes re-inferred), a short timer coalesces a burst of
edits into one refresh: compile the network on view, load the Lab's weights when they fit
(else the freshly initialized ones), run :func:`studio.inspect.preview.preview_outputs` on the
probe and hang a pixmap under each node. A network with errors is skipped (its last previews
stay). The probe for an image network is the bundled sample picture at the input's size, so
the previews show real structure rather than noise; other inputs get a seeded random tensor.
NodeItem is untouched: the thumbnail is a child QGraphicsPixmapItem this module adds/removes.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGraphicsPixmapItem

from shiboken6 import isValid

from studio.core.diagnostics import ERROR
from studio.gui.editor.canvas_items import WIDTH, NodeItem
from studio.gui.guard import guarded
from studio.gui.lab.lab_views import to_pixmap

SIZE, SCALE, GAP = 64, 1.5, 6.0  # thumbnail pixels, canvas scale, gap below the node


def probe_for(compiled):
    """One probe per network input (no batch axis): the sample picture for images."""
    import torch

    from studio.inspect.lab_tools import bundled
    from studio.inspect.images import load_image
    probes = []
    for name in compiled.inputs:
        outs = compiled.shapes.outputs.get(compiled.node_map[name]) or {}
        spec = next(iter(outs.values()), None)
        shape = [int(d) if isinstance(d, int) else 1 for d in (spec.shape[1:] if spec else [])]
        if spec is not None and spec.dtype == "float32" and len(shape) == 3 \
                and shape[0] in (1, 3):
            probes.append(load_image(bundled("sample_content.png"), shape[0], tuple(shape[1:]),
                                     resize=True)[0])
        elif spec is not None and spec.dtype.startswith("int"):
            probes.append(torch.zeros(shape, dtype=torch.long))
        else:
            probes.append(torch.randn(shape, generator=torch.Generator().manual_seed(0)))
    return tuple(probes) if len(probes) > 1 else probes[0]


class NodePreviews(QObject):
    def __init__(self, session, scene, lab=None, parent=None):
        super().__init__(parent)
        self.session, self.scene, self.lab = session, scene, lab
        self.thumbnails: dict = {}  # node id -> (H, W, 3) uint8 shown
        self.items: dict[str, QGraphicsPixmapItem] = {}
        self.note = ""  # why the last refresh was skipped or fell back, for tests and tips
        self._cache = None  # (what the network computes, its compiled module with weights)
        self.action = QAction("Node &previews", parent)
        self.action.setCheckable(True)
        self.action.toggled.connect(self.set_enabled)
        self.timer = QTimer(self, singleShot=True, interval=120)
        self.timer.timeout.connect(self.refresh)
        for signal in (session.shapes_updated, session.document_replaced, session.scope_changed):
            signal.connect(self.schedule)

    @property
    def enabled(self) -> bool:
        return self.action.isChecked()

    def set_enabled(self, on: bool) -> None:
        if self.action.isChecked() != on:
            self.action.setChecked(on)  # toggled calls back here
            return
        if on:
            self.refresh()
        else:
            self.timer.stop()
            self.clear()

    def schedule(self) -> None:
        if self.enabled:
            self.timer.start()

    def clear(self) -> None:
        for item in self.items.values():
            _drop(item)
        self.items, self.thumbnails = {}, {}
        self._cache = None  # do not hold a (possibly large) network while previews are off

    @guarded
    def refresh(self) -> None:
        """Recompute and show every node's thumbnail (skipped while the network has errors)."""
        self.timer.stop()
        session = self.session
        if not self.enabled or session.doc is None:
            return
        if session.scope not in session.doc.networks:
            self.clear()
            self.note = "previews show on networks, not inside blocks"
            return
        if any(d.severity == ERROR for d in session.shapes.diagnostics):
            self.note = "skipped: the network has errors"
            return
        from studio.compile.fx import CompileError
        from studio.core.threads import single_threaded
        from studio.inspect.preview import preview_outputs
        try:
            compiled = self._compiled()
        except CompileError:
            self.note = "skipped: the network does not compile"
            return
        with single_threaded():  # one small forward: a thread pool only adds latency
            self.show(preview_outputs(compiled, probe_for(compiled), SIZE))

    def _compiled(self):
        """The compiled network with the chosen weights, rebuilt only when what it computes
        changed: moving nodes, renaming or selecting refreshes nothing but the pictures."""
        import json

        from studio.compile.fx import compile_network
        session = self.session
        weights = self._weights_key()
        key = json.dumps([session.scope, session.doc.variables, weights,
                          {k: v.to_json() for k, v in session.doc.blocks.items()},
                          [(n.id, n.type, n.params) for n in session.graph.nodes.values()],
                          [e.to_json() for e in session.graph.edges]], sort_keys=True,
                         default=str)
        if self._cache is None or self._cache[0] != key:
            compiled = compile_network(session.doc, session.scope, None, seed=0,
                                       inference=session.inference)
            self.note = self._load_weights(compiled)
            self._cache = (key, compiled)
        return self._cache[1]

    def _weights_key(self):
        """Which weights file the Lab has chosen, and its modification time (None: initial)."""
        import os
        try:
            path = self.lab.weights() if self.lab is not None else None
        except ValueError:
            return None
        if not path:
            return None
        try:
            return [str(path), os.stat(path).st_mtime_ns]
        except OSError:
            return [str(path), None]

    def _load_weights(self, compiled) -> str:
        """The Lab's weights when they fit this network; the initial ones otherwise."""
        if self.lab is None:
            return ""
        try:
            path = self.lab.weights()
        except ValueError:
            return "initial weights (the Lab has none chosen)"
        if not path:
            return ""
        from studio.inspect.errors import InspectError
        from studio.inspect.network import load_weights
        try:
            load_weights(compiled.module, path, self.session.scope)
        except InspectError as e:
            return f"initial weights: {e}"
        return ""

    def _place(self, node, width: float, height: float) -> QPointF:
        """Under the node, or above it when another node sits there (Input over Target)."""
        left = (WIDTH - width) / 2
        below = QRectF(left, node.height + GAP, width, height)
        above = QRectF(left, -GAP - height, width, height)
        if _overlaps_a_node(self.scene, node, below) and \
                not _overlaps_a_node(self.scene, node, above):
            return above.topLeft()
        return below.topLeft()

    def show(self, thumbnails: dict) -> None:
        stale = set(self.items) - set(thumbnails)
        for nid in stale:
            _drop(self.items.pop(nid))
        self.thumbnails = {}
        for nid, node in self.scene.nodes.items():
            rgb = thumbnails.get(nid)
            if rgb is None:
                _drop(self.items.pop(nid, None))
                continue
            item = self.items.get(nid)
            # a missing or dead item: the scene rebuilt its node items
            if item is None or not isValid(item) or item.parentItem() is not node:
                item = QGraphicsPixmapItem(node)
                item.setTransformationMode(Qt.FastTransformation)
                item.setScale(SCALE)
                item.setAcceptedMouseButtons(Qt.NoButton)
                self.items[nid] = item
            pixmap = to_pixmap(rgb)
            item.setPixmap(pixmap)
            item.setPos(self._place(node, pixmap.width() * SCALE, pixmap.height() * SCALE))
            item.setToolTip(f"{nid}: output for the probe input" +
                            (f"\n{self.note}" if self.note else ""))
            self.thumbnails[nid] = rgb


def _overlaps_a_node(scene, node, rect: QRectF) -> bool:
    return any(isinstance(other, NodeItem) and other is not node
               for other in scene.items(node.mapRectToScene(rect)))


def _drop(item) -> None:
    """Remove a thumbnail unless Qt already deleted it with its node (scene rebuilt)."""
    if item is not None and isValid(item) and item.scene() is not None:
        item.scene().removeItem(item)
