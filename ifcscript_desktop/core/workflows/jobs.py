"""A workflow run as the window starts it: checked at once, run later on another thread.

`prepare_run` and `prepare_resume` check what can be checked before anything runs (the workflow
exists, every step's script and parameters, the run to resume) and raise a `UsageError` or
`StoreError` sentence otherwise (a database failure included). `WorkflowJob.run()` blocks (the
window calls it off the GUI thread): each model in its own worker (`core.workflows.batch`),
every finished step handed to `on_step`, then the combined report written to a fresh folder.
`cancel()` may be called from any thread. Qt-free.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ifcscript_desktop.core.workflows.batch import (ModelOutcome, StepCallback, WorkflowBatch,
                                          resume_notes, resume_target)
from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.core.execute import Limits, UsageError, model_key
from ifcscript_desktop.core.settings import load_settings
from ifcscript_desktop.core.store import RunStatus, Store, WorkflowExecution
from ifcscript_desktop.core.storeerrors import store_errors
from ifcscript_desktop.core.workflows.report import CSV_NAME, write_report
from ifcscript_desktop.core.workflows import get_workflow_execution, require_workflow


@dataclass(frozen=True)
class JobResult:
    """What a finished job did: the report rows, where the report is, the workflow runs."""

    workflow: str
    trigger: str
    report_dir: Path
    rows: list[dict[str, Any]]
    outcomes: list[ModelOutcome]

    @property
    def status(self) -> str:
        """success when every model succeeded, else cancelled or error."""
        statuses = [outcome.status for outcome in self.outcomes]
        if statuses and all(status == RunStatus.SUCCESS for status in statuses):
            return str(RunStatus.SUCCESS)
        if RunStatus.CANCELLED in statuses:
            return str(RunStatus.CANCELLED)
        return str(RunStatus.ERROR)

    @property
    def report_csv(self) -> Path:
        return self.report_dir / CSV_NAME

    @property
    def execution_ids(self) -> list[int]:
        return [int(outcome.execution.id) for outcome in self.outcomes]


class WorkflowJob:
    """One workflow on some models (or one failed run resumed), ready to run."""

    def __init__(self, store: Store, batch: WorkflowBatch, models: list[str],
                 resume: dict[str, WorkflowExecution] | None = None,
                 jobs: int | None = None) -> None:
        self.store = store
        self.batch = batch
        self.models = models
        self.resume = resume or {}
        self.jobs = jobs

    @property
    def workflow(self) -> str:
        return str(self.batch.workflow.name)

    def resume_notes(self) -> list[str]:
        """Sentences for the steps a resume runs again because their files are gone."""
        names = [step.name for step in self.batch.plan]
        return [note for target in self.resume.values() for note in resume_notes(target, names)]

    @property
    def trigger(self) -> str:
        return self.batch.trigger

    @property
    def total_steps(self) -> int:
        """Report rows the job will give: one per model and step."""
        return len(self.models) * len(self.batch.plan)

    def run(self) -> JobResult:
        """Run on every model, write report.csv and report.json; blocking."""
        folder = self.batch.choose_report_dir()
        try:
            outcomes = self.batch.run(self.models, jobs=self.jobs, resume=self.resume)
        finally:
            if threading.current_thread() is not threading.main_thread():
                self.store.close()  # this thread's connection, if it opened one
        rows = [row for outcome in outcomes for row in outcome.rows]
        write_report(rows, folder)
        return JobResult(self.workflow, self.trigger, folder, rows, outcomes)

    def cancel(self) -> None:
        self.batch.cancel()


def prepare_run(store: Store, name: str, models: list[str], trigger: str = "manual",
                on_step: StepCallback | None = None, jobs: int | None = None,
                lent: dict[str, WorkerClient] | None = None) -> WorkflowJob:
    """The workflow `name` on `models`; UsageError (a sentence) when it cannot run.

    `lent`: workers already holding some of the models (the window's), used as they are.
    """
    if not models:
        raise UsageError("Choose at least one model to run the workflow on.")
    workflow = require_workflow(store, name)
    with store_errors(f"The workflow {name.strip()!r} could not be started"):
        limits = Limits.from_settings(load_settings(store))
        batch = WorkflowBatch(store, workflow, limits, trigger=trigger, on_step=on_step, lent=lent)
    unique = list(dict.fromkeys(model_key(model) for model in models))
    return WorkflowJob(store, batch, unique, jobs=jobs)


def prepare_resume(store: Store, execution_id: int, on_step: StepCallback | None = None,
                   lent: dict[str, WorkerClient] | None = None) -> WorkflowJob:
    """Resume the failed workflow run `execution_id` from its failed step, on its model."""
    execution = get_workflow_execution(store, execution_id)
    workflow = require_workflow(store, execution.workflow_name)
    with store_errors(f"The workflow run #{execution_id} could not be resumed"):
        target = resume_target(store, workflow, execution_id)
        limits = Limits.from_settings(load_settings(store))
        # A resume is the user's doing, whatever started the run it resumes.
        batch = WorkflowBatch(store, workflow, limits, trigger="manual", on_step=on_step,
                              lent=lent)
    return WorkflowJob(store, batch, [target.model_path], resume={target.model_path: target})


def can_resume(execution: WorkflowExecution) -> bool:
    """Whether a workflow run ended without success (so it can be resumed)."""
    ended_badly = execution.status in (RunStatus.ERROR, RunStatus.TIMEOUT, RunStatus.CANCELLED,
                                       RunStatus.INTERRUPTED)
    return ended_badly and execution.workflow_id is not None  # type: ignore[attr-defined]
