"""The runs of one workflow (its WorkflowExecutions), their steps, and one step run in full.

A step run is a normal ScriptExecution: it is shown with the History pane's own detail view.
A run that did not succeed can be resumed from its failed step.
"""

from __future__ import annotations

import html
import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QSplitter,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ifcscript_desktop.core import workflows
from ifcscript_desktop.core.runs import execution_as_dict, get_execution
from ifcscript_desktop.core.store import Store, StoreError, WorkflowExecution
from ifcscript_desktop.core.workflows.jobs import can_resume
from ifcscript_desktop.ui.history import RunDetail
from ifcscript_desktop.ui.history.rows import duration_text, local_time
from ifcscript_desktop.ui.statuscolors import STATUS_COLORS, UNKNOWN_COLOR

ID_ROLE = Qt.ItemDataRole.UserRole + 1
RUN_COLUMNS = ("Run", "Started", "Status", "Trigger", "Model", "Duration")
STEP_COLUMNS = ("Step", "Status", "Script run", "Error")
TRIGGER_WORDS = {"manual": "manual", "on_open": "on open", "watch": "watched folder"}
MAX_RUNS = 200


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _item(text: str, item_id: int | None = None, status: str | None = None,
          tip: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if item_id is not None:
        item.setData(ID_ROLE, item_id)
    if status is not None:
        item.setForeground(QColor(STATUS_COLORS.get(status, UNKNOWN_COLOR)))
    item.setToolTip(tip if tip is not None else text)
    return item


class RunsView(QWidget):
    """The history of the chosen workflow, newest first."""

    #: Resume this workflow run (a WorkflowExecution id) from its failed step.
    resume_requested = Signal(int)
    #: Run this step's script run again (a ScriptExecution id), as History does.
    rerun_requested = Signal(int)
    #: Open the exact code of this step run in the editor.
    open_code_requested = Signal(int)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._workflow: str | None = None
        self._executions: list[WorkflowExecution] = []
        self.runs_table = _table(RUN_COLUMNS, "workflow_runs")
        self.runs_table.itemSelectionChanged.connect(self._on_run_selected)
        self.steps_table = _table(STEP_COLUMNS, "workflow_run_steps")
        self.steps_table.itemSelectionChanged.connect(self._on_step_selected)
        self.resume_button = QPushButton("Resume from failed step")
        self.resume_button.setToolTip("Run the failed step and those after it again on the same "
                                      "model; the steps that succeeded are reused, not re-run")
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(self._on_resume)
        self.heading = QLabel()
        self.detail = RunDetail()
        self.detail.rerun_requested.connect(self.rerun_requested)
        self.detail.open_code_requested.connect(self.open_code_requested)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.heading.setWordWrap(True)
        below = QHBoxLayout()
        below.addStretch(1)
        below.addWidget(self.resume_button)
        left_layout.addWidget(self.heading)
        left_layout.addWidget(self.runs_table, 1)
        left_layout.addLayout(below)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(QLabel("Steps of the selected run:"))
        middle_layout.addWidget(self.steps_table, 1)
        tables = QSplitter(Qt.Orientation.Vertical)
        tables.addWidget(left)
        tables.addWidget(middle)
        tables.setStretchFactor(0, 3)
        tables.setStretchFactor(1, 2)
        splitter = QSplitter()
        splitter.addWidget(tables)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self.show_workflow(None)

    # -- our API --------------------------------------------------------------------------
    def show_workflow(self, name: str | None) -> None:
        """Show the runs of the workflow `name` (None: none)."""
        self._workflow = name
        self.refresh()

    def refresh(self) -> None:
        """Read the runs again, keeping the selected one selected."""
        keep = self.selected_execution()
        try:
            self._executions = (workflows.list_workflow_executions(
                self._store, self._workflow, MAX_RUNS) if self._workflow else [])
        except StoreError as exc:
            self._executions = []
            self.heading.setText(f"The runs cannot be read: {exc}")
        else:
            count = len(self._executions)
            self.heading.setText(f"{count} run(s) of <b>{html.escape(self._workflow)}</b>"
                                 if self._workflow
                                 else "Choose a workflow to see its runs.")
        self.runs_table.blockSignals(True)
        self.runs_table.setRowCount(len(self._executions))
        for row, execution in enumerate(self._executions):
            self._fill_run(row, execution)
        self.runs_table.resizeColumnsToContents()
        self.runs_table.blockSignals(False)
        if keep is None or not self.select_execution(keep):
            self.runs_table.clearSelection()
            self._on_run_selected()

    def select_execution(self, execution_id: int) -> bool:
        for row, execution in enumerate(self._executions):
            if execution.id == execution_id:
                self.runs_table.selectRow(row)
                self._on_run_selected()  # shown again even when it was selected already
                return True
        return False

    def selected_execution(self) -> int | None:
        rows = self.runs_table.selectionModel().selectedRows()
        return int(rows[0].data(ID_ROLE)) if rows else None

    def step_rows(self) -> list[dict[str, Any]]:
        """The steps of the selected run as the steps table shows them."""
        execution = self._selected()
        return list((execution.report or {}).get("steps", [])) if execution else []

    def select_step(self, row: int) -> None:
        self.steps_table.selectRow(row)

    def select_step_run(self, run_id: int) -> bool:
        """Select the step of the selected run that ran as `run_id` (a ScriptExecution)."""
        for row, entry in enumerate(self.step_rows()):
            if entry.get("execution_id") == run_id:
                self.steps_table.selectRow(row)
                return True
        return False

    # -- internals ------------------------------------------------------------------------
    def _fill_run(self, row: int, execution: WorkflowExecution) -> None:
        started, finished = execution.started_at, execution.finished_at
        seconds = (finished - started).total_seconds() if started and finished else None
        status = str(execution.status)
        cells = [_item(f"#{execution.id}", int(execution.id)),
                 _item(local_time(started)),
                 _item(status, status=status),
                 _item(TRIGGER_WORDS.get(str(execution.trigger), str(execution.trigger))),
                 _item(os.path.basename(execution.model_path), tip=execution.model_path),
                 _item(duration_text(seconds, status))]
        for column, cell in enumerate(cells):
            self.runs_table.setItem(row, column, cell)

    def _selected(self) -> WorkflowExecution | None:
        execution_id = self.selected_execution()
        return next((e for e in self._executions if e.id == execution_id), None)

    def _on_run_selected(self) -> None:
        execution = self._selected()
        self.resume_button.setEnabled(execution is not None and can_resume(execution))
        steps = self.step_rows()
        self.steps_table.blockSignals(True)
        self.steps_table.setRowCount(len(steps))
        for row, entry in enumerate(steps):
            run_id = entry.get("execution_id")
            reused = " (reused)" if entry.get("reused") else ""
            ran = f"#{run_id}{reused}" if run_id else "not run"
            cells = [_item(str(entry.get("step")), run_id), _item(str(entry.get("status")),
                     status=str(entry.get("status"))), _item(ran), _item(entry.get("error") or "")]
            for column, cell in enumerate(cells):
                self.steps_table.setItem(row, column, cell)
        self.steps_table.resizeColumnsToContents()
        self.steps_table.blockSignals(False)
        failed = next((r for r, e in enumerate(steps) if e.get("status") != "success"), 0)
        if steps:
            self.steps_table.selectRow(failed)  # the step that needs looking at
        self._on_step_selected()

    def _on_step_selected(self) -> None:
        rows = self.steps_table.selectionModel().selectedRows()
        run_id = rows[0].data(ID_ROLE) if rows else None
        if not run_id:
            self.detail.clear("Select a step that ran to see its output, result and error."
                              if rows or self._selected() else
                              "Select a run, then a step, to see that step's run in full.")
            return
        try:
            self.detail.show_run(execution_as_dict(get_execution(self._store, int(run_id))))
        except StoreError as exc:
            self.detail.clear(str(exc))

    def _on_resume(self) -> None:
        execution_id = self.selected_execution()
        if execution_id is not None:
            self.resume_requested.emit(execution_id)
