"""The generated PyTorch code of the network on view: read-only, highlighted, recompiled a
moment after the last edit (compiling builds real modules, so it is debounced and skipped
while the panel is hidden)."""
from __future__ import annotations

import re

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit

RULES = [(r"\b(class|def|return|import|from|self|super|None|True|False|for|in|if|else)\b",
          "#c792ea", False),
         (r"\bnn\.\w+|\btorch\.\w+", "#82aaff", False),
         (r"\b\d+(\.\d+)?\b", "#f78c6c", False),
         (r"'[^']*'|\"[^\"]*\"", "#c3e88d", False),
         (r"#[^\n]*", "#7f8c98", True)]


class PythonHighlighter(QSyntaxHighlighter):
    def __init__(self, document):
        super().__init__(document)
        self.rules = []
        for pattern, colour, italic in RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            fmt.setFontItalic(italic)
            self.rules.append((re.compile(pattern), fmt))

    def highlightBlock(self, text):
        for pattern, fmt in self.rules:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), fmt)


class CodePanel(QPlainTextEdit):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.setFont(QFont("Monospace", 9))
        self.highlighter = PythonHighlighter(self.document())
        self._stale = True
        self._timer = QTimer(self, singleShot=True, interval=400)
        self._timer.timeout.connect(self.refresh)
        session.shapes_updated.connect(self.mark_stale)

    def mark_stale(self) -> None:
        self._stale = True
        if self.isVisible():
            self._timer.start()

    def showEvent(self, event):
        super().showEvent(event)
        if self._stale:
            self._timer.start()

    def source(self) -> str:
        from studio.compile.codegen import document_code
        from studio.compile.fx import CompileError, compile_network
        doc = self.session.doc
        network = self.session.breadcrumbs()[0]
        try:  # the session's inference: its cache already holds the shapes of this network
            compiled = compile_network(doc, network, None, inference=self.session.inference)
        except CompileError as e:
            return "# The network has errors, so there is no code yet:\n" + "\n".join(
                f"#   {d}" for d in e.diagnostics)
        except Exception as e:  # a bug elsewhere must not take the editor down
            return f"# Could not generate code: {type(e).__name__}: {e}"
        return document_code(compiled, doc, network, str(self.session.path or "the studio"))[1]

    def refresh(self) -> None:
        if self.session.doc is None:
            return
        bar = self.verticalScrollBar().value()
        self.setPlainText(self.source())
        self.verticalScrollBar().setValue(bar)
        self._stale = False
