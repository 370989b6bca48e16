"""The combined report of the latest workflow run: rows arrive as steps end, then the folder.

Rows are `core.workflows.report` rows (model, step, status, duration_s, error, execution_id,
result_status and the result's counts). A batch has models x steps rows, a few hundred at most,
so a plain table widget holds them.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QProgressBar,
                               QPushButton, QSizePolicy, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ifcscript_desktop.core.workflows.jobs import JobResult
from ifcscript_desktop.core.workflows.report import columns_of
from ifcscript_desktop.ui.history.rows import duration_text
from ifcscript_desktop.ui.statuscolors import STATUS_COLORS, UNKNOWN_COLOR

EXECUTION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
HEADERS = {"model": "Model", "step": "Step", "status": "Status", "duration_s": "Duration",
           "error": "Error", "execution_id": "Run", "result_status": "Result"}


class ReportView(QWidget):
    """Progress of the running workflow and, when it is done, its report and report folder."""

    #: Show this step run (a ScriptExecution id) in full.
    run_activated = Signal(int)
    #: The user wants the running workflow stopped.
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict[str, Any]] = []
        self.report_dir: Path | None = None
        self.title = QLabel("No workflow has run yet in this window.")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m steps")
        self.progress.hide()
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the workflow: the steps running now end as cancelled")
        self.stop_button.clicked.connect(self.stop_requested)
        self.stop_button.hide()
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("workflow_report")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.cellDoubleClicked.connect(self._on_double_clicked)
        self.folder_label = QLabel()
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # A long path is cut at the pane's edge (its tool tip has it whole), never widening it.
        self.folder_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.open_folder_button = QPushButton("Open report folder")
        self.open_folder_button.clicked.connect(self._on_open_folder)
        self.open_folder_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.progress)
        top.addWidget(self.stop_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.folder_label, 1)
        bottom.addWidget(self.open_folder_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)

    # -- our API --------------------------------------------------------------------------
    def start(self, workflow: str, models: list[str], total: int) -> None:
        """A run began: empty table, progress at zero."""
        self.rows, self.report_dir = [], None
        self.table.setRowCount(0)
        names = ", ".join(os.path.basename(m) for m in models[:3])
        names += "…" if len(models) > 3 else ""
        self.title.setText(f"<b>{html.escape(workflow)}</b> running on {html.escape(names)}…")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self.progress.show()
        self.stop_button.show()
        self.folder_label.clear()
        self.open_folder_button.setEnabled(False)

    def add_row(self, row: dict[str, Any]) -> None:
        """A step ended: its row, and one more step on the progress bar."""
        self.rows.append(row)
        self.progress.setValue(min(self.progress.value() + 1, self.progress.maximum()))
        self._fill()

    def finish(self, result: JobResult) -> None:
        """The run ended: the full report, its status and its folder."""
        self.rows = list(result.rows)
        self.report_dir = result.report_dir
        self._fill()
        self.progress.hide()
        self.stop_button.hide()
        color = STATUS_COLORS.get(result.status, UNKNOWN_COLOR)
        models = len(result.outcomes)
        failed = sum(1 for o in result.outcomes if o.status != "success")
        summary = f"{models - failed} of {models} model(s) succeeded"
        self.title.setText(f"<b>{html.escape(result.workflow)}</b>: <span style='color:{color};"
                           f"font-weight:bold'>{html.escape(result.status)}</span> · {summary}")
        self.folder_label.setText(f"Report: {result.report_csv}")
        self.folder_label.setToolTip(str(result.report_csv))
        self.open_folder_button.setEnabled(True)

    def fail(self, sentence: str) -> None:
        self.progress.hide()
        self.stop_button.hide()
        self.title.setText(f"<span style='color:{STATUS_COLORS['error']}'>"
                           f"{html.escape(sentence)}</span>")

    def statuses(self) -> list[str]:
        """The status of each report row, in order (what the table shows)."""
        return [str(row.get("status")) for row in self.rows]

    # -- internals ------------------------------------------------------------------------
    def _fill(self) -> None:
        # The error goes last: a long sentence would push the counts out of sight.
        columns = [c for c in columns_of(self.rows) if c != "error"] + ["error"]
        self.table.setColumnCount(len(columns))
        self.table.setHorizontalHeaderLabels([HEADERS.get(c, c) for c in columns])
        self.table.setRowCount(len(self.rows))
        for number, row in enumerate(self.rows):
            for column, key in enumerate(columns):
                self.table.setItem(number, column, self._item(key, row))
        if self.rows:
            self.table.resizeColumnsToContents()
            self.table.setColumnWidth(0, min(self.table.columnWidth(0), 220))
            self.table.setColumnWidth(len(columns) - 1, min(self.table.columnWidth(
                len(columns) - 1), 600))

    @staticmethod
    def _item(key: str, row: dict[str, Any]) -> QTableWidgetItem:
        value = row.get(key)
        if key == "model":
            text = os.path.basename(str(value))
        elif key == "duration_s":
            text = duration_text(value)
        else:
            text = "" if value is None else str(value)
        item = QTableWidgetItem(text)
        item.setToolTip(str(value) if value is not None else "")
        if key == "status":
            item.setForeground(QColor(STATUS_COLORS.get(text, UNKNOWN_COLOR)))
        if row.get("execution_id"):
            item.setData(EXECUTION_ID_ROLE, int(row["execution_id"]))
        return item

    def _on_double_clicked(self, row: int, column: int) -> None:
        item = self.table.item(row, column)
        run_id = item.data(EXECUTION_ID_ROLE) if item else None
        if run_id:
            self.run_activated.emit(int(run_id))

    def _on_open_folder(self) -> None:
        if self.report_dir is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report_dir)))
