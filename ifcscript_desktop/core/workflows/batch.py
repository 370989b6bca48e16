"""Running a workflow over models: one worker per model, several models in parallel.

Per model the steps run in order in that model's worker (the model is parsed once). A step sees
the earlier steps as `previous[step_name] = {"result", "outputs", "status"}` and may read their
output files. A step that fails skips that model's later steps when the workflow has
`stop_on_error`; a model that cannot be opened is recorded `error` and the other models go on.
Every step is a normal `ScriptExecution` linked to the model's `WorkflowExecution`.

A failed workflow run can be resumed: the steps that succeeded before the first failed one are
not run again, their results and outputs are reused as `previous`.

When several models run at once, their workers read property rows in one process each
(`IFCSCRIPT_PROPERTY_PROCESSES=1`): the other workers already keep the cores busy. A batch that
waits for models (the folder watch) can keep a worker started ahead (`prestart()`), so a model
that arrives does not wait for an interpreter to start and import. Qt-free.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from ifcscript_desktop.core import runs
from ifcscript_desktop.core.client import Request, WorkerClient
from ifcscript_desktop.core.transport import SubprocessTransport
from ifcscript_desktop.core.execute import Limits, ScriptSource, UsageError, model_key, resolve_script
from ifcscript_desktop.core.outputfiles import readable_outputs
from ifcscript_desktop.core.params import ParamError, coerce_params, suggested_files
from ifcscript_desktop.core.scriptfile import ScriptFileError
from ifcscript_desktop.core.store import (AutomationWorkflow, RunStatus, ScriptExecution, Store,
                                          WorkflowExecution, utcnow)
from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.core.session import RunSession
from ifcscript_desktop.core.workflows.report import report_row
from ifcscript_desktop.core.workflows import spec_of

SKIPPED = "skipped"
#: Caps the processes a worker reads property sets with (worker/propertyread.py).
PROPERTY_PROCESSES_ENV = "IFCSCRIPT_PROPERTY_PROCESSES"
#: How often a waiting thread looks whether the batch was cancelled.
_CANCEL_POLL_S = 0.2


@dataclass(frozen=True)
class StepPlan:
    """A step ready to run: its script and typed parameters."""

    name: str
    source: ScriptSource
    params: dict[str, Any]


@dataclass
class ModelOutcome:
    """What a workflow did on one model."""

    model: str
    execution: WorkflowExecution
    rows: list[dict[str, Any]] = field(default_factory=list)
    opened: bool = True

    @property
    def status(self) -> str:
        return str(self.execution.status)


StepCallback = Callable[[str, dict[str, Any]], None]


def plan_steps(store: Store, workflow: AutomationWorkflow) -> list[StepPlan]:
    """Resolve every step's script and parameters now; UsageError if one cannot run."""
    plan = []
    for step in spec_of(workflow).steps:
        try:
            source = resolve_script(store, step.script)
            params = coerce_params(source.meta, step.params)
            suggested = suggested_files(source.meta, step.params)
            if suggested:
                # A script's own default is never granted; the step must name the file.
                name, paths = next(iter(suggested.items()))
                raise UsageError(f"{name} suggests {', '.join(paths)}; give it in the step's "
                                 "params to allow it")
        except (UsageError, ParamError, ScriptFileError) as exc:
            raise UsageError(f'Workflow "{workflow.name}", step "{step.name}": {exc}') from None
        plan.append(StepPlan(step.name, source, params))
    if not plan:
        raise UsageError(f'The workflow "{workflow.name}" has no steps.')
    return plan


def new_report_dir(store: Store, workflow_name: str) -> Path:
    """A fresh folder for a batch's combined report, under the data folder."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", workflow_name).strip("-")[:40] or "workflow"
    base = store.data_dir / runs.WORKFLOW_REPORTS / f"{datetime.now():%Y%m%d-%H%M%S}-{slug}"
    folder, number = base, 1
    while True:
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            number += 1
            folder = base.with_name(f"{base.name}-{number}")


class WorkflowBatch:
    """One batch: the workflow, its plan, the limits; `cancel()` may be called from any thread."""

    def __init__(self, store: Store, workflow: AutomationWorkflow, limits: Limits,
                 trigger: str = "manual", report_dir: str | None = None,
                 on_step: StepCallback | None = None,
                 lent: dict[str, WorkerClient] | None = None) -> None:
        self.store = store
        self.workflow = workflow
        self.plan = plan_steps(store, workflow)
        self.limits = limits
        self.trigger = trigger
        self.report_dir = report_dir
        self.report_made = False  # the app made `report_dir` (retention may remove it)
        self.on_step = on_step
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._side_by_side = False  # several workers at once: no fan-out inside each
        self._ready: WorkerClient | None = None  # started ahead, no model yet
        self._prestart = False
        # Workers that already hold a model (the window's open models), used instead of a new
        # worker that would parse it again; they are the lender's to close.
        self._lent = {model_key(path): client for path, client in (lent or {}).items()}

    def cancel(self) -> None:
        self._cancelled.set()

    def choose_report_dir(self, chosen: str | None = None) -> Path:
        """The folder of the batch's combined report: `chosen` (the user's `--report DIR`, never
        removed by retention) or a fresh one the app makes under the data folder."""
        if chosen:
            folder, self.report_made = Path(chosen).absolute(), False
        else:
            folder, self.report_made = new_report_dir(self.store, self.workflow.name), True
        self.report_dir = str(folder)
        return folder

    # -- workers ---------------------------------------------------------------------------------
    def prestart(self) -> None:
        """Keep a worker started ahead from now on: a model takes it, and another starts when
        that model is done."""
        self._prestart = True
        self._start_ready()

    def close(self) -> None:
        """Stop the worker started ahead, if any."""
        self._prestart = False
        with self._lock:
            ready, self._ready = self._ready, None
        if ready is not None:
            ready.close()

    def _start_ready(self) -> None:
        with self._lock:
            wanted = self._ready is None and self._prestart
        if not wanted:
            return
        client = WorkerClient()
        client.send("ping", {})  # starts the process: it imports while nothing waits for it
        with self._lock:
            kept = self._ready is None and self._prestart
            if kept:
                self._ready = client
        if not kept:  # closed meanwhile, or another thread was quicker
            client.close()

    def _borrowed(self, model: str) -> WorkerClient | None:
        """A lent worker that still holds `model` (and is running), if there is one."""
        client = self._lent.get(model)
        if client is None or client.model_path is None or client.worker_pid is None \
                or model_key(client.model_path) != model:
            return None
        return client

    def _is_lent(self, client: WorkerClient) -> bool:
        return any(client is lent for lent in self._lent.values())

    def _client(self) -> WorkerClient:
        """A worker for one model: the one started ahead when there is one (and alone)."""
        with self._lock:
            ready = None if self._side_by_side else self._ready
            if ready is not None:
                self._ready = None
                return ready
        if not self._side_by_side:
            return WorkerClient()
        env = {**os.environ, PROPERTY_PROCESSES_ENV: "1"}
        return WorkerClient(lambda: SubprocessTransport(env=env))

    # -- many models -----------------------------------------------------------------------------
    def run(self, models: list[str], jobs: int | None = None,
            resume: dict[str, WorkflowExecution] | None = None) -> list[ModelOutcome]:
        """Run on every model, `jobs` at a time; outcomes in the order of `models`.

        `resume` maps a model to the failed workflow run to resume on it. Ctrl+C cancels the
        runs in flight (recorded `cancelled`) and is raised again once they are recorded.
        """
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(models) or 1))
        self._side_by_side = jobs > 1
        resume = resume or {}
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="workflow")
        futures = [pool.submit(self._run_in_thread, model, resume.get(model)) for model in models]
        try:
            pending = set(futures)
            while pending:
                _, pending = concurrent.futures.wait(pending, timeout=0.5)
        except KeyboardInterrupt:
            self.cancel()
            concurrent.futures.wait(futures)
            raise
        finally:
            pool.shutdown(wait=True)
        return [future.result() for future in futures]

    def _run_in_thread(self, model: str, resume_from: WorkflowExecution | None) -> ModelOutcome:
        try:
            return self.run_model(model, resume_from)
        finally:
            if threading.current_thread() is not threading.main_thread():
                self.store.close()  # this thread's connection

    # -- one model -------------------------------------------------------------------------------
    def run_model(self, model: str, resume_from: WorkflowExecution | None = None) -> ModelOutcome:
        """Run every step on one model in its own worker (or the lent one holding it); blocking."""
        model = model_key(model)
        self.store.activate()
        reused = _reusable_steps(resume_from, [step.name for step in self.plan])
        with self.store.db.atomic():
            execution = WorkflowExecution.create(
                workflow=self.workflow, workflow_name=self.workflow.name, model_path=model,
                trigger=self.trigger, status=RunStatus.RUNNING, started_at=utcnow(),
                report={"steps": [], "resumed_from": resume_from.id if resume_from else None,
                        "report_dir": self.report_dir, "report_made": self.report_made})
        outcome = ModelOutcome(model, execution)
        borrowed = self._borrowed(model)
        client = borrowed or self._client()
        previous: dict[str, Any] = {}
        grants: list[str] = []
        failed: str | None = None  # why the later steps are skipped
        try:
            for step in self.plan:
                old = reused.get(step.name)
                if old is not None:
                    self._reuse(outcome, step, old, previous, grants)
                    continue
                if self._cancelled.is_set():
                    self._skip(outcome, step, RunStatus.CANCELLED, "The batch was cancelled.")
                    continue
                if failed and (self.workflow.stop_on_error or not outcome.opened):
                    self._skip(outcome, step, SKIPPED, failed)
                    continue
                if borrowed is not None and self._borrowed(model) is None:
                    # The window closed the model (or lost its worker): go on in a worker of
                    # our own; a lent worker is never restarted from this thread.
                    borrowed, client = None, self._client()
                reply = self._run_step(client, outcome, step, previous, grants)
                if reply.status != RunStatus.SUCCESS and failed is None:
                    failed = ('Not run: the model could not be opened.' if not outcome.opened
                              else f'Not run: step "{step.name}" ended {reply.status}.')
        finally:
            if borrowed is None:
                client.close()
            self._finish(outcome)
            # The next worker starts once this model is done, not while it parses.
            self._start_ready()
        return outcome

    def _run_step(self, client: WorkerClient, outcome: ModelOutcome, step: StepPlan,
                  previous: dict[str, Any], grants: list[str]) -> RunReply:
        model = outcome.model
        session = RunSession(self.store, step.source, step.params, self.limits, model, "workflow",
                             workflow_execution=outcome.execution)
        lent = self._is_lent(client)
        if lent and not (client.model_path and model_key(client.model_path) == model):
            reply = session.fail("The model was closed in the window during the workflow.")
        else:
            reply = session.run(client, wait=lambda request: self._wait(client, request),
                                previous=previous, extra_grants=grants,
                                model_sha256=self._sha256(outcome), start_worker=not lent)
        outcome.opened = outcome.opened and session.model_opened
        if session.model_opened and session.request is not None:
            outputs = readable_outputs(list(reply.outputs), reply.output_dir)
            result, _ = reply.result_value()
            previous[step.name] = {"result": result, "outputs": outputs, "status": reply.status}
            grants.extend(outputs)
        row = report_row(model, step.name, reply.status, reply.duration_s, reply.error,
                         reply.execution_id, reply.result)
        self._add(outcome, row, reused=False)
        return reply

    def _wait(self, client: WorkerClient, request: Request) -> bool:
        """Wait for `request`; on cancel stop it (the worker is killed if it must be)."""
        while not request.wait(_CANCEL_POLL_S):
            if self._cancelled.is_set():
                if request.op == "run":
                    client.cancel(request)
                    if request.wait(10):
                        return True
                if self._is_lent(client):
                    return False  # never kill a worker the window lent: it holds an open model
                client.kill()
                request.wait(10)
                return False
        return True

    def _sha256(self, outcome: ModelOutcome) -> str | None:
        report = outcome.execution.report
        if "model_sha256" not in report:
            try:
                report["model_sha256"] = runs.sha256_of(outcome.model)
            except OSError:
                report["model_sha256"] = None
        return report["model_sha256"]

    # -- recording -------------------------------------------------------------------------------
    def _reuse(self, outcome: ModelOutcome, step: StepPlan, old: ScriptExecution,
               previous: dict[str, Any], grants: list[str]) -> None:
        outputs = readable_outputs(old.outputs, old.output_dir)
        previous[step.name] = {"result": RunReply.from_execution(old).result_value()[0],
                               "outputs": outputs, "status": str(old.status)}
        grants.extend(outputs)
        row = report_row(outcome.model, step.name, str(old.status), old.duration_s, old.error,
                         old.id, old.result)
        self._add(outcome, row, reused=True)

    def _skip(self, outcome: ModelOutcome, step: StepPlan, status: str, why: str) -> None:
        self._add(outcome, report_row(outcome.model, step.name, status, error=why), reused=False)

    def _add(self, outcome: ModelOutcome, row: dict[str, Any], reused: bool) -> None:
        outcome.rows.append(row)
        outcome.execution.report["steps"].append(
            {"step": row["step"], "execution_id": row["execution_id"], "status": row["status"],
             "error": row["error"], "reused": reused})
        outcome.execution.save(only=[WorkflowExecution.report])
        if self.on_step:
            with self._lock:
                self.on_step(outcome.model, row)

    def _finish(self, outcome: ModelOutcome) -> None:
        statuses = [row["status"] for row in outcome.rows]
        execution = outcome.execution
        if len(statuses) == len(self.plan) and all(s == RunStatus.SUCCESS for s in statuses):
            execution.status = RunStatus.SUCCESS
        elif RunStatus.CANCELLED in statuses or self._cancelled.is_set():
            execution.status = RunStatus.CANCELLED
        else:
            execution.status = RunStatus.ERROR
        errors = [f'{row["step"]}: {row["error"]}' for row in outcome.rows
                  if row["status"] not in (RunStatus.SUCCESS, SKIPPED) and row["error"]]
        execution.report["error"] = errors[0] if errors else None
        execution.finished_at = utcnow()
        execution.save(only=[WorkflowExecution.status, WorkflowExecution.finished_at,
                             WorkflowExecution.report])


def _reusable_steps(resume_from: WorkflowExecution | None,
                    names: list[str]) -> dict[str, ScriptExecution]:
    """The successful step runs of `resume_from` before its first failed step (or first step
    whose files retention removed: later steps may read them), by step name."""
    if resume_from is None:
        return {}
    done: dict[str, ScriptExecution] = {}
    for name, run in _recorded_steps(resume_from, names):
        if run is None or run.status != RunStatus.SUCCESS or runs.outputs_removed(run):
            break
        done[name] = run
    return done


def _recorded_steps(resume_from: WorkflowExecution,
                    names: list[str]) -> list[tuple[str, ScriptExecution | None]]:
    """Each step name with the run `resume_from` recorded for it (None when there is none)."""
    recorded = {entry["step"]: entry for entry in (resume_from.report or {}).get("steps", [])}
    found = []
    for name in names:
        entry = recorded.get(name)
        # A step the resumed run reused itself points at an older run: that run is taken.
        found.append((name, ScriptExecution.get_or_none(ScriptExecution.id == entry["execution_id"])
                      if entry and entry.get("execution_id") else None))
    return found


def resume_notes(resume_from: WorkflowExecution, names: list[str]) -> list[str]:
    """Sentences for the successful steps a resume runs again because their files are gone."""
    notes = []
    for name, run in _recorded_steps(resume_from, names):
        if run is None or run.status != RunStatus.SUCCESS:
            break
        if runs.outputs_removed(run):
            why = runs.outputs_note(run) or "Its output files are gone."
            notes.append(f'Step "{name}" of workflow run #{resume_from.id} runs again: {why}')
            break
    return notes


def resume_target(store: Store, workflow: AutomationWorkflow, execution_id: int) -> WorkflowExecution:
    """The failed workflow run to resume; UsageError when it cannot be resumed."""
    store.activate()
    execution = WorkflowExecution.get_or_none(WorkflowExecution.id == execution_id)
    if execution is None:
        raise UsageError(f"There is no workflow run #{execution_id}.")
    if execution.workflow_name != workflow.name:
        raise UsageError(f'Workflow run #{execution_id} is a run of "{execution.workflow_name}", '
                         f'not of "{workflow.name}".')
    if execution.status == RunStatus.SUCCESS:
        raise UsageError(f"Workflow run #{execution_id} succeeded: there is nothing to resume.")
    if execution.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        raise UsageError(f"Workflow run #{execution_id} is still {execution.status}.")
    return execution

