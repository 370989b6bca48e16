"""The main window: assembles the panes and connects their signals; decides nothing itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (QComboBox, QDockWidget, QFileDialog, QLabel, QMainWindow, QMenu,
                               QMessageBox, QProgressBar, QSplitter, QVBoxLayout, QWidget)

from ifcscript_desktop.core import library
from ifcscript_desktop.core import colors as color_records
from ifcscript_desktop.core.colors import element_colors
from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.core.settings import load_settings
from ifcscript_desktop.core.store import Store
from ifcscript_desktop.ui.background import BackgroundRunner
from ifcscript_desktop.ui.editor import ScriptEditor
from ifcscript_desktop.ui.help import HelpPane
from ifcscript_desktop.ui.history import HistoryPane
from ifcscript_desktop.ui.editor.textops import SelectionError, selection_as_script
from ifcscript_desktop.ui.library import LibraryPane
from ifcscript_desktop.ui.menus import PaneTabs, WindowMenus
from ifcscript_desktop.ui.models import OpenModel, OpenModels
from ifcscript_desktop.ui.params import ParamsForm
from ifcscript_desktop.ui.params.dock import fit_params_dock
from ifcscript_desktop.ui.properties import PropertiesPane
from ifcscript_desktop.ui.results import ResultsPane
from ifcscript_desktop.ui.run_controller import RunController
from ifcscript_desktop.ui.script_controller import ScriptController
from ifcscript_desktop.ui.single_instance import InstanceServer
from ifcscript_desktop.ui.tree import ModelTreeView
from ifcscript_desktop.ui.unsaved import UnsavedPrompt
from ifcscript_desktop.ui.view3d.pane import View3DPane
from ifcscript_desktop.ui.workflows import WorkflowsPane

RECENT_KEY = "recent_models"
FIRST_SCRIPT = "GUID Validation Check"


class ClosingDock(QDockWidget):
    """A dock that says when the user closes it (hiding it to float it says nothing)."""

    closed = Signal()

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        if event.isAccepted():
            self.closed.emit()


class MainWindow(QMainWindow):
    # Made by WindowMenus (ui/menus.py), driven from here.
    action_open: QAction
    action_close_model: QAction
    action_run: QAction
    action_stop: QAction
    action_cancel_open: QAction
    action_workflows: QAction
    recent_menu: QMenu
    model_box: QComboBox

    def __init__(self, store: Store, background: BackgroundRunner | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__()
        self.store = store
        # defaultFormat(): tests and the screenshot script point it at a folder of their own.
        self.qsettings = settings or QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope,
                                               "ifcscript-desktop", "IFC Script Desktop")
        self.setWindowTitle("IFC Script Desktop")
        self.setAcceptDrops(True)
        background = background or BackgroundRunner()
        self.models = OpenModels(background, self)
        self.tree = ModelTreeView()
        self.properties = PropertiesPane()
        self.library = LibraryPane(store)
        self.editor = ScriptEditor()
        self.params = ParamsForm()
        self.results = ResultsPane()
        self.history = HistoryPane(store)
        self.workflows = WorkflowsPane(store, background)
        self.help = HelpPane()
        self.view3d = View3DPane(store.data_dir / "geometry",
                                 lambda: load_settings(store).geometry_cache_bytes, background)
        self.scripts = ScriptController(store, self.editor, self.params, self)
        self.runs = RunController(store, self)
        self._build_layout()
        self.menus = WindowMenus(self)
        self.unsaved = UnsavedPrompt(self.scripts, self, self.close)
        self._connect()
        geometry, state = self.qsettings.value("geometry"), self.qsettings.value("window_state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        # A first start gives the side panes their share once the window has its size.
        self._size_docks = not (isinstance(state, QByteArray) and self.restoreState(state))
        self.menus.restore_appearance()
        self.properties.restore(self.qsettings)
        self.results.restore(self.qsettings)
        self.results.recall = self._recall_last_run
        self.view3d.set_enabled(not self.view3d_dock.isHidden())
        self.last_problem: str | None = None
        self.statusBar().showMessage("Drop an IFC file on the window, or File > Open model.")
        if library.get_script(store, FIRST_SCRIPT):
            self.library.select_script(FIRST_SCRIPT)
            self.scripts.load(FIRST_SCRIPT)

    # -- assembly ----------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea,
              kind: type[QDockWidget] = QDockWidget) -> QDockWidget:
        dock = kind(title, self)
        dock.setObjectName(title.replace(" ", "_"))
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_layout(self) -> None:
        model_split = QSplitter(Qt.Orientation.Vertical)
        model_split.addWidget(self.tree)
        model_split.addWidget(self.properties)
        model_dock = self._dock("Model", model_split, Qt.DockWidgetArea.LeftDockWidgetArea)
        scripts_dock = self._dock("Scripts", self.library, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(scripts_dock, model_dock)
        params_dock = self._dock("Parameters", self.params, Qt.DockWidgetArea.RightDockWidgetArea)
        self.view3d_dock = self._dock("3D", self.view3d, Qt.DockWidgetArea.RightDockWidgetArea,
                                      ClosingDock)
        self.splitDockWidget(self.view3d_dock, params_dock, Qt.Orientation.Horizontal)
        self._side_docks = [model_dock, self.view3d_dock, params_dock]
        self.params_dock = params_dock  # one line wide for a script without parameters
        self.bottom = PaneTabs()
        self.bottom.addTab(self.results, "Results")
        self.bottom.addTab(self.history, "History")
        self.bottom.addTab(self.workflows, "Workflows")
        self.bottom.addTab(self.help, "Help")
        centre = QSplitter(Qt.Orientation.Vertical)
        editor_box = QWidget()
        layout = QVBoxLayout(editor_box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.script_label = QLabel()
        layout.addWidget(self.script_label)
        layout.addWidget(self.editor)
        centre.addWidget(editor_box)
        centre.addWidget(self.bottom)
        centre.setStretchFactor(0, 3)
        centre.setStretchFactor(1, 2)
        self.setCentralWidget(centre)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.hide()
        self.model_label = QLabel()
        self.statusBar().addPermanentWidget(self.model_label)
        self.statusBar().addPermanentWidget(self.progress)
        screen = self.screen().availableGeometry()  # a first start never overflows the screen
        self.resize(min(1400, screen.width()), min(900, screen.height()))

    def _connect(self) -> None:
        self.models.model_opened.connect(self._on_model_opened)
        self.models.open_failed.connect(self._show_problem)
        self.models.open_progress.connect(self._on_open_progress)
        self.models.active_changed.connect(self._on_active_changed)
        self.tree.element_selected.connect(self.properties.show_element)
        self.tree.elements_selected.connect(self.view3d.select)
        self.tree.tree.doubleClicked.connect(
            lambda _index: self.view3d.select(self.tree.selected_ids(), zoom=True))
        # A double-clicked search result: zoomed to as in the tree (the pane then shows it there).
        self.tree.results.doubleClicked.connect(
            lambda _index: self.view3d.select(self.tree.selected_ids(), zoom=True))
        self.view3d.selection_picked.connect(self._on_picked_in_3d)
        self.models.model_hashed.connect(self._on_model_hashed)
        self.models.model_closed.connect(self.view3d.forget)
        self.models.model_closed.connect(lambda model: self.results.forget_model(model.path))
        # Closed by its button or View > 3D (not hidden while floated or re-docked: that would
        # drop the scenes and read them again).
        self.view3d_dock.toggleViewAction().triggered.connect(self._on_view3d_toggled)
        assert isinstance(self.view3d_dock, ClosingDock)
        self.view3d_dock.closed.connect(lambda: self._on_view3d_toggled(False))
        self.results.color_by_requested.connect(
            lambda title, values: self._show_colors(self.view3d.color_by_global_ids(title, values)))
        self.history.show_colors_requested.connect(self._on_history_colors)
        self.library.script_chosen.connect(self.scripts.load)
        self.library.library_changed.connect(self.history.refresh)
        self.scripts.library_changed.connect(self.library.refresh)
        self.scripts.message.connect(self.statusBar().showMessage)
        self.scripts.state_changed.connect(self._on_script_state)
        self.editor.sig_run_requested.connect(self.run_script)
        self.editor.sig_help_requested.connect(self._on_help)
        self.runs.run_started.connect(self._on_run_started)
        self.runs.output_arrived.connect(self.results.append_output)
        self.runs.progress_changed.connect(self._on_run_progress)
        self.runs.run_finished.connect(self._on_run_finished)
        self.runs.run_refused.connect(self._on_run_refused)
        self.runs.param_refused.connect(self.params.mark_problem)
        self.params.has_parameters_changed.connect(self._on_params_shown)
        self.results.elements_activated.connect(self._on_elements_activated)
        self.results.elements_zoom_requested.connect(self._on_elements_zoom)
        self.history.open_code_requested.connect(self._on_open_code)
        self.history.rerun_requested.connect(lambda run_id: self.runs.rerun(run_id, self.models))
        # Workflows on an open model run in its worker (no second parse).
        self.workflows.runner.lender = lambda: {m.path: m.handle.client for m in self.models.models
                                                if m.info}
        # The on-open trigger: enabled on-open workflows run on every model the window opens.
        self.models.model_opened.connect(lambda model: self.workflows.model_opened(model.path))
        self.models.active_changed.connect(
            lambda model: self.workflows.set_active_model(model.path if model else None))
        self.library.library_changed.connect(self.workflows.refresh)
        self.scripts.library_changed.connect(self.workflows.refresh)
        self.workflows.message.connect(self.statusBar().showMessage)
        self.workflows.runs_changed.connect(self.history.refresh)
        self.history.store_changed.connect(self.workflows.runs.refresh)  # e.g. `ifcscript workflow run`
        self.workflows.open_code_requested.connect(self._on_open_code)
        self.workflows.rerun_requested.connect(lambda run_id: self.runs.rerun(run_id, self.models))

    # -- models ------------------------------------------------------------------------------
    def open_models(self, paths: list[str]) -> None:
        for path in paths:
            self.models.open(path)

    def _on_open_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open IFC models", "",
                                                "IFC models (*.ifc *.ifczip *.IFC *.IFCZIP)")
        self.open_models(paths)

    def _recent(self) -> list[str]:
        value = self.qsettings.value(RECENT_KEY, [])
        return [str(v) for v in (value if isinstance(value, list) else [value] if value else [])]

    def _on_open_progress(self, path: str, fraction: float, message: str) -> None:
        self.action_cancel_open.setVisible(True)
        self.progress.show()
        self.progress.setValue(int(fraction * 100))
        self.statusBar().showMessage(f"{message} {Path(path).name}…")

    def _on_model_opened(self, model: OpenModel) -> None:
        self.progress.hide()
        self.action_cancel_open.setVisible(self.models.opening)
        recent = [model.path] + [p for p in self._recent() if p != model.path]
        self.qsettings.setValue(RECENT_KEY, recent[:10])
        self.model_box.blockSignals(True)
        self.model_box.addItem(model.name, model.path)
        self.model_box.setCurrentIndex(self.model_box.count() - 1)
        self.model_box.blockSignals(False)
        # Its summary stays on the right; here, what to do next.
        self.statusBar().showMessage(f"Opened {model.name}: pick a script and press F5 to run it.")
        # Complete the class names of this model's schema (IFC2X3, IFC4, IFC4X3...) in the editor.
        model.handle.query("classes", {}, lambda reply: self.editor.set_ifc_classes(
            reply.get("classes") or []))

    def _on_model_chosen(self, index: int) -> None:
        path = self.model_box.itemData(index)
        chosen = next((m for m in self.models.models if m.path == path), None)
        self.models.set_active(chosen)
        if chosen is not None:  # not "Opened <the other model>" left from before
            self.statusBar().showMessage(f"{chosen.name} is the active model: runs, the tree and "
                                         "the 3D view show it.")

    def close_active_model(self) -> None:
        model = self.models.active
        if model is None:
            return
        index = self.model_box.findData(model.path)
        self.models.close(model)
        self.model_box.blockSignals(True)
        if index >= 0:
            self.model_box.removeItem(index)
        # The box shows the model runs now go to (the one `close` made active).
        active = self.models.active
        self.model_box.setCurrentIndex(self.model_box.findData(active.path) if active else -1)
        self.model_box.blockSignals(False)
        self.statusBar().showMessage(f"Closed {model.name}.")

    def _on_view3d_toggled(self, shown: bool) -> None:
        self.view3d.set_enabled(shown)
        model = self.models.active
        if shown and model is not None:
            self.view3d.show_model(model, model.handle.client, model.sha256)

    def _on_model_hashed(self, model: OpenModel) -> None:
        if model is self.models.active:
            self.view3d.show_model(model, model.handle.client, model.sha256)

    def _show_colors(self, values: dict[int, Any]) -> None:
        """A `color_by` (a run's, a past run's or a result column's) on the tree rows too."""
        self.tree.color_elements(element_colors(values) if values else {})

    def _on_history_colors(self, colors: list[dict[str, Any]]) -> None:
        """A past run's colours, on the model it ran on (STEP ids mean nothing elsewhere)."""
        from ifcscript_desktop.core.runs import get_execution

        run_id, model = self.history.selected_run(), self.models.active
        execution = get_execution(self.store, run_id) if run_id is not None else None
        same = model is not None and execution is not None and (
            execution.model_sha256 == model.sha256 if execution.model_sha256 and model.sha256
            else Path(execution.model_path) == Path(model.path))
        if not same or execution is None:
            name = Path(execution.model_path).name if execution else "another model"
            self.statusBar().showMessage(f"That run was on {name}: open it (or make it the active "
                                         "model) to see its colours.")
            return
        self.view3d.show_run([], colors)
        self._show_colors(color_records.step_values(colors[-1]) if colors else {})
        self.statusBar().showMessage(f"Showing the colours of run #{run_id}.")

    def _on_picked_in_3d(self, ids: list[int]) -> None:
        if ids:
            self.tree.select_elements(ids)
        else:
            self.tree.tree.clearSelection()

    def _recall_last_run(self, path: str) -> RunReply | None:
        """A model's last run from the history (yesterday's, the command's), shown when the
        model becomes active and this window has run nothing on it yet."""
        from ifcscript_desktop.core.runs import execution_as_dict, last_finished_run
        from ifcscript_desktop.core.storeerrors import StoreError

        try:
            execution = last_finished_run(self.store, path)
            return RunReply.from_record(execution_as_dict(execution)) if execution else None
        except StoreError:  # a busy database: the pane says there is no run yet
            return None

    def _on_active_changed(self, model: OpenModel | None) -> None:
        handle = model.handle if model else None
        self.tree.set_handle(handle)
        self.properties.set_handle(handle)
        self.help.set_source(handle)  # F1 on ifcopenshell names asks this model's worker
        self.view3d.show_model(model, model.handle.client if model else None,
                               model.sha256 if model else None)
        self.model_label.setText(model.summary() if model else "No model open")
        self.results.show_model(model.path if model else None)  # its last run, or "no run yet"

    def _show_problem(self, sentence: str) -> None:
        self.progress.hide()
        self.action_cancel_open.setVisible(self.models.opening)
        self.last_problem = sentence
        self.statusBar().showMessage(sentence)
        box = QMessageBox(QMessageBox.Icon.Warning, "IFC Script Desktop", sentence,
                          QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): the window keeps working while the message shows

    # -- runs --------------------------------------------------------------------------------
    def run_script(self) -> None:
        self.scripts.follow_header()  # the form shows the block being run, even mid-pause
        self.runs.run(self.editor.text(), self.scripts.name, self.scripts.script,
                      self.params.values(), self.models.active, self.tree.selected_ids())

    def run_selection(self) -> None:
        """The editor's selected text as a script on the active model (the header's comment
        lines kept, so its parameters and line numbers hold)."""
        start, end = self.editor.selection()
        self.scripts.follow_header()
        try:
            code = selection_as_script(self.editor.text(), start, end)
        except SelectionError as exc:
            self._on_run_refused(str(exc), exc.line)
            return
        self.runs.run(code, f"{self.scripts.name} (selection)", None, self.params.values(),
                      self.models.active, self.tree.selected_ids())

    def _on_run_started(self, execution_id: int) -> None:
        self.editor.mark_error_line(None)
        execution = self.runs.current.execution if self.runs.current else None
        if execution is not None:  # the header names the run: script, model, number, time
            self.results.start_run(execution.script_name, execution.model_path, execution_id,
                                   execution.started_at or execution.queued_at)
        else:
            self.results.start_run()
        self.bottom.setCurrentWidget(self.results)
        self.action_run.setEnabled(False)
        self.action_stop.setEnabled(True)
        self.statusBar().showMessage(f"Running {self.scripts.name} (run #{execution_id})…")
        self.history.refresh()

    def _on_run_progress(self, fraction: float, message: str) -> None:
        self.progress.show()
        self.progress.setValue(int(fraction * 100))
        if message:
            self.statusBar().showMessage(message)

    def _on_run_finished(self, reply: RunReply) -> None:
        self.progress.hide()
        self.action_run.setEnabled(True)
        self.action_stop.setEnabled(False)
        self.results.show_reply(reply)
        if reply.error_line:
            self.editor.mark_error_line(reply.error_line)
        active = self.models.active
        if active is not None and (not reply.model or Path(reply.model) == Path(active.path)):
            # STEP ids mean something only in the model the run was on (the user may have
            # switched models while it ran).
            for highlight in reply.highlights:
                self.tree.highlight(highlight.get("ids") or [], highlight.get("color") or "#ffd54f")
            self.view3d.show_run(reply.highlights, reply.colors)
            self._show_colors(color_records.step_values(reply.colors[-1]) if reply.colors else {})
        took = f" in {reply.duration_s:.2f} s" if reply.duration_s is not None else ""
        error = f": {reply.error}" if reply.error else ""
        # The check's verdict beside the run's status: "Run #12 success · FAIL: 13 failed".
        verdict = f" · {reply.verdict_label}" if reply.verdict_label else ""
        self.statusBar().showMessage(
            f"Run #{reply.execution_id} {reply.status}{verdict}{took}{error}")
        self.history.refresh()

    def _on_params_shown(self, has_parameters: bool) -> None:
        """The Parameters pane: a one-line note for a script without any, room for inputs."""
        fit_params_dock(self, self.params_dock, self.params, [self.view3d_dock])

    def _on_run_refused(self, sentence: str, line: int) -> None:
        if line:
            self.editor.mark_error_line(line)
        self.statusBar().showMessage(sentence)

    def _on_elements_activated(self, refs: list[Any]) -> None:
        ids = [r for r in refs if isinstance(r, int)]
        guids = [r for r in refs if isinstance(r, str)]
        if ids:
            self.tree.select_elements(ids)
        elif guids and self.models.active:
            query = " + ".join(f'IfcRoot, GlobalId="{g}"' for g in guids[:200])
            self.models.active.handle.query("filter", {"query": query},
                                            lambda reply: self.tree.select_elements(reply.get("ids") or []))

    def _on_elements_zoom(self, refs: list[Any]) -> None:
        """A double-clicked result row: its elements selected and zoomed to in 3D."""
        by_guid = self.view3d.current.scene.ids_by_global_id() if self.view3d.current else {}
        ids = [r if isinstance(r, int) else by_guid.get(r) for r in refs]
        self.view3d.select([i for i in ids if isinstance(i, int)], zoom=True)

    # -- scripts -----------------------------------------------------------------------------
    def _on_script_state(self, name: str, modified: bool) -> None:
        marker = " ●  unsaved changes" if modified else ""
        read_only = "  (built-in, read-only: duplicate it in Scripts to edit)" if (
            self.scripts.script and self.scripts.script.is_builtin) else ""
        self.script_label.setText(f"<b>{name}</b>{marker}{read_only}")

    def _on_help(self, word: str) -> None:
        self.bottom.setCurrentWidget(self.help)
        self.help.show_topic(word)

    def _on_open_code(self, execution_id: int) -> None:
        from ifcscript_desktop.core.runs import get_execution

        execution = get_execution(self.store, execution_id)
        self.scripts.show_code(execution.code, f"{execution.script_name} (run #{execution_id})")

    # -- Qt events ---------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        event.acceptProposedAction()
        self.open_models(paths)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._size_docks:
            self._size_docks = False
            QTimer.singleShot(0, self, self._size_side_docks)

    def _size_side_docks(self) -> None:
        width = self.width()
        self.resizeDocks(self._side_docks, [max(260, width // 5), max(420, width // 3),
                                            max(260, width // 7)], Qt.Orientation.Horizontal)

    def prepare_for_models(self) -> None:
        """Once shown, as `ifcscript` starts it: a worker started ahead of the next model, and
        the 3D view's libraries imported while the user chooses one."""
        self.models.keep_worker_ahead()
        QTimer.singleShot(0, self, self.view3d.prepare)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.unsaved.may_close():  # asks Save / Discard / Cancel, then closes again
            event.ignore()
            return
        self.unsaved.settle()
        for server in self.findChildren(InstanceServer):  # a later launch opens its own window
            server.close()
        self.history.poll_timer.stop()
        self.workflows.shutdown()
        self.qsettings.setValue("geometry", self.saveGeometry())
        self.qsettings.setValue("window_state", self.saveState())
        self.properties.save(self.qsettings)
        self.results.save(self.qsettings)
        self.view3d.shutdown()
        self.help.shutdown()
        self.models.close_all()
        super().closeEvent(event)
