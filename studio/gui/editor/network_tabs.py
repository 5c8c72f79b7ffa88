"""One tab per network of a multi-network document (a GAN's generator and discriminator, a
seq2seq's encoder and decoder), and a line saying where the networks meet.

Before, the canvas opened on the first network and nothing showed that another existed. The
meeting line is read from the shapes, not from the recipe's name: an Output of one network whose
tensor has the shape of another network's Input is where one feeds the other (the generator's
images are what the discriminator judges); the recipe that trains them together is named too.
"""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QTabBar, QWidget

from nodes import INPUT, OUTPUT, role_of
from studio.core.document import DOCUMENT_REPLACED
from studio.core.params import ParamError


class NetworkTabs(QWidget):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.tabs = QTabBar(self, documentMode=True, drawBase=False, expanding=False)
        self.tabs.currentChanged.connect(self._chosen)
        self.meeting = QLabel(self, wordWrap=False)
        self.meeting.setEnabled(False)  # the dim palette colour: a caption, not a control
        # the tabs keep their width on a narrow window; the caption is cut (its tooltip is whole)
        self.meeting.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        row.addWidget(self.tabs)
        row.addWidget(self.meeting, 1)
        session.document_event.connect(self._on_event)
        session.scope_changed.connect(self._follow_scope)
        self.refresh()

    def _on_event(self, event: str, _info) -> None:
        if event == DOCUMENT_REPLACED:
            self.refresh()

    def names(self) -> list[str]:
        doc = self.session.doc
        return list(doc.networks) if doc is not None else []

    def refresh(self) -> None:
        names = self.names()
        self.tabs.blockSignals(True)
        while self.tabs.count():
            self.tabs.removeTab(0)
        for name in names:
            count = len(self.session.doc.networks[name].nodes)
            self.tabs.addTab(f"{name}  ({count})")
            self.tabs.setTabToolTip(self.tabs.count() - 1, f"the {name} network: {count} nodes")
        self.tabs.blockSignals(False)
        self.setVisible(len(names) > 1)
        if len(names) > 1:
            self.meeting.setText(meeting_line(self.session))
            self.meeting.setToolTip(self.meeting.text())
        self._follow_scope()

    def _follow_scope(self) -> None:
        root = self.session.breadcrumbs()[0] if self.session.doc is not None else ""
        names = self.names()
        if root in names and self.tabs.currentIndex() != names.index(root):
            self.tabs.blockSignals(True)
            self.tabs.setCurrentIndex(names.index(root))
            self.tabs.blockSignals(False)

    def _chosen(self, index: int) -> None:
        names = self.names()
        if 0 <= index < len(names) and self.session.breadcrumbs()[0] != names[index]:
            self.session.open_scope(names[index])


def _ends(session, name: str) -> tuple[list, list]:
    """([(node id, spec)] of the Outputs, [(node id, spec)] of the Inputs) of network ``name``."""
    from studio.core.variables import scope_for
    doc = session.doc
    shapes = session.inference.infer(doc, name, scope_for(doc))
    outs, ins = [], []
    for nid, node in doc.networks[name].nodes.items():
        role = role_of(node.type)
        if role == OUTPUT and shapes.inputs.get(nid):
            outs.append((nid, shapes.inputs[nid][0]))
        elif role == INPUT and shapes.outputs.get(nid):
            ins.append((nid, next(iter(shapes.outputs[nid].values()), None)))
    return outs, ins


def meeting_line(session) -> str:
    """"generator.output1 (N×1×28×28) → discriminator.input1 · trained together by 'gan'"."""
    doc = session.doc
    try:
        ends = {name: _ends(session, name) for name in doc.networks}
    except (ParamError, KeyError, TypeError, ValueError) as e:  # a broken file: say why
        return f"(where the networks meet is unknown: {e})"
    links = []
    for a, (outs, _) in ends.items():
        for b, (_, ins) in ends.items():
            links += [f"{a}.{o} ({so.label()}) → {b}.{i}" for o, so in outs for i, si in ins
                      if a != b and so is not None and si is not None and so.shape == si.shape]
    recipe = (doc.training or {}).get("recipe") if isinstance(doc.training, dict) else None
    joined = ";  ".join(links) or "no output of one network has the shape of another's input"
    return joined + (f"  ·  trained together by the '{recipe}' recipe" if recipe else "")
