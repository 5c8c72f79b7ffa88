"""The main window's training part: the Train / Pause / Stop / Resume toolbar, the training panel
and dashboard docks, opening past run folders and loading a checkpoint into the editor."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog

from studio.gui.dashboard.dashboard import Dashboard
from studio.gui.guard import guarded
from studio.gui.dashboard.training import TrainingController
from studio.gui.dashboard.training_panel import TrainingPanel


def has_feature_maps(outputs: dict | None) -> bool:
    """Whether a node's first output is a stack of maps: (N, C, L) or (N, C, H, W)."""
    spec = next(iter((outputs or {}).values()), None)
    return spec is not None and len(spec.shape) >= 3


class TrainingActions:
    """Mixed into MainWindow (needs ``session``, ``_dock``, ``_action``, ``problems_dock``)."""

    def _build_training(self) -> None:
        self.training = TrainingController(self.session, self)
        self.training_panel = TrainingPanel(self.session)
        self.dashboard = Dashboard()
        self.training_dock = self._dock("Training", self.training_panel, Qt.RightDockWidgetArea)
        self.tabifyDockWidget(self.inspector_dock, self.training_dock)
        self.inspector_dock.raise_()
        self.dashboard_dock = self._dock("Dashboard", self.dashboard, Qt.BottomDockWidgetArea)
        self.tabifyDockWidget(self.problems_dock, self.dashboard_dock)
        self.problems_dock.raise_()
        bar = self.addToolBar("Training")
        bar.setObjectName("training-toolbar")
        self.train_action = bar.addAction("Train", lambda: self.start_training())
        self.train_action.setShortcut(QKeySequence("F5"))
        self.pause_action = bar.addAction("Pause", lambda: self.training.pause(True))
        self.stop_action = bar.addAction("Stop", lambda: self.training.stop())
        self.resume_action = bar.addAction("Resume", lambda: self.resume_training())
        menu = self.menuBar().addMenu("&Training")
        menu.addActions([self.train_action, self.pause_action, self.stop_action,
                         self.resume_action])
        menu.addSeparator()
        self._action(menu, "&Open run folder…", self.open_run)
        menu.addAction(self.training_dock.toggleViewAction())
        menu.addAction(self.dashboard_dock.toggleViewAction())
        t = self.training
        t.started.connect(self._run_started)
        t.tick.connect(self.dashboard.refresh)
        t.finished.connect(self._run_finished)
        t.state_changed.connect(self._training_state)
        t.stale_changed.connect(self.dashboard.set_stale)
        self.dashboard.open_run_requested.connect(lambda: self.open_run())
        self.dashboard.load_checkpoint_requested.connect(self.load_checkpoint)
        curves = self.dashboard.curves
        curves.png_button.clicked.connect(lambda: self.export_curves("png"))
        curves.csv_button.clicked.connect(lambda: self.export_curves("csv"))
        self.scene.selectionChanged.connect(self._follow_canvas_selection)
        self._training_state()
        QTimer.singleShot(300, self._warm_dashboard)

    def _warm_dashboard(self) -> None:
        """Lay out and paint the hidden dashboard once while idle: its first paint takes ~0.1 s
        (pyqtgraph items, fonts), which would otherwise freeze the GUI as training starts; the
        first run's curves are made now too."""
        self._prepare_curves()
        if self.dashboard.isVisible():
            return
        self.dashboard.resize(self.width(), max(420, self.height() // 2))
        for i in range(self.dashboard.tabs.count()):
            self.dashboard.tabs.setCurrentIndex(i)
            self.dashboard.grab()
        self.dashboard.tabs.setCurrentIndex(0)

    @guarded
    def _prepare_curves(self) -> None:
        if not self.training.running:  # never mid-run: the GUI would stall visibly
            self.dashboard.curves.prepare_spare()

    # ---- commands ------------------------------------------------------------------------------
    def start_training(self, overrides: dict | None = None):
        run = self.training.start(overrides)
        if run is None:
            self.show_message("a run is already going: stop it first")
        return run

    def resume_training(self) -> bool:
        if not self.training.resume():
            self.show_message("nothing to resume: no paused run, and no stopped run with a "
                              "last checkpoint")
            return False
        return True

    @guarded
    def open_run(self, folder: str | None = None):
        folder = folder or QFileDialog.getExistingDirectory(self, "Open a run folder",
                                                            str(self.training.root()))
        if not folder:
            return None
        try:
            run = self.training.open_run(folder)
        except (OSError, ValueError) as e:
            self.show_message(f"cannot open the run: {e}")
            return None
        self._show_dashboard()
        self.dashboard.current = run
        self.dashboard.set_history(self.training.history, run)
        self._set_probe_nodes(run)
        self.dashboard.refresh(force=True)
        self._training_state()
        return run

    # Dialog hook: tests replace it with a function answering directly.
    def ask_export_path(self, title: str, suggested: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, title, suggested, filter_)
        return path or None

    @guarded
    def export_curves(self, kind: str) -> list[Path]:
        """Ask where, then write the curves: ``"png"`` the four plots as an image, ``"csv"`` every
        series of the overlaid runs (one file per run)."""
        curves, run = self.dashboard.curves, self.dashboard.current
        if not curves.runs or run is None:
            self.show_message("no run to export: train or open one first")
            return []
        label = {"png": "PNG images (*.png)", "csv": "CSV files (*.csv)"}[kind]
        path = self.ask_export_path(f"Export the curves as {kind.upper()}",
                                    str((run.folder or Path.home()) / f"curves.{kind}"), label)
        if not path:
            return []
        try:
            written = [curves.export_png(path)] if kind == "png" else curves.export_csv(path)
        except OSError as e:
            self.notify("Cannot export the curves", str(e))
            return []
        self.show_message("wrote " + ", ".join(str(p) for p in written))
        return written

    @guarded
    def load_checkpoint(self, run, tag: str = "last") -> bool:
        """Load a run's checkpoint into the editor's network (checked against its shapes); the
        weights are kept by the session and written beside a saved document."""
        from studio.compile.fx import compile_network
        from studio.inspect.errors import InspectError
        from studio.inspect.network import load_weights
        if run is None or run.folder is None:
            return False
        tags = run.checkpoints()
        tag = tag if tag in tags else ("best" if "best" in tags else None)
        if tag is None:
            self.show_message(f"{run.name}: no checkpoint to load")
            return False
        doc = self.session.doc
        network = "model" if "model" in doc.networks else next(iter(doc.networks))
        module = compile_network(doc, network, doc.variables).module
        path = run.folder / "checkpoints" / f"{tag}.safetensors"
        try:
            load_weights(module, path, network)
        except InspectError as e:
            self.show_message(f"cannot load {tag} of {run.name} into {network!r}: {e}")
            return False
        self.session.weights = {"network": network, "source": str(path),
                                "state": module.state_dict()}
        written = self._write_weights_beside_document(module)
        self.show_message(f"loaded {run.name} / {tag} into {network!r}"
                          + (f" (saved to {written.name})" if written else ""))
        return True

    def _write_weights_beside_document(self, module) -> Path | None:
        if not self.session.path:
            return None
        from safetensors.torch import save_file
        target = Path(self.session.path)
        target = target.with_name(target.name.split(".")[0] + ".safetensors")
        save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(target))
        return target

    # ---- reactions -----------------------------------------------------------------------------
    def _show_dashboard(self) -> None:
        dock = self.dashboard_dock
        dock.show()
        dock.raise_()
        # Resized only when too small to read: the relayout repaints the whole window, a stall
        # at the moment training starts.
        if dock.height() < 380:
            self.resizeDocks([dock], [max(420, self.height() // 2)], Qt.Vertical)

    def _run_started(self, run) -> None:
        self._show_dashboard()
        self.dashboard.current = run
        self.dashboard.set_history(self.training.history, run)
        self._set_probe_nodes(run)
        self.dashboard.refresh(force=True)
        self.show_message(f"training {run.name} in a separate process")

    def _set_probe_nodes(self, run) -> None:
        nodes = getattr(run, "watched", None) or []
        self.dashboard.activations.set_nodes(nodes)

    @guarded
    def _follow_canvas_selection(self) -> None:
        """A node selected on the canvas while the Activations tab shows: show its feature maps
        (only a node of the network itself, not inside a block, whose output has maps)."""
        d, s = self.dashboard, self.session
        if not d.isVisible() or d.tabs.currentWidget() is not d.activations or s.doc is None \
                or s.scope not in s.doc.networks or not self.scene.nodes:
            return
        ids = self.scene.selected_ids()
        if len(ids) == 1 and has_feature_maps(s.shapes.outputs.get(ids[0])):
            d.activations.follow_node(ids[0])

    def _run_finished(self, run) -> None:
        QTimer.singleShot(500, self._prepare_curves)  # the next run's, while idle
        self.dashboard.refresh(force=True)
        self.show_message(f"{run.name}: {run.status}" + (f" — {run.error}" if run.error else ""))

    def _training_state(self) -> None:
        t = self.training
        self.train_action.setEnabled(not t.running)
        self.pause_action.setEnabled(t.running and not t.paused)
        self.stop_action.setEnabled(t.running)
        self.resume_action.setEnabled(t.can_resume())
