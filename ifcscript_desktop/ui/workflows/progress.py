"""What the user sees of a workflow job: the report fills as steps end, the runs list follows.

Connects the runner's signals to the report and runs views and words a status-bar sentence for
each step and at the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ifcscript_desktop.core.workflows.jobs import JobResult
from ifcscript_desktop.ui.workflows.report import ReportView
from ifcscript_desktop.ui.workflows.runner import JobInfo, WorkflowRunner
from ifcscript_desktop.ui.workflows.runs import RunsView

TRIGGER_NOTES = {"on_open": " (on open)", "watch": " (watched folder)"}


class JobProgress(QObject):
    """Relays a running job to the views; `current_workflow` names the workflow on show."""

    #: A sentence for the status bar.
    message = Signal(str)
    #: A job broke off: a sentence to show as a problem.
    problem = Signal(str)
    #: Runs were recorded (the History pane may catch up).
    runs_changed = Signal()

    def __init__(self, runner: WorkflowRunner, report: ReportView, runs: RunsView,
                 current_workflow: Callable[[], str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._report = report
        self._runs = runs
        self._current_workflow = current_workflow
        runner.job_queued.connect(lambda info: self.message.emit(
            f'Workflow "{info.workflow}" will run when the one running now ends.'))
        runner.job_started.connect(self._on_job_started)
        runner.step_finished.connect(self._on_step_finished)
        runner.job_finished.connect(self._on_job_finished)
        runner.job_failed.connect(self._on_job_failed)
        report.stop_requested.connect(runner.cancel)

    def _on_job_started(self, info: JobInfo) -> None:
        self._report.start(info.workflow, info.models, info.total)
        note = TRIGGER_NOTES.get(info.trigger, "")
        self.message.emit(f'Workflow "{info.workflow}"{note} running on {len(info.models)} '
                          "model(s)…")

    def _on_step_finished(self, info: JobInfo, row: dict[str, Any]) -> None:
        self._report.add_row(row)
        if info.workflow == self._current_workflow():
            self._runs.refresh()
        self.message.emit(f'Workflow "{info.workflow}": {os.path.basename(str(row["model"]))} / '
                          f'{row["step"]} {row["status"]} ({info.done} of {info.total} steps)')
        self.runs_changed.emit()

    def _on_job_finished(self, info: JobInfo, result: JobResult) -> None:
        self._report.finish(result)
        if info.workflow == self._current_workflow():
            self._runs.refresh()
            if result.execution_ids:
                self._runs.select_execution(result.execution_ids[-1])
        note = TRIGGER_NOTES.get(info.trigger, "")
        self.message.emit(f'Workflow "{info.workflow}"{note} {result.status} on '
                          f"{len(result.outcomes)} model(s). Report: {result.report_csv}")
        self.runs_changed.emit()

    def _on_job_failed(self, info: JobInfo, sentence: str) -> None:
        self._report.fail(sentence)
        self.problem.emit(sentence)
        self.runs_changed.emit()
