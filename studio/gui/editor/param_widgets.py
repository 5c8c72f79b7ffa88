"""One editor widget per param kind, generated from the node type's schema.

Every editor shows a literal with a typed widget (spin box, combo, check box, tuple field) and
can switch to a text field for a ``"$variable"`` reference or an ``"=expression"``. Editors only
report values; the inspector turns each into an undoable SetParams.
"""
from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLineEdit,
                               QSizePolicy, QSpinBox, QStackedWidget, QToolButton, QWidget)

from studio.core import params as P

INT_LIMIT = 2**31 - 1
LINK_TEXT = "{x}"  # the switch between a plain value and a variable reference / expression
LINK_TIP = ("Link this value to a variable or compute it:\n"
            "  $width   a document variable (Variables panel)\n"
            "  =2*width an expression over variables\n"
            "Click again to type a plain value.")


def _scalar(text: str, number):
    return text if text.startswith(("$", "=")) else number(text)


def parse_text(kind: str, text: str):
    """The value a text field means for a param ``kind``; ValueError when it means nothing."""
    text = text.strip()
    if text.startswith(("$", "=")):
        return text
    if kind in ("ints", "shape", "floats"):
        parts = [p for p in re.split(r"[,\s×]+", text.strip("[]()")) if p]
        number = float if kind == "floats" else int
        values = [_scalar(p, number) for p in parts]
        return values[0] if kind == "ints" and len(values) == 1 else values
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "bool":
        return text.lower() in ("1", "true", "yes", "on")
    return text


def format_text(value) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


class ParamEditor(QWidget):
    changed = Signal(object)

    def __init__(self, param, value, blocks=(), parent=None):
        super().__init__(parent)
        self.param = param
        self.stack = QStackedWidget()
        self.typed = self._typed_widget(param, blocks)
        self.text = QLineEdit()
        self.text.setPlaceholderText("value, $variable or =expression")
        self.text.editingFinished.connect(self._text_done)
        self.stack.addWidget(self.typed or self.text)
        if self.typed is not None:
            self.stack.addWidget(self.text)
        self.toggle = QToolButton(text=LINK_TEXT, checkable=True, autoRaise=True)
        self.toggle.setToolTip(LINK_TIP)
        self.toggle.setAccessibleName(f"{param.name}: use a variable or an expression")
        self.toggle.toggled.connect(self._toggled)
        self.toggle.setVisible(self.typed is not None)
        # one line high, like any form field (a stacked widget otherwise takes whatever
        # height the form offers: ~85 px tall spin boxes in the inspector)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.stack.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.toggle)
        self.set_value(value)

    def _typed_widget(self, p, blocks):
        if p.kind == "int":
            w = QSpinBox()
            w.setRange(int(p.min) if p.min is not None else -INT_LIMIT,
                       int(p.max) if p.max is not None else INT_LIMIT)
            w.valueChanged.connect(self.changed.emit)
        elif p.kind == "float":
            w = QDoubleSpinBox(decimals=6)
            w.setRange(p.min if p.min is not None else -1e9, p.max if p.max is not None else 1e9)
            w.setSingleStep(0.1 if (p.max or 10) <= 1 else 1.0)
            w.valueChanged.connect(self.changed.emit)
        elif p.kind == "bool":
            w = QCheckBox()
            w.toggled.connect(self.changed.emit)
        elif p.kind in ("choice", "block"):
            w = QComboBox()
            for choice in (p.choices if p.kind == "choice" else blocks):
                w.addItem(str(choice), choice)
            w.activated.connect(lambda i: self.changed.emit(w.itemData(i)))
        else:
            return None
        return w

    def set_value(self, value) -> None:
        """Show ``value`` without reporting it as a change."""
        symbolic = P.is_symbolic(value) and not isinstance(value, list) or self.typed is None
        for w in (self.typed, self.text, self.toggle):
            if w is not None:
                w.blockSignals(True)
        self.text.setText(format_text(value))
        self.text.setStyleSheet("")
        if self.typed is not None:
            self.toggle.setChecked(symbolic)
            self.stack.setCurrentIndex(1 if symbolic else 0)
            if not symbolic:
                self._set_typed(value)
        for w in (self.typed, self.text, self.toggle):
            if w is not None:
                w.blockSignals(False)

    def _set_typed(self, value) -> None:
        w = self.typed
        if isinstance(w, (QSpinBox, QDoubleSpinBox)) and isinstance(value, (int, float)):
            w.setValue(value)
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            index = w.findData(value)
            if index < 0 and value not in (None, ""):
                w.addItem(f"{value} (unknown)", value)
                index = w.count() - 1
            w.setCurrentIndex(index)

    def _toggled(self, on: bool) -> None:
        self.stack.setCurrentIndex(1 if on else 0)
        if on:
            self.text.setFocus()

    def _text_done(self) -> None:
        try:
            value = parse_text(self.param.kind, self.text.text())
        except ValueError:
            self.text.setStyleSheet("border: 1px solid #ef5350;")
            self.text.setToolTip(f"{self.param.name}: expected {self.param.expectation()}, "
                                 "a $variable or an =expression")
            return
        self.text.setStyleSheet("")
        self.changed.emit(value)
