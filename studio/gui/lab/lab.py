"""The Lab dock: look inside the network on the canvas and push on it.

Top left: which weights (the freshly initialized network, the last trained run, or a checkpoint
or run folder) and which input (a sample of the document's dataset or an image file). Below:
the tool and its settings (:mod:`studio.gui.lab.lab_forms`). Run snapshots the document and
computes in a :class:`~studio.gui.lab.lab_jobs.LabJob` thread, so the window stays responsive;
Cancel stops the optimization at its next step with the best result so far. Results show on
the right: captioned pictures, or the t-SNE scatter.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QScrollArea, QSpinBox,
                               QSplitter,
                               QStackedWidget, QVBoxLayout, QWidget)

from nodes import is_inspectable
from studio.inspect import lab_tools
from studio.gui.guard import guarded
from studio.gui.lab.lab_forms import TOOLS, FileField, ToolForm
from studio.gui.lab.lab_jobs import LabJob
from studio.gui.lab.lab_views import PictureStrip, ScatterView

INITIAL, LAST_RUN, CHOSEN = "Initial weights (seed 0)", "Last trained run", "File or run folder"


class LabPanel(QWidget):
    finished = Signal(object)  # LabResult, or None after an error

    def __init__(self, session, window=None, parent=None):
        super().__init__(parent)
        self.session, self.window = session, window
        self.job: LabJob | None = None
        self.result = None
        self.error = ""
        self.forms: dict[str, ToolForm] = {}
        self._build()
        session.shapes_updated.connect(self.refresh_layers)
        session.document_replaced.connect(self.refresh_layers)

    # ---- building ------------------------------------------------------------------------
    def _build(self) -> None:
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(6, 6, 6, 6)
        self.weights_mode = QComboBox()
        self.weights_mode.addItems([INITIAL, LAST_RUN, CHOSEN])
        self.weights_path = QLineEdit()
        self.weights_path.setPlaceholderText(".safetensors file or training run folder")
        pick_file, pick_folder = QPushButton("File…"), QPushButton("Run…")
        pick_file.clicked.connect(self._choose_weights_file)
        pick_folder.clicked.connect(self._choose_run_folder)
        column.addWidget(QLabel("<b>Weights</b>"))
        column.addWidget(self.weights_mode)
        column.addLayout(_row(self.weights_path, pick_file, pick_folder))
        self.input_mode = QComboBox()
        self.input_mode.addItems(["Dataset sample", "Image file"])
        self.sample = QSpinBox()
        self.sample.setRange(0, 100000)
        self.sample.setPrefix("sample ")
        self.image_file = FileField("image file (scaled to the input size)")
        column.addWidget(QLabel("<b>Input</b>"))
        column.addLayout(_row(self.input_mode, self.sample))
        column.addWidget(self.image_file)
        self.tool = QComboBox()
        self.pages = QStackedWidget()
        for key, title, fields in TOOLS:
            self.tool.addItem(title, key)
            self.forms[key] = ToolForm(fields)
            self.pages.addWidget(self.forms[key])
        self.tool.currentIndexChanged.connect(self._tool_changed)
        column.addWidget(QLabel("<b>Tool</b>"))
        column.addWidget(self.tool)
        column.addWidget(self.pages)
        self.run_button, self.cancel_button = QPushButton("Run"), QPushButton("Cancel")
        self.run_button.clicked.connect(lambda: self.run())
        self.cancel_button.clicked.connect(lambda: self.cancel())
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        column.addLayout(_row(self.run_button, self.cancel_button, self.progress))
        column.addStretch()
        self.status = QLabel(" ")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.pictures, self.scatter = PictureStrip(), ScatterView()
        self.views = QStackedWidget()
        self.views.addWidget(self.pictures)
        self.views.addWidget(self.scatter)
        right = QWidget()
        results = QVBoxLayout(right)
        results.setContentsMargins(6, 6, 6, 6)
        results.addWidget(self.status)
        results.addWidget(self.views, 1)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([330, 900])
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(split)

    # ---- choices -------------------------------------------------------------------------
    @guarded
    def _tool_changed(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.pages.currentWidget().refresh_choices()  # a VGG file may have been cached since

    def select_tool(self, key: str) -> ToolForm:
        self.tool.setCurrentIndex(self.tool.findData(key))
        return self.forms[key]

    def set_weights(self, path: str | None) -> None:
        """Use ``path`` (file or run folder), or the initial weights when None."""
        self.weights_mode.setCurrentText(CHOSEN if path else INITIAL)
        self.weights_path.setText(path or "")

    def set_input(self, sample: int = 0, image: str | None = None) -> None:
        self.input_mode.setCurrentIndex(1 if image else 0)
        self.sample.setValue(sample)
        self.image_file.edit.setText(image or "")

    def _choose_weights_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Weights", "", "safetensors (*.safetensors)")
        if path:
            self.set_weights(path)

    def _choose_run_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Training run folder")
        if path:
            self.set_weights(path)

    def last_run_folder(self) -> str | None:
        """The dashboard's last run, when it has a checkpoint to read."""
        run = getattr(getattr(self.window, "training", None), "run", None)
        folder = getattr(run, "folder", None)
        if folder and any((Path(folder) / "checkpoints" / f"{t}.safetensors").is_file()
                          for t in ("best", "last")):
            return str(folder)
        return None

    def weights(self) -> str | None:
        mode = self.weights_mode.currentText()
        if mode == LAST_RUN:
            folder = self.last_run_folder()
            if folder is None:
                raise ValueError("no trained run with a checkpoint yet: train, or open a run "
                                 "folder from the Training menu")
            return folder
        if mode == CHOSEN:
            path = self.weights_path.text().strip()
            if not path:
                raise ValueError("choose a weights file or run folder (File… / Run…)")
            return path
        return None

    def network(self) -> str:
        session = self.session
        scope = session.trail[0][0] if session.trail else session.scope
        return scope if scope in session.doc.networks else next(iter(session.doc.networks))

    @guarded
    def refresh_layers(self) -> None:
        """Offer the nodes of the network on view (feature maps separately) to the forms."""
        session = self.session
        if session.doc is None or session.scope not in session.doc.networks:
            return
        graph, shapes = session.graph, session.shapes
        spatial, every = [], []
        for nid in shapes.order:
            node = graph.nodes.get(nid)
            if node is None or not is_inspectable(node.type):
                continue  # inputs, targets, outputs and losses are not layers to look into
            every.append(nid)
            spec = next(iter((shapes.outputs.get(nid) or {}).values()), None)
            if spec is not None and len(spec.shape) == 4:
                spatial.append(nid)
        for form in self.forms.values():
            form.set_layers(spatial, every)

    # ---- running -------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.job is not None

    def snapshot(self) -> lab_tools.LabInput:
        image = self.image_file.edit.text().strip() if self.input_mode.currentIndex() else None
        if self.input_mode.currentIndex() and not image:
            raise ValueError("choose an image file, or use a dataset sample")
        return lab_tools.LabInput(self.session.doc.copy(), self.network(), self.weights(),
                                  image, self.sample.value())

    @guarded
    def run(self) -> bool:
        """Start the chosen tool in a worker thread; False when one is running or input is bad."""
        if self.busy:
            self.report_error("the lab is still busy: cancel it first")
            return False
        key = self.tool.currentData()
        kwargs = self.forms[key].values()
        inp = self.snapshot()
        fn = lab_tools.TOOLS[key]
        self.job = LabJob(lambda progress: fn(inp, progress=progress, **kwargs))
        self.job.progressed.connect(self._progressed)
        self.job.succeeded.connect(self._succeeded)
        self.job.failed.connect(self._failed)
        self.job.finished.connect(self._job_done)
        self.error = ""
        self.progress.setRange(0, 0)  # busy until the first progress report
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self._status(f"running {self.tool.currentText().lower()}…")
        self.job.start()
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self._status("cancelling…")

    def _progressed(self, fraction: float) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(int(round(100 * fraction)))

    @guarded
    def _succeeded(self, result) -> None:
        self.result = result
        text = result.summary + "".join(f"\n{line}" for line in result.lines)
        self._status(text)
        if result.points is not None:
            self.scatter.show_points(result.points, result.labels, result.names,
                                     result.samples)
            self.views.setCurrentWidget(self.scatter)
        else:
            self.pictures.show_pictures(result.pictures)
            self.views.setCurrentWidget(self.pictures)
        self.finished.emit(result)

    def _failed(self, text: str) -> None:
        self.result = None
        self.report_error(text)
        self.finished.emit(None)

    def _job_done(self) -> None:
        job, self.job = self.job, None
        if job is not None:
            job.deleteLater()
        self.progress.setRange(0, 100)
        self.progress.setValue(100 if self.result is not None and not self.error else 0)
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def report_error(self, text: str) -> None:
        self.error = text
        self.status.setStyleSheet("color: #e57373;")
        self.status.setText(text)
        if self.window is not None and hasattr(self.window, "show_message"):
            self.window.show_message(f"Lab: {text}")

    def _status(self, text: str) -> None:
        self.status.setStyleSheet("")
        self.status.setText(text)

    def shutdown(self) -> None:
        """Cancel a running job and wait for it (a QThread destroyed while running aborts)."""
        job = self.job
        if job is not None:
            job.cancel()
            job.wait(10000)


def _row(*widgets) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        row.addWidget(w, 1 if isinstance(w, (QLineEdit, QProgressBar)) else 0)
    return row


def install_lab(window) -> LabPanel:
    """Add the Lab dock (tabbed with the bottom panels) and the View menu's Lab entries."""
    from studio.gui.editor.node_previews import NodePreviews
    panel = LabPanel(window.session, window)
    dock = QDockWidget("Lab", window)
    dock.setObjectName("Lab")
    scroll = QScrollArea()  # the tools' forms are tall: scroll rather than squeeze the canvas
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.NoFrame)
    scroll.setWidget(panel)
    dock.setWidget(scroll)
    window.addDockWidget(Qt.BottomDockWidgetArea, dock)
    window.tabifyDockWidget(window.problems_dock, dock)
    window.problems_dock.raise_()
    window.lab, window.lab_dock = panel, dock
    window.node_previews = NodePreviews(window.session, window.scene, panel, window)
    view = next((a.menu() for a in window.menuBar().actions() if a.text() == "&View"), None)
    if view is not None:
        view.addSeparator()
        view.addAction(window.node_previews.action)
        view.addAction(dock.toggleViewAction())
    return panel
