"""Workflow runs from the window: checked on the GUI thread, run one after another off it.

A job (`core.workflows.jobs.WorkflowJob`) blocks while its models run in their own worker
processes, so it goes through the window's one background helper (`ui.background`). Jobs run
one at a time, in the order they were asked for: a model opening while a workflow runs waits
its turn rather than crowding the machine. Finished steps come back through `step_finished`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.core.execute import UsageError
from ifcscript_desktop.core.store import Store, StoreError
from ifcscript_desktop.core.workflows.jobs import JobResult, WorkflowJob, prepare_resume, prepare_run
from ifcscript_desktop.ui.background import BackgroundRunner

_ids = itertools.count(1)


@dataclass(eq=False)
class JobInfo:
    """What the window shows of a job: its workflow, trigger, models and progress."""

    job: WorkflowJob
    id: int = field(default_factory=lambda: next(_ids))
    done: int = 0

    @property
    def workflow(self) -> str:
        return self.job.workflow

    @property
    def trigger(self) -> str:
        return self.job.trigger

    @property
    def models(self) -> list[str]:
        return self.job.models

    @property
    def total(self) -> int:
        return self.job.total_steps


class WorkflowRunner(QObject):
    """Queues workflow jobs and relays what they do as signals on the GUI thread."""

    #: A job was queued behind another (JobInfo).
    job_queued = Signal(object)
    #: A job started (JobInfo).
    job_started = Signal(object)
    #: A step ended on a model: JobInfo, the report row (model, step, status, ...).
    step_finished = Signal(object, object)
    #: A job ended: JobInfo, JobResult.
    job_finished = Signal(object, object)
    #: A job broke off (our bug or the store failing): JobInfo, a sentence.
    job_failed = Signal(object, str)
    #: A job could not start: a sentence.
    refused = Signal(str)
    #: Relays a finished step from a batch thread to the GUI thread (job id, row).
    _step_relay = Signal(int, object)

    def __init__(self, store: Store, background: BackgroundRunner,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._background = background
        self._queue: list[JobInfo] = []
        self.current: JobInfo | None = None
        #: The workers of the window's open models by path: a workflow on an open model runs
        #: in the worker that holds it instead of parsing the file again.
        self.lender: Callable[[], dict[str, WorkerClient]] = dict
        self._step_relay.connect(self._on_step)

    @property
    def busy(self) -> bool:
        return self.current is not None or bool(self._queue)

    def run(self, workflow: str, models: list[str], trigger: str = "manual") -> JobInfo | None:
        """Queue `workflow` on `models`; None (and `refused`) when it cannot run."""
        return self._start(lambda on_step: prepare_run(self._store, workflow, models, trigger,
                                                        on_step=on_step, lent=self.lender()))

    def resume(self, execution_id: int) -> JobInfo | None:
        """Queue the resume of a failed workflow run from its failed step."""
        return self._start(lambda on_step: prepare_resume(self._store, execution_id,
                                                           on_step=on_step, lent=self.lender()))

    def cancel(self) -> None:
        """Stop the running job (its steps in flight are recorded `cancelled`) and the queue."""
        self._queue.clear()
        if self.current is not None:
            self.current.job.cancel()

    # -- internals ------------------------------------------------------------------------
    def _start(self, prepare: Any) -> JobInfo | None:
        holder: list[JobInfo] = []

        def on_step(model: str, row: dict[str, Any]) -> None:  # on a batch thread
            self._step_relay.emit(holder[0].id if holder else 0, row)

        try:
            job = prepare(on_step)
        except (UsageError, StoreError) as exc:
            self.refused.emit(str(exc))
            return None
        info = JobInfo(job)
        holder.append(info)
        self._queue.append(info)
        if self.current is None:
            self._next()
        else:
            self.job_queued.emit(info)
        return info

    def _next(self) -> None:
        if self.current is not None or not self._queue:
            return
        info = self.current = self._queue.pop(0)
        self.job_started.emit(info)
        self._background.submit(info.job.run, lambda result: self._on_done(info, result),
                                lambda exc: self._on_error(info, exc))

    def _on_step(self, job_id: int, row: dict[str, Any]) -> None:
        if self.current is not None and self.current.id == job_id:
            self.current.done += 1
            self.step_finished.emit(self.current, row)

    def _on_done(self, info: JobInfo, result: JobResult) -> None:
        self.current = None
        self.job_finished.emit(info, result)
        self._next()

    def _on_error(self, info: JobInfo, exc: Exception) -> None:
        self.current = None
        self.job_failed.emit(info, f'The workflow "{info.workflow}" stopped: {exc}')
        self._next()
