"""Run records: every script run, from the window, the command or a workflow, is kept here."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from ifcscript_desktop.core.store import (
    FINISHED_STATUSES,
    Owner,
    RunStatus,
    Script,
    ScriptExecution,
    Store,
    StoreError,
    WorkflowExecution,
    utcnow,
)

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
    ScriptExecution.outputs,
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
    with store.db.atomic():
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
    outputs: Sequence[str | os.PathLike[str]] = (),
) -> None:
    """Record how a run ended and everything it produced."""
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
    execution.outputs = [os.path.abspath(p) for p in outputs]
    execution.save(only=_FINISH_FIELDS)


SUMMARY_FIELDS = (
    ScriptExecution.id, ScriptExecution.queued_at, ScriptExecution.script_name,
    ScriptExecution.script_path, ScriptExecution.model_path, ScriptExecution.status,
    ScriptExecution.duration_s, ScriptExecution.source, ScriptExecution.error,
)


def list_executions(
    store: Store,
    limit: int | None = 20,
    script: Script | str | None = None,
    model: str | os.PathLike[str] | None = None,
    status: str | Iterable[str] | None = None,
    offset: int = 0,
    summary: bool = False,
) -> list[ScriptExecution]:
    """Runs, newest first, optionally only those of a script (name or path), model or status.

    `summary`: only the columns a list shows, not the output, code, result and tables (a run
    with a 100k-row table holds megabytes there).
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
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return list(query)


def get_execution(store: Store, execution_id: int, summary: bool = False) -> ScriptExecution:
    """The run with this id; :class:`ExecutionNotFoundError` if there is none."""
    store.activate()
    fields = SUMMARY_FIELDS if summary else ()
    execution = ScriptExecution.select(*fields).where(ScriptExecution.id == execution_id).first()
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
    }


def prune_run_outputs(store: Store, retention_days: int) -> int:
    """Delete the output folders of finished runs older than ``retention_days``.

    The run records stay in the history; only the files the runs saved go. Returns how many
    folders were removed.
    """
    store.activate()
    cutoff = utcnow() - timedelta(days=retention_days)
    removed = 0
    old = ScriptExecution.select(ScriptExecution.id, ScriptExecution.output_dir).where(
        ScriptExecution.status.in_(list(FINISHED_STATUSES)),
        ScriptExecution.finished_at < cutoff,
        ScriptExecution.output_dir.is_null(False),
    )
    for execution in old:
        folder = Path(execution.output_dir or "")
        # Only folders the store made: never follow a record somewhere else on the disk.
        if folder.parent != store.runs_dir or not folder.is_dir():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed
