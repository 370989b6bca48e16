"""Run records: every script run, from the window, the command or a workflow, is kept here.

Retention lives here too: once a day (:func:`prune_if_due`, called when the window starts and
after every `ifcscript` command's own work) the output folders of finished runs older than the
`retention_days` setting are removed, and so are the report folders the app made for workflow
runs under the data folder. The records stay and say when their files went; a run the user
kept (:func:`set_kept`) is never pruned.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ifcscript_desktop.core.settings import load_settings
from ifcscript_desktop.core.store import (
    FINISHED_STATUSES,
    Owner,
    RunStatus,
    Script,
    ScriptExecution,
    Setting,
    Store,
    StoreError,
    WorkflowExecution,
    utcnow,
)
from ifcscript_desktop.core.storeerrors import store_errors
from ifcscript_desktop.core.verdict import read_verdict

log = logging.getLogger(__name__)

SOURCES = ("cli", "gui", "workflow")
_FINISH_FIELDS = [
    ScriptExecution.status,
    ScriptExecution.finished_at,
    ScriptExecution.duration_s,
    ScriptExecution.output,
    ScriptExecution.output_truncated,
    ScriptExecution.error,
    ScriptExecution.traceback,
    ScriptExecution.result,
    ScriptExecution.tables,
    ScriptExecution.charts,
    ScriptExecution.highlights,
    ScriptExecution.colors,
    ScriptExecution.outputs,
    ScriptExecution.verdict,
    ScriptExecution.verdict_detail,
]


class ExecutionNotFoundError(StoreError, LookupError):
    """No run has the id asked for."""


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in chunks so a large model never sits in memory twice."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def create_execution(
    store: Store,
    *,
    script: Script | None,
    script_name: str,
    script_path: str | None,
    code: str,
    model_path: str | os.PathLike[str],
    parameters: dict[str, Any],
    source: str,
    workflow_execution: WorkflowExecution | None = None,
) -> ScriptExecution:
    """Record a new run as ``queued``, owned by this process, with its output folder created."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    store.activate()
    owner = Owner.current()
    with store_errors("The run could not be recorded"), store.db.atomic():
        execution = ScriptExecution.create(
            script=script,
            script_name=script_name,
            script_path=script_path,
            code=code,
            model_path=os.path.abspath(model_path),
            parameters=parameters,
            status=RunStatus.QUEUED,
            queued_at=utcnow(),
            source=source,
            workflow_execution=workflow_execution,
            owner_pid=owner.pid,
            owner_boot_id=owner.boot_id,
            owner_started=owner.started,
        )
        output_dir = store.runs_dir / str(execution.id)
        output_dir.mkdir(parents=True, exist_ok=True)
        execution.output_dir = str(output_dir)
        execution.save(only=[ScriptExecution.output_dir])
    return execution


def mark_running(
    execution: ScriptExecution, model_sha256: str | None = None, model_schema: str | None = None
) -> None:
    """The run has started: note when, and what model it ran on when that is known."""
    execution.status = RunStatus.RUNNING
    execution.started_at = utcnow()
    only = [ScriptExecution.status, ScriptExecution.started_at]
    if model_sha256 is not None:
        execution.model_sha256 = model_sha256
        only.append(ScriptExecution.model_sha256)
    if model_schema is not None:
        execution.model_schema = model_schema
        only.append(ScriptExecution.model_schema)
    with store_errors(f"Run {execution.id} could not be recorded as running"):
        execution.save(only=only)


def finish_execution(
    execution: ScriptExecution,
    *,
    status: str,
    duration_s: float | None = None,
    output: str = "",
    output_truncated: bool = False,
    error: str | None = None,
    traceback: str | None = None,
    result: Any = None,
    tables: Any = None,
    charts: Any = None,
    highlights: Any = None,
    colors: Any = None,
    outputs: Sequence[str | os.PathLike[str]] = (),
) -> None:
    """Record how a run ended and everything it produced, and the verdict its `result`
    declares (`core.verdict`: read here, so every way a run is recorded reads it the same)."""
    if status not in FINISHED_STATUSES:
        raise ValueError(
            f"a run finishes as one of {', '.join(FINISHED_STATUSES)}, not {status!r}"
        )
    execution.finished_at = utcnow()
    if duration_s is None and execution.started_at is not None:
        duration_s = (execution.finished_at - execution.started_at).total_seconds()
    execution.status = RunStatus(status)
    execution.duration_s = duration_s
    execution.output = output
    execution.output_truncated = output_truncated
    execution.error = error
    execution.traceback = traceback
    execution.result = result
    execution.tables = tables
    execution.charts = charts
    execution.highlights = highlights
    execution.colors = colors
    execution.outputs = [os.path.abspath(p) for p in outputs]
    verdict = read_verdict(result, status)
    execution.verdict = verdict.word if verdict is not None else None
    execution.verdict_detail = verdict.detail if verdict is not None else None
    with store_errors(f"How run {execution.id} ended could not be recorded"):
        execution.save(only=_FINISH_FIELDS)


SUMMARY_FIELDS = (
    ScriptExecution.id, ScriptExecution.queued_at, ScriptExecution.script_name,
    ScriptExecution.script_path, ScriptExecution.model_path, ScriptExecution.status,
    ScriptExecution.duration_s, ScriptExecution.source, ScriptExecution.error,
    ScriptExecution.finished_at, ScriptExecution.kept, ScriptExecution.outputs_removed_at,
    ScriptExecution.verdict, ScriptExecution.verdict_detail,
)
#: What `list_executions(verdict=...)` takes for runs without a verdict.
NO_VERDICT = "none"


def list_executions(
    store: Store,
    limit: int | None = 20,
    script: Script | str | None = None,
    model: str | os.PathLike[str] | None = None,
    status: str | Iterable[str] | None = None,
    offset: int = 0,
    summary: bool = False,
    verdict: str | None = None,
) -> list[ScriptExecution]:
    """Runs, newest first, optionally only those of a script (name or path), model, status or
    verdict ("PASS", "FAIL", "WARN", or `NO_VERDICT` for runs without one).

    `summary`: only the columns a list shows, not the output, code, result and tables (a run
    with a 100k-row table holds megabytes there). :class:`StoreError` when the database fails.
    """
    store.activate()
    fields = SUMMARY_FIELDS if summary else ()
    query = ScriptExecution.select(*fields).order_by(ScriptExecution.id.desc())
    if isinstance(script, Script):
        query = query.where(ScriptExecution.script == script)
    elif script is not None:
        query = query.where(
            (ScriptExecution.script_name == script) | (ScriptExecution.script_path == script)
        )
    if model is not None:
        query = query.where(ScriptExecution.model_path == os.path.abspath(model))
    if isinstance(status, str):
        query = query.where(ScriptExecution.status == status)
    elif status is not None:
        query = query.where(ScriptExecution.status.in_(list(status)))
    if verdict == NO_VERDICT:
        query = query.where(ScriptExecution.verdict.is_null())
    elif verdict is not None:
        query = query.where(ScriptExecution.verdict == verdict)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    with store_errors("The history could not be read"):
        return list(query)


def last_finished_run(store: Store, model: str | os.PathLike[str]) -> ScriptExecution | None:
    """The newest run on `model` that has ended (from the window, the command or a workflow),
    or None: what the window's results show for a model it has not run anything on yet."""
    runs = list_executions(store, limit=1, model=model, status=[str(s) for s in FINISHED_STATUSES])
    return runs[0] if runs else None


def get_execution(store: Store, execution_id: int, summary: bool = False) -> ScriptExecution:
    """The run with this id; :class:`ExecutionNotFoundError` if there is none."""
    store.activate()
    fields = SUMMARY_FIELDS if summary else ()
    with store_errors(f"Run {execution_id} could not be read from the history"):
        execution = ScriptExecution.select(*fields).where(
            ScriptExecution.id == execution_id).first()
    if execution is None:
        raise ExecutionNotFoundError(f"There is no run with id {execution_id} in the history.")
    return execution


def execution_as_dict(execution: ScriptExecution) -> dict[str, Any]:
    """A run as plain JSON-able data (the ``--json`` keys first, then the rest of the record)."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "execution_id": execution.id,
        # The command's contract: the script's name, or its path as given for a file.
        "script": execution.script_path or execution.script_name,
        "model": execution.model_path,
        "status": str(execution.status),
        "duration_s": execution.duration_s,
        "result": execution.result,
        "output": execution.output or None,
        "error": execution.error,
        "traceback": execution.traceback,
        "outputs": execution.outputs or None,
        "tables": execution.tables or None,
        "charts": execution.charts or None,
        "highlights": execution.highlights or None,
        "colors": execution.colors or None,
        "verdict": execution.verdict,
        "verdict_detail": execution.verdict_detail,
        "script_name": execution.script_name,
        "script_path": execution.script_path,
        "script_id": execution.script_id,  # type: ignore[attr-defined]
        "code": execution.code,
        "parameters": execution.parameters,
        "model_sha256": execution.model_sha256,
        "model_schema": execution.model_schema,
        "source": execution.source,
        "queued_at": iso(execution.queued_at),
        "started_at": iso(execution.started_at),
        "finished_at": iso(execution.finished_at),
        "output_truncated": bool(execution.output_truncated),
        "output_dir": execution.output_dir,
        "workflow_execution_id": execution.workflow_execution_id,  # type: ignore[attr-defined]
        "kept": bool(execution.kept),
        "outputs_removed_at": iso(execution.outputs_removed_at),
        "outputs_note": outputs_note(execution),
    }


# -- Keep and retention -----------------------------------------------------------------------

#: The `Setting` row holding when retention last ran (ISO time, UTC).
LAST_PRUNED_KEY = "retention.last_pruned_at"
#: Retention runs at most this often, whoever starts it (the window or any command).
PRUNE_INTERVAL = timedelta(days=1)
#: The folder under the data folder where the app makes workflow report folders
#: (`core.workflows.batch.new_report_dir`); a `--report DIR` the user chose is never pruned.
WORKFLOW_REPORTS = "workflow-runs"
#: How `core.workflows.batch.new_report_dir` names a report folder: `<YYYYmmdd-HHMMSS>-<slug>[-N]`.
_REPORT_NAME = re.compile(r"\d{8}-\d{6}-[A-Za-z0-9_-]+")
_CHUNK = 200


@dataclass(frozen=True)
class Pruned:
    """What one retention pass removed."""

    runs: int = 0  # run output folders
    reports: int = 0  # workflow report folders the app made

    def __bool__(self) -> bool:
        return bool(self.runs or self.reports)


def set_kept(store: Store, execution_id: int, kept: bool = True) -> ScriptExecution:
    """Keep a run (retention never removes its output files) or stop keeping it.

    Returns the run as it is now; :class:`ExecutionNotFoundError` when there is no such run.
    Keeping a run whose files retention already removed does not bring them back: its
    `outputs_removed_at` says so.
    """
    store.activate()
    with store_errors(f"Run {execution_id} could not be {'kept' if kept else 'unkept'}"):
        changed = ScriptExecution.update(kept=kept).where(
            ScriptExecution.id == execution_id).execute()
    if not changed:
        raise ExecutionNotFoundError(f"There is no run with id {execution_id} in the history.")
    return get_execution(store, execution_id, summary=True)


def outputs_removed(execution: ScriptExecution) -> bool:
    """Whether the files a run saved are gone: retention removed them, or its folder is missing.

    A workflow `--resume` runs such a step again instead of reusing it.
    """
    if execution.outputs_removed_at is not None:
        return True
    folder = execution.output_dir
    return bool(folder) and not Path(folder or "").is_dir()


def outputs_note(execution: ScriptExecution) -> str | None:
    """"Output files removed after 31 days." for a run retention pruned, else None."""
    removed = execution.outputs_removed_at
    if removed is None:
        return None
    if execution.finished_at is None:
        return f"Output files removed on {removed:%Y-%m-%d} (retention)."
    days = max(0, (removed - execution.finished_at).days)
    return f"Output files removed after {days} day{'' if days == 1 else 's'} (retention)."


def prune_if_due(store: Store, now: datetime | None = None) -> Pruned | None:
    """Apply the retention setting if it last ran a day ago or more; None when not due.

    Cheap when not due (one read). The first process to find it due claims the day in one
    write, so the window and commands started together prune once. `retention_days = 0`
    keeps everything. :class:`StoreError` when the database fails.
    """
    now = now or utcnow()
    retention_days = load_settings(store).retention_days
    if retention_days <= 0:
        return None
    with store_errors("Old run files could not be removed"):
        if not _prune_due(now):
            return None
        with store.db.atomic():  # BEGIN IMMEDIATE: one claimant at a time
            if not _prune_due(now):
                return None
            Setting.replace(key=LAST_PRUNED_KEY, value=now.isoformat()).execute()
    return prune_run_outputs(store, retention_days, now)


def last_pruned(store: Store) -> datetime | None:
    """When retention last ran on this store, or None."""
    store.activate()
    with store_errors("The history could not be read"):
        row = Setting.get_or_none(Setting.key == LAST_PRUNED_KEY)
    try:
        return datetime.fromisoformat(row.value) if row is not None else None
    except (TypeError, ValueError):
        return None


def _prune_due(now: datetime) -> bool:
    row = Setting.get_or_none(Setting.key == LAST_PRUNED_KEY)
    try:
        last = datetime.fromisoformat(row.value) if row is not None else None
    except (TypeError, ValueError):
        last = None  # written by hand: prune and write it again
    # A time ahead of now (the clock was set back) does not hold retention off for long.
    return last is None or not now - PRUNE_INTERVAL < last <= now + timedelta(hours=1)


def prune_run_outputs(store: Store, retention_days: int, now: datetime | None = None) -> Pruned:
    """Remove the output folders of finished runs older than ``retention_days``, and the report
    folders the app made for workflow runs that old.

    The records stay in the history with `outputs_removed_at` set. Kept runs, runs still going
    and folders the store did not make (a workflow's `--report DIR`) are never touched.
    """
    store.activate()
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days)
    with store_errors("Old run files could not be removed"):
        return Pruned(runs=_prune_runs(store, cutoff, now),
                      reports=_prune_reports(store, cutoff, now))


def _prune_runs(store: Store, cutoff: datetime, now: datetime) -> int:
    old = ScriptExecution.select(ScriptExecution.id, ScriptExecution.output_dir).where(
        ScriptExecution.status.in_(list(FINISHED_STATUSES)),
        ScriptExecution.finished_at < cutoff,
        ScriptExecution.kept == False,  # noqa: E712 (peewee builds SQL from ==)
        ScriptExecution.outputs_removed_at.is_null(),
        ScriptExecution.output_dir.is_null(False),
    )
    # Only the folder the store made for the run (`runs/<id>`), named exactly so: never a
    # record pointing somewhere else on the disk, or `runs/..`.
    candidates: list[tuple[int, Path]] = [
        (int(run.id), store.runs_dir / str(run.id)) for run in old
        if run.output_dir == str(store.runs_dir / str(run.id))]
    removed = 0
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start:start + _CHUNK]
        # Kept since the list was read (the window's Keep while a command prunes): spared.
        kept = {int(run.id) for run in ScriptExecution.select(ScriptExecution.id).where(
            ScriptExecution.id.in_([run_id for run_id, _ in chunk]),
            ScriptExecution.kept == True)}  # noqa: E712
        gone = []
        for run_id, folder in chunk:
            if run_id in kept:
                continue
            if _remove_folder(folder):
                removed += 1
            if not os.path.lexists(folder):
                gone.append(run_id)
        if gone:
            ScriptExecution.update(outputs_removed_at=now).where(
                ScriptExecution.id.in_(gone)).execute()
    if removed:
        log.info("Retention removed the output folders of %d old run(s)", removed)
    return removed


def _prune_reports(store: Store, cutoff: datetime, now: datetime) -> int:
    root = store.data_dir / WORKFLOW_REPORTS
    if not root.is_dir():
        return 0
    by_folder: dict[Path, list[WorkflowExecution]] = {}
    rows = WorkflowExecution.select(
        WorkflowExecution.id, WorkflowExecution.status, WorkflowExecution.finished_at,
        WorkflowExecution.report).where(WorkflowExecution.outputs_removed_at.is_null())
    for row in rows:
        report = row.report if isinstance(row.report, dict) else {}
        folder = report.get("report_dir")
        # Only a folder the app made (never a `--report DIR` the user chose, even one in
        # there), named as it names them: `workflow-runs/<time>-<workflow>`.
        if isinstance(folder, str) and report.get("report_made", True) is True \
                and Path(folder).parent == root and _REPORT_NAME.fullmatch(Path(folder).name):
            by_folder.setdefault(Path(folder), []).append(row)
    removed = 0
    for folder, sharing in by_folder.items():
        # One batch's runs share its folder: it goes when the last of them is old enough.
        if not all(row.status in FINISHED_STATUSES and row.finished_at is not None
                   and row.finished_at < cutoff for row in sharing):
            continue
        ids = [row.id for row in sharing]
        if ScriptExecution.select().where(ScriptExecution.workflow_execution.in_(ids),
                                          ScriptExecution.kept == True).exists():  # noqa: E712
            continue  # a kept step run keeps its batch's report too
        if _remove_folder(folder):
            removed += 1
        if not os.path.lexists(folder):
            WorkflowExecution.update(outputs_removed_at=now).where(
                WorkflowExecution.id.in_(ids)).execute()
    if removed:
        log.info("Retention removed %d old workflow report folder(s)", removed)
    return removed


def _remove_folder(folder: Path) -> bool:
    """Remove a folder the store made; True when it was there and is gone now."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    if folder.exists():
        log.warning("Retention could not remove all of %s; it is tried again tomorrow", folder)
        return False
    return True
