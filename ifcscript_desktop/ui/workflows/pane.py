"""The Workflows pane: the stored workflows, one in a form, its runs, and the latest report.

Every action gathers what the user chose and makes one core call (`core.workflows`,
`core.workflows.jobs` through the runner); what goes wrong is shown as a sentence above the list
and in the status bar (`message`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QFrame, QGridLayout, QLabel, QPushButton, QScrollArea,
                               QSplitter, QTabWidget, QVBoxLayout, QWidget)

from ifcscript_desktop.core import library, workflows
from ifcscript_desktop.core.store import Store, StoreError
from ifcscript_desktop.core.workflows.file import WorkflowFileError, WorkflowSpec
from ifcscript_desktop.ui.background import BackgroundRunner
from ifcscript_desktop.ui.params import ParamsDialogs
from ifcscript_desktop.ui.workflows.dialogs import WorkflowDialogs
from ifcscript_desktop.ui.workflows.editor import WorkflowEditor
from ifcscript_desktop.ui.workflows.listing import WorkflowList
from ifcscript_desktop.ui.workflows.progress import JobProgress
from ifcscript_desktop.ui.workflows.report import ReportView
from ifcscript_desktop.ui.workflows.runner import JobInfo, WorkflowRunner
from ifcscript_desktop.ui.workflows.runs import RunsView
from ifcscript_desktop.ui.workflows.triggers import FolderWatching, run_on_open

DEFINITION, RUNS, REPORT = range(3)
FAILED = object()
ERROR_STYLE = "color: #c0392b;"


class WorkflowsPane(QWidget):
    """List, edit, enable, import/export and run workflows; their runs and reports."""

    #: A sentence for the status bar.
    message = Signal(str)
    #: Workflow runs (and so script runs) were recorded: the History pane may catch up.
    runs_changed = Signal()
    #: Run a step's script run again / open its code (ScriptExecution ids), as History does.
    rerun_requested = Signal(int)
    open_code_requested = Signal(int)

    def __init__(self, store: Store, background: BackgroundRunner, parent: QWidget | None = None,
                 *, dialogs: WorkflowDialogs | None = None,
                 params_dialogs: ParamsDialogs | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.dialogs = dialogs or WorkflowDialogs()
        self.active_model: str | None = None
        self.last_problem: str | None = None
        self.runner = WorkflowRunner(store, background, self)
        self.list = WorkflowList()
        self.editor = WorkflowEditor(store, self.dialogs, params_dialogs=params_dialogs)
        self.runs = RunsView(store)
        self.report = ReportView()
        self.watching = FolderWatching(store, self.runner, background, self)
        self.progress = JobProgress(self.runner, self.report, self.runs, self.list.current, self)

        self.new_button = QPushButton("New")
        self.delete_button = QPushButton("Delete…")
        self.import_button = QPushButton("Import…")
        self.export_button = QPushButton("Export…")
        self.run_button = QPushButton("Run on active model")
        self.run_files_button = QPushButton("Run on files…")
        self.watch_box = QCheckBox("Watch folders while the window is open")
        self.watch_box.setToolTip("Run the enabled watched-folder workflows on every model that "
                                  "arrives complete in their folders")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.hide()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        definition = QScrollArea()  # a short window scrolls the form rather than growing
        definition.setWidgetResizable(True)
        definition.setFrameShape(QFrame.Shape.NoFrame)
        definition.setWidget(self.editor)
        self.tabs.addTab(definition, "Definition")
        self.tabs.addTab(self.runs, "Runs")
        self.tabs.addTab(self.report, "Report")
        self._layout()
        self._connect()
        self.refresh()

    def _layout(self) -> None:
        file_row = QGridLayout()
        for index, button in enumerate((self.new_button, self.delete_button, self.import_button,
                                        self.export_button, self.run_button,
                                        self.run_files_button)):
            file_row.addWidget(button, index // 2, index % 2)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 0, 4)
        left_layout.addLayout(file_row)
        left_layout.addWidget(self.problem)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(self.watch_box)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([300, 1000])
        # Scrolls sideways rather than making the whole window wider on a small screen.
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(splitter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroller)

    def _connect(self) -> None:
        self.new_button.clicked.connect(self.new_workflow)
        self.delete_button.clicked.connect(self.delete_workflow)
        self.import_button.clicked.connect(lambda: self.import_file())
        self.export_button.clicked.connect(lambda: self.export_file())
        self.run_button.clicked.connect(self.run_on_active_model)
        self.run_files_button.clicked.connect(lambda: self.run_on_files())
        self.watch_box.toggled.connect(self._on_watch_toggled)
        self.watching.watch_stopped.connect(self._show_problem)
        self.watching.models_arrived.connect(lambda name, paths: self._say(
            f'{", ".join(os.path.basename(p) for p in paths)} arrived: running "{name}"…'))
        self.list.workflow_chosen.connect(self._on_chosen)
        self.list.enabled_toggled.connect(self._on_enabled_toggled)
        self.editor.saved.connect(self._on_saved)
        self.runs.resume_requested.connect(self.resume)
        self.runs.rerun_requested.connect(self.rerun_requested)
        self.runs.open_code_requested.connect(self.open_code_requested)
        self.report.run_activated.connect(self._on_report_run)
        self.progress.message.connect(self.message)
        self.progress.problem.connect(self._show_problem)
        self.progress.runs_changed.connect(self.runs_changed)
        self.runner.refused.connect(self._show_problem)

    # -- our API --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the workflows and scripts again (the current workflow stays current)."""
        scripts = self._core(lambda: library.list_scripts(self._store))
        stored = self._core(lambda: workflows.list_workflows(self._store))
        if scripts is not FAILED and stored is not FAILED:
            self.editor.set_scripts([script.name for script in scripts])
            self.list.fill(stored, self.editor.original or self.list.current())
        self._update_buttons()

    def choose(self, name: str) -> bool:
        """Make `name` the current workflow, as clicking it does."""
        return self.list.select(name)

    def set_active_model(self, path: str | None) -> None:
        self.active_model = path
        self._update_buttons()

    def model_opened(self, path: str) -> list[JobInfo]:
        """The on-open trigger: every enabled on-open workflow runs on the model just opened."""
        try:
            jobs = run_on_open(self._store, self.runner, path)
        except StoreError as exc:  # the model stays open; its on-open workflows did not start
            self._say(str(exc))
            return []
        if jobs:
            names = ", ".join(f'"{info.workflow}"' for info in jobs)
            self._say(f"{os.path.basename(path)} opened: running workflow(s) {names}…")
        return jobs

    def new_workflow(self) -> None:
        if not self._may_discard():
            return
        self.list.blockSignals(True)
        self.list.clear_current()
        self.list.blockSignals(False)
        self.editor.edit(WorkflowSpec(name=workflows.unique_workflow_name(self._store), steps=()),
                         None)
        self.runs.show_workflow(None)
        self.tabs.setCurrentIndex(DEFINITION)
        self.editor.name_edit.setFocus()
        self._update_buttons()

    def delete_workflow(self) -> None:
        name = self.list.current()
        if not name or not self.dialogs.confirm(
                self, "Delete workflow",
                f"Delete the workflow {name!r}? Its runs stay in the history."):
            return
        self._core(lambda: workflows.delete_workflow(self._store, name))
        self.editor.edit(None, None)
        self.refresh()

    def import_file(self, path: str | None = None) -> bool:
        """Store the workflow in a TOML file; a bad file is refused with the line and reason.

        Files its steps name outside the TOML's folder are listed for the user to allow;
        declining imports nothing.
        """
        path = path or self.dialogs.open_toml(self, "Import a workflow")
        if not path or not self._may_discard():
            return False
        try:
            try:
                workflow, what = workflows.import_workflow_file(self._store, path)
            except workflows.FilesOutsideError as exc:
                if not self._allow_files_outside(Path(path).name, exc.paths):
                    self._say(f"{Path(path).name} was not imported.")
                    return False
                workflow, what = workflows.import_workflow_file(self._store, path, exc.paths)
        except WorkflowFileError as exc:
            self._show_problem(f"{Path(path).name} was not imported: {exc}.")
            return False
        except StoreError as exc:
            self._show_problem(f"{Path(path).name} was not imported: {exc}")
            return False
        self.editor.edit(None, None)  # the list shows the imported definition next
        self.refresh()
        self.choose(workflow.name)
        self._say(f"{what} workflow {workflow.name!r} from {Path(path).name}.")
        return True

    def export_file(self, path: str | None = None) -> bool:
        name = self.list.current()
        if not name:
            return False
        suggested = (name.casefold().replace(" ", "_") or "workflow") + ".toml"
        path = path or self.dialogs.save_toml(self, "Export the workflow", suggested)
        if not path:
            return False
        if self._core(lambda: workflows.export_workflow_file(self._store, name, path)) is FAILED:
            return False
        self._say(f"Exported {name!r} to {path}.")
        return True

    def run_on_active_model(self) -> JobInfo | None:
        if self.active_model is None:
            self._show_problem("Open a model first: drop an IFC file on the window.")
            return None
        return self._run([self.active_model])

    def run_on_files(self, paths: list[str] | None = None) -> JobInfo | None:
        paths = paths if paths is not None else self.dialogs.open_models(
            self, "Run the workflow on models")
        return self._run(paths) if paths else None

    def resume(self, execution_id: int) -> JobInfo | None:
        """Resume a failed workflow run from its failed step."""
        self._show_problem("")
        info = self.runner.resume(execution_id)
        if info is not None:
            self.tabs.setCurrentIndex(REPORT)
            notes = info.job.resume_notes()
            if notes:
                self._say(" ".join(notes))
        return info

    def shutdown(self) -> None:
        """The window closes: the running workflow stops (its runs are recorded cancelled)."""
        self.watching.set_active(False)
        self.runner.cancel()

    # -- slots ----------------------------------------------------------------------------
    def _run(self, models: list[str]) -> JobInfo | None:
        name = self.list.current()
        if not name:
            self._show_problem("Choose the workflow to run in the list.")
            return None
        if self.editor.modified and self.editor.original == name and not self.editor.save():
            return None  # the edits are saved first; the editor says what is wrong
        self._show_problem("")
        info = self.runner.run(name, models)
        if info is not None:
            self.tabs.setCurrentIndex(REPORT)
        return info

    def _on_chosen(self, name: str) -> None:
        if name == (self.editor.original or "") and self.editor.isEnabled():
            return
        if not self._may_discard():
            self.list.blockSignals(True)
            if not self.list.select(self.editor.original or ""):
                self.list.clear_current()
            self.list.blockSignals(False)
            return
        stored = self._core(lambda: workflows.get_workflow(self._store, name)) if name else None
        if stored is FAILED:
            return
        self.editor.edit(workflows.spec_of(stored) if stored else None, name if stored else None)
        self.runs.show_workflow(name or None)
        self._update_buttons()

    def _on_enabled_toggled(self, name: str, enabled: bool) -> None:
        if self._core(lambda: workflows.set_enabled(self._store, name, enabled)) is FAILED:
            self.refresh()  # the box shows what is stored
            return
        if self.editor.original == name and not self.editor.modified:
            self.editor.enabled_box.blockSignals(True)
            self.editor.enabled_box.setChecked(enabled)
            self.editor.enabled_box.blockSignals(False)
        self._say(f"{name!r} is {'enabled' if enabled else 'disabled'}.")

    def _on_watch_toggled(self, on: bool) -> None:
        self.watching.set_active(on)
        if on:
            self._say("Watching the folders of the enabled watched-folder workflows.")

    def _on_saved(self, name: str) -> None:
        self.refresh()
        self.choose(name)
        self.runs.show_workflow(name)
        self._say(f"Saved the workflow {name!r}.")

    def _on_report_run(self, run_id: int) -> None:
        execution = self._core(lambda: workflows.execution_of_step(self._store, run_id))
        if execution is not FAILED:
            self.choose(execution.workflow_name)
            self.tabs.setCurrentIndex(RUNS)
            self.runs.select_execution(int(execution.id))
            self.runs.select_step_run(run_id)

    # -- helpers --------------------------------------------------------------------------
    def _allow_files_outside(self, name: str, paths: list[str]) -> bool:
        listing = "\n".join(paths)
        return self.dialogs.confirm(
            self, "Files outside the workflow's folder",
            f"{name} lets its scripts read these files outside its own folder:\n\n{listing}\n\n"
            "Import it only if you trust it with them. Import and allow them?")

    def _may_discard(self) -> bool:
        if not self.editor.modified or not self.editor.isEnabled():
            return True
        name = self.editor.name_edit.text() or "the new workflow"
        return self.dialogs.confirm(self, "Unsaved workflow",
                                    f"Discard the unsaved changes to {name!r}?")

    def _core(self, call: Callable[[], Any]) -> Any:
        """Make one core call; a store problem becomes a sentence and FAILED is returned."""
        try:
            return call()
        except StoreError as exc:
            self._show_problem(str(exc))
            return FAILED

    def _show_problem(self, sentence: str) -> None:
        self.last_problem = sentence or None
        self.problem.setText(sentence)
        self.problem.setVisible(bool(sentence))
        if sentence:
            self._say(sentence)

    def _say(self, text: str) -> None:
        self.message.emit(text)

    def _update_buttons(self) -> None:
        chosen = bool(self.list.current())
        for button in (self.delete_button, self.export_button, self.run_files_button):
            button.setEnabled(chosen)
        self.run_button.setEnabled(chosen and self.active_model is not None)
        self.run_button.setToolTip(f"Run on {os.path.basename(self.active_model)}"
                                   if self.active_model else "Open a model first")
