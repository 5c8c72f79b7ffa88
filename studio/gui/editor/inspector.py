"""The inspector: the selected node's doc line, shapes, parameter count, diagnostics, name and a
form generated from its type's param schema. Each change is one SetParams undo step (quick
successive changes of one param, such as dragging a spin box, merge into one)."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QScrollArea, QVBoxLayout, QWidget

import nodes
from studio.core.document import DOCUMENT_REPLACED
from studio.core.node_text import block_outline, node_title
from studio.core.ops import RenameNode, SetParams
from studio.core.ports import node_ports
from studio.gui.editor.param_widgets import ParamEditor
from studio.gui.theme import ERROR_COLOUR, category_colour


class Inspector(QScrollArea):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.setWidgetResizable(True)
        session.shapes_updated.connect(self._refresh_shapes)
        session.document_event.connect(self._on_event)
        self.show_node(None)

    def _on_event(self, event: str, info: dict) -> None:
        if event == DOCUMENT_REPLACED:
            self.show_node(None)
            return
        if info.get("scope") != self.session.scope or info.get("node") != self.node_id:
            return
        if event == "node_removed":
            self.show_node(None)
        elif event == "params_changed":
            node = self.session.graph.nodes[self.node_id]
            t = nodes.lookup(node.type)
            for name, editor in self.editors.items():
                editor.set_value(node.params.get(name, t.param(name).default))

    # ---- building the form ------------------------------------------------------------------
    def show_node(self, node_id: str | None, count: int = 1) -> None:
        self.node_id, self.editors = None, {}
        page = QWidget()
        layout = QVBoxLayout(page)
        doc = self.session.doc
        node = doc.graph(self.session.scope).nodes.get(node_id) if doc and node_id else None
        t = nodes.lookup(node.type) if node else None
        if node is None or t is None:
            text = (f"{count} nodes selected" if count > 1 else
                    f"Unknown node type {node.type!r}: its params are kept" if node else
                    "Select a node to edit it.\n\nDrag layers from the palette, or press Tab "
                    "on the canvas to add one.")
            label = QLabel(text, wordWrap=True)
            label.setEnabled(False)
            layout.addWidget(label)
            layout.addStretch()
            self.setWidget(page)
            return
        self.node_id = node_id
        layout.addWidget(self._header(node, t))
        if t.role == nodes.BLOCK:  # its ports are the definition's: say what is inside instead
            outline = block_outline(doc, node.params.get("block"))
            contract = f"inside: {html.escape(outline)}" if outline else ""
        else:
            contract = html.escape(t.shape_doc or "")
        doc_line = QLabel(html.escape(t.doc) + (f"<br><tt>{contract}</tt>" if contract else ""),
                          wordWrap=True, textFormat=Qt.RichText)
        layout.addWidget(doc_line)
        self.shapes_label = QLabel(wordWrap=True, textFormat=Qt.RichText)
        self.shapes_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.shapes_label)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.name_field = QLineEdit(node.name, placeholderText=node.id)
        self.name_field.editingFinished.connect(self._rename)
        form.addRow("name", self.name_field)
        blocks = list(doc.blocks)
        for p in t.params:
            editor = ParamEditor(p, node.params.get(p.name, p.default), blocks)
            editor.setToolTip(f"{p.doc}\nexpects {p.expectation()}")
            editor.changed.connect(lambda value, name=p.name: self.set_param(name, value))
            label = QLabel(p.name)
            label.setToolTip(p.doc)
            form.addRow(label, editor)
            self.editors[p.name] = editor
        layout.addLayout(form)
        layout.addStretch()
        self.setWidget(page)
        self._refresh_shapes()

    @staticmethod
    def _header(node, t) -> QLabel:
        """"mu · Linear" as on the canvas, the category in its colour, the type id small."""
        colour = category_colour(t.category).name()
        title = html.escape(node_title(node.name or node.id, t.title))
        return QLabel(f"<b style='font-size:13pt'>{title}</b>&nbsp; "
                      f"<span style='color:{colour}'>{html.escape(t.category)}</span><br>"
                      f"<tt style='font-size:8pt'>{t.id}</tt>", textFormat=Qt.RichText)

    def _refresh_shapes(self) -> None:
        if self.node_id is None:
            return
        node = self.session.graph.nodes.get(self.node_id)
        if node is None:
            return
        shapes = self.session.shapes
        ins, outs = node_ports(self.session.doc, node)
        in_specs = shapes.inputs.get(self.node_id) or []
        out_specs = shapes.outputs.get(self.node_id) or {}
        rows = [f"in <b>{p.name}</b>: {s.label() if s else '—'}" for p, s in zip(ins, in_specs)]
        rows += [f"out <b>{p.name}</b>: {out_specs[p.name].label() if out_specs.get(p.name) else '—'}"
                 for p in outs]
        rows.append(f"parameters: <b>{shapes.param_counts.get(self.node_id, 0):,}</b>")
        rows += [f"<span style='color:{ERROR_COLOUR}'>{d.severity}: "
                 f"{d.param + ': ' if d.param else ''}{d.message}</span>"
                 for d in shapes.diagnostics if d.node == self.node_id]
        self.shapes_label.setText("<br>".join(rows))

    # ---- edits ------------------------------------------------------------------------------
    def set_param(self, name: str, value) -> None:
        node = self.session.graph.nodes.get(self.node_id)
        t = nodes.lookup(node.type) if node else None
        if node is None or node.params.get(name, t.param(name).default) == value:
            return
        scope = self.session.scope
        self.session.apply(SetParams(scope, node.id, {name: value}), f"Set {node.id}.{name}",
                           merge_key=(scope, node.id, name))

    def _rename(self) -> None:
        node = self.session.graph.nodes.get(self.node_id)
        if node is not None and self.name_field.text().strip() != node.name:
            self.session.apply(RenameNode(self.session.scope, node.id,
                                          self.name_field.text().strip()), f"Rename {node.id}")
