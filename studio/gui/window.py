"""The main window: canvas in the middle (with breadcrumbs for open blocks), the palette and
variables on the left, inspector and code on the right, problems and summary below."""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QLabel, QMainWindow, QMessageBox,
                               QPushButton, QVBoxLayout, QWidget)

from studio.gui import files
from studio.gui.editor.code_panel import CodePanel
from studio.gui.editor.edit_actions import EditActions
from studio.gui.file_actions import FileActions
from studio.gui.editor.inspector import Inspector
from studio.gui.editor.canvas_hint import CanvasHint
from studio.gui.editor.minimap import Minimap
from studio.gui.editor.network_tabs import NetworkTabs
from studio.gui.editor.problems_status import ProblemsStatus, collapse_bottom_docks
from studio.gui.editor.palette import Palette
from studio.gui.editor.panels import ProblemsList, SummaryTable
from studio.gui.editor.quickadd import QuickAdd
from studio.gui.editor.scene import GraphScene
from studio.gui.session import Session
from studio.gui.dashboard.training_actions import TrainingActions
from studio.gui.editor.variables_panel import VariablesPanel
from studio.gui.editor.view import GraphView

SHORTCUTS = [("Tab / double-click canvas", "quick-add a layer at the cursor"),
             ("Drag port to port", "connect (red = incompatible)"), ("Ctrl+Z", "undo"),
             ("Ctrl+Shift+Z, Ctrl+Y", "redo"), ("Delete", "delete selection"),
             ("Ctrl+C / Ctrl+X / Ctrl+V", "copy / cut / paste"), ("Ctrl+D", "duplicate"),
             ("Ctrl+G / Ctrl+Shift+G", "group into block / ungroup"),
             ("Double-click a block", "open it (breadcrumbs go back)"), ("Ctrl+L", "auto-layout"),
             ("F", "frame selection (or all)"), ("Wheel", "zoom around the cursor"),
             ("Middle-drag, Space+drag", "pan"), ("Ctrl+N / O / S / Shift+S", "new, open, save, save as")]


class MainWindow(QMainWindow, FileActions, EditActions, TrainingActions):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.session = Session(self)
        self.scene = GraphScene(self.session, self)
        self.view = GraphView(self.scene)
        self.minimap = Minimap(self.view)  # an overview in the canvas corner (View > Minimap)
        self.crumbs = QHBoxLayout()
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        bar = QWidget()
        bar.setLayout(self.crumbs)
        self.crumbs.setContentsMargins(6, 2, 6, 2)
        column.addWidget(bar)
        self.network_tabs = NetworkTabs(self.session)  # shown for multi-network documents
        column.addWidget(self.network_tabs)
        column.addWidget(self.view, 1)
        self.setCentralWidget(centre)
        self.palette = Palette()
        self.inspector = Inspector(self.session)
        self.problems = ProblemsList(self.session)
        self.summary = SummaryTable(self.session)
        self.code = CodePanel(self.session)
        self.variables = VariablesPanel(self.session)
        self.palette_dock = self._dock("Layers", self.palette, Qt.LeftDockWidgetArea)
        self.variables_dock = self._dock("Variables", self.variables, Qt.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", self.problems, Qt.BottomDockWidgetArea)
        self.summary_dock = self._dock("Summary", self.summary, Qt.BottomDockWidgetArea)
        self.code_dock = self._dock("Code", self.code, Qt.BottomDockWidgetArea)
        # one tab group only: a second tabified group leaves a stray tab bar (Qt 6.11)
        self.tabifyDockWidget(self.problems_dock, self.summary_dock)
        self.tabifyDockWidget(self.problems_dock, self.code_dock)
        self.problems_dock.raise_()
        self._build_menus()
        self._build_training()
        from studio.gui.lab.lab import install_lab  # the Lab dock and View > Node previews
        install_lab(self)
        from studio.gui.data.data_tab import install_data_tab  # the Data dock by the Dashboard
        install_data_tab(self)
        from studio.gui.search.search_tab import install_search_tab  # the Search dock
        install_search_tab(self)
        from studio.gui.editor.freeze_actions import install_freeze  # canvas context menu
        install_freeze(self)
        self._connect()
        self.problems_status = ProblemsStatus(self)  # the Problems dock folds into a count
        collapse_bottom_docks(self)
        self.canvas_hint = CanvasHint(self.view, self.session)  # how to start, that F5 trains
        self.autosave = files.Autosave(self.session, parent=self)
        self.statusBar().showMessage("Ready")
        self.resize(1500, 900)
        # after every dock exists: the Lab and Dashboard tabs would otherwise claim half the
        # height, and the canvas is what people come for
        self.resizeDocks([self.palette_dock, self.inspector_dock], [210, 330], Qt.Horizontal)
        self.resizeDocks([self.problems_dock], [200], Qt.Vertical)

    def _dock(self, title, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda *_: slot())
        if shortcut:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        self._action(m, "&New from template…", self.new_from_template, QKeySequence.New)
        self._action(m, "&Open…", self.open_file, QKeySequence.Open)
        self.recent_menu = m.addMenu("Open &recent")
        self._action(m, "&Import model…", self.import_model, "Ctrl+I")
        self._action(m, "&Save", self.save, QKeySequence.Save)
        self._action(m, "Save &as…", self.save_as, "Ctrl+Shift+S")
        m.addSeparator()
        self._action(m, "&Quit", self.close, QKeySequence.Quit)
        m = bar.addMenu("&Edit")
        undo = self.session.undo.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence("Ctrl+Z"))
        redo = self.session.undo.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        m.addActions([undo, redo])
        m.addSeparator()
        self._action(m, "Cu&t", self.cut_selection, QKeySequence.Cut)
        self._action(m, "&Copy", self.copy_selection, QKeySequence.Copy)
        self._action(m, "&Paste", self.paste, QKeySequence.Paste)
        self._action(m, "&Duplicate", self.duplicate, "Ctrl+D")
        self._action(m, "De&lete", self.delete_selection, [QKeySequence.Delete, "Backspace"])
        self._action(m, "Select &all", lambda: [i.setSelected(True) for i in self.scene.nodes.values()],
                     QKeySequence.SelectAll)
        m.addSeparator()
        self._action(m, "&Group into block", self.group_selection, "Ctrl+G")
        self._action(m, "&Ungroup block", self.ungroup_selection, "Ctrl+Shift+G")
        self._action(m, "Auto-&layout", self.auto_layout, "Ctrl+L")
        m = bar.addMenu("&View")
        self._action(m, "&Frame selection or all", self.view.frame)
        self._action(m, "Zoom &in", lambda: self.view.zoom_by(1.25), QKeySequence.ZoomIn)
        self._action(m, "Zoom &out", lambda: self.view.zoom_by(0.8), QKeySequence.ZoomOut)
        self.minimap_action = self._action(
            m, "&Minimap", lambda: self.minimap.set_wanted(self.minimap_action.isChecked()), "M")
        self.minimap_action.setCheckable(True)
        self.minimap_action.setChecked(True)
        m.addSeparator()
        self._action(m, "&Dark theme", lambda: self.set_theme("dark"))
        self._action(m, "&Light theme", lambda: self.set_theme("light"))
        m.addSeparator()
        for dock in (self.palette_dock, self.variables_dock, self.inspector_dock, self.code_dock,
                     self.problems_dock, self.summary_dock):
            m.addAction(dock.toggleViewAction())
        m = bar.addMenu("&Help")
        self._action(m, "&Keyboard shortcuts", self.show_shortcuts, QKeySequence.HelpContents)
        self.refresh_recent_menu()

    def _connect(self) -> None:
        s = self.session
        s.message.connect(self.show_message)
        s.undo.cleanChanged.connect(self._clean_changed)
        s.document_replaced.connect(self._scope_changed)
        s.scope_changed.connect(self._scope_changed)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.view.type_dropped.connect(lambda t, pos, edge: self.add_node(t, pos, edge))
        self.view.quick_add_requested.connect(self.quick_add)
        self.view.block_open_requested.connect(self.open_block)
        self.palette.add_requested.connect(self.add_node)
        self.problems.node_activated.connect(self.select_node)

    # ---- reactions ----------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _clean_changed(self, _clean: bool) -> None:
        self.update_title()

    def _selection_changed(self) -> None:
        ids = self.scene.selected_ids() if self.scene.nodes else []
        self.inspector.show_node(ids[0] if len(ids) == 1 else None, len(ids))

    def _scope_changed(self) -> None:
        while self.crumbs.count():
            widget = self.crumbs.takeAt(0).widget()
            if widget is not None:
                widget.hide()  # at once: deleted later, it would be painted under the new one
                widget.deleteLater()
        trail = self.session.breadcrumbs()
        for i, scope in enumerate(trail):
            label = scope.split(":", 1)[-1]
            if i == len(trail) - 1:
                self.crumbs.addWidget(QLabel(f"<b>{label}</b>"))
            else:
                button = QPushButton(label, flat=True)
                button.clicked.connect(lambda _=False, s=scope: self.session.open_scope(s))
                self.crumbs.addWidget(button)
                self.crumbs.addWidget(QLabel("›"))
        self.crumbs.addStretch()
        self.palette.set_in_block(self.session.scope.startswith("block:"))
        self.inspector.show_node(None)
        self.view.frame_start()

    def select_node(self, node_id: str) -> None:
        self.scene.select_ids([node_id])
        item = self.scene.nodes.get(node_id)
        if item is not None:
            self.view.keep_view()
            self.view.centerOn(item)

    def quick_add(self, scene_pos: QPointF) -> QuickAdd:
        popup = QuickAdd(self, self.session.scope.startswith("block:"))
        popup.chosen.connect(lambda type_id: self.add_node(type_id, scene_pos))
        popup.popup(self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos)))
        self._quick_add = popup
        return popup

    def set_theme(self, name: str) -> None:
        from PySide6.QtWidgets import QApplication
        from studio.gui.theme import apply_theme, theme_plots
        apply_theme(QApplication.instance(), name)
        theme_plots(self, name)  # plots made before the switch
        files.settings().setValue("theme", name)
        for item in self.scene.items():
            item.update()
        self.scene.invalidate()

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def closeEvent(self, event):
        if not self.maybe_save():
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop timers and event subscriptions; the recovery file is no longer needed.
        Safe to call twice (closeEvent and an explicit shutdown both may)."""
        if getattr(self, "_shut_down", False):
            return
        self._shut_down = True
        self.autosave.close()  # removes this window's recovery file, and only its own
        self.training.shutdown()
        self.lab.shutdown()
        self.data_tab.shutdown()
        self.search_tab.close_job()
        self.session.close()  # the session's own subscription; views follow it through Qt
        # the window object may outlive its close (whoever holds it): let the canvas items go now
        self.scene.clear_items()
        self.session.undo.cleanChanged.disconnect(self._clean_changed)
