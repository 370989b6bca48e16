"""Stored workflows: save, find, list, delete, and the TOML file round trip (import/export).

Also the records of workflow runs (`WorkflowExecution`) and their step runs, for the command's
history and for resuming a failed run. A database failure is raised as a `StoreError` sentence
(`core.storeerrors`), never as a peewee error. Qt-free.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import replace
from pathlib import Path

import peewee

from ifcscript_desktop.core.store import (
    AutomationWorkflow,
    ScriptExecution,
    Store,
    StoreError,
    WorkflowExecution,
    utcnow,
)
from ifcscript_desktop.core.storeerrors import store_errors
from ifcscript_desktop.core.workflows.file import (
    StepSpec,
    WorkflowSpec,
    WorkflowFileError,
    dump_workflow,
    files_outside,
    parse_workflow,
    read_workflow_file,
    step_files,
)

CREATED, UPDATED, UNCHANGED = "Created", "Updated", "Unchanged"


class WorkflowNotFoundError(StoreError, LookupError):
    """No stored workflow (or workflow run) has the name or id asked for."""


class WorkflowNameError(StoreError, ValueError):
    """The name asked for belongs to another workflow."""


class FilesOutsideError(WorkflowFileError):
    """A workflow file lets its scripts read files outside its folder the user has not allowed.

    `paths` are those files, resolved; the command allows them with `--allow-file`, the
    window with a confirmation.
    """

    def __init__(self, file: Path, paths: list[str]) -> None:
        self.paths = paths
        flags = " ".join(f"--allow-file {shlex.quote(path)}" for path in paths)
        super().__init__(f"{file.name} lets its scripts read files outside its folder "
                         f"({file.parent}): {', '.join(paths)}. It was not imported: if you "
                         f"trust it with them, pass {flags}")


def spec_of(workflow: AutomationWorkflow) -> WorkflowSpec:
    """A stored workflow as a spec (what its file holds)."""
    steps = tuple(StepSpec(name=s["name"], script=s["script"], params=dict(s.get("params") or {}))
                  for s in workflow.steps or [])
    return WorkflowSpec(name=workflow.name, description=workflow.description or "", steps=steps,
                        enabled=bool(workflow.enabled), stop_on_error=bool(workflow.stop_on_error),
                        trigger=dict(workflow.trigger or {"kind": "manual"}))


def save_workflow(store: Store, spec: WorkflowSpec) -> tuple[AutomationWorkflow, str]:
    """Create the workflow `spec.name`, or replace its definition; return it and what happened."""
    values = {
        "description": spec.description,
        "steps": [{"name": s.name, "script": s.script, "params": s.params} for s in spec.steps],
        "trigger": spec.trigger,
        "enabled": spec.enabled,
        "stop_on_error": spec.stop_on_error,
    }
    store.activate()
    with store_errors(f"The workflow {spec.name!r} could not be saved"), store.db.atomic():
        workflow = AutomationWorkflow.get_or_none(AutomationWorkflow.name == spec.name)
        if workflow is None:
            now = utcnow()
            return AutomationWorkflow.create(name=spec.name, created_at=now, updated_at=now,
                                             **values), CREATED
        if spec_of(workflow) == spec:
            return workflow, UNCHANGED
        for key, value in values.items():
            setattr(workflow, key, value)
        workflow.updated_at = utcnow()
        workflow.save()
        return workflow, UPDATED


def get_workflow(store: Store, name: str) -> AutomationWorkflow | None:
    store.activate()
    with store_errors(f"The workflow {name.strip()!r} could not be read"):
        return AutomationWorkflow.get_or_none(AutomationWorkflow.name == name.strip())


def require_workflow(store: Store, name: str) -> AutomationWorkflow:
    workflow = get_workflow(store, name)
    if workflow is None:
        raise WorkflowNotFoundError(f"There is no workflow named {name.strip()!r}. "
                                    "`ifcscript workflow list` shows them.")
    return workflow


def list_workflows(store: Store) -> list[AutomationWorkflow]:
    """Every stored workflow, by name (ignoring case)."""
    store.activate()
    with store_errors("The workflows could not be read"):
        return list(AutomationWorkflow.select().order_by(peewee.fn.lower(AutomationWorkflow.name)))


def delete_workflow(store: Store, name: str) -> None:
    """Delete a workflow; its runs stay in the history under its name."""
    workflow = require_workflow(store, name)
    with store_errors(f"The workflow {workflow.name!r} could not be deleted"):
        workflow.delete_instance()


def set_enabled(store: Store, name: str, enabled: bool) -> AutomationWorkflow:
    workflow = require_workflow(store, name)
    workflow.enabled = enabled
    workflow.updated_at = utcnow()
    with store_errors(f"The workflow {workflow.name!r} could not be "
                      f"{'enabled' if enabled else 'disabled'}"):
        workflow.save(only=[AutomationWorkflow.enabled, AutomationWorkflow.updated_at])
    return workflow


def check_spec(store: Store, spec: WorkflowSpec) -> WorkflowSpec:
    """`spec` validated exactly as its file would be (scripts exist, parameters fit).

    Raises WorkflowFileError with the reason only: the user edited a form, not a file.
    """
    try:
        text = dump_workflow(spec)
    except TypeError as exc:
        raise WorkflowFileError(str(exc)) from None
    try:
        checked = parse_workflow(text, store)
    except WorkflowFileError as exc:
        raise WorkflowFileError(exc.detail[:1].upper() + exc.detail[1:]) from None
    return replace(checked, trigger=dict(spec.trigger))


def save_edited_workflow(store: Store, spec: WorkflowSpec,
                         original: str | None) -> tuple[AutomationWorkflow, str]:
    """Check and store a workflow edited in a form; `original` is its name before the edit.

    A new name renames the stored workflow (its runs keep the name they ran under); a name
    another workflow holds is refused with WorkflowNameError.
    """
    spec = check_spec(store, spec)
    store.activate()
    with store_errors(f"The workflow {spec.name!r} could not be saved"), store.db.atomic():
        holder = get_workflow(store, spec.name)
        if holder is not None and holder.name != (original or "").strip():
            raise WorkflowNameError(f"A workflow named {spec.name!r} exists already: "
                                    "choose another name.")
        old = get_workflow(store, original) if original else None
        if old is not None and old.name != spec.name:
            old.name = spec.name
            old.save(only=[AutomationWorkflow.name])
        return save_workflow(store, spec)


def unique_workflow_name(store: Store, base: str = "New workflow") -> str:
    """`base`, or `base 2`, `base 3`... whichever no stored workflow has."""
    name, number = base, 1
    while get_workflow(store, name) is not None:
        number += 1
        name = f"{base} {number}"
    return name


def trigger_folder(trigger: dict[str, object] | None) -> str | None:
    """The watched folder of a trigger as an absolute path (relative to its file), or None."""
    folder = (trigger or {}).get("folder")
    if not isinstance(folder, str) or not folder.strip():
        return None
    base = (trigger or {}).get("base_dir")
    return os.path.abspath(os.path.join(base if isinstance(base, str) else os.getcwd(),
                                        os.path.expanduser(folder)))


def enabled_with_trigger(store: Store, kind: str) -> list[AutomationWorkflow]:
    """The enabled workflows whose trigger is `kind` (manual, on_open or watch), by name."""
    return [workflow for workflow in list_workflows(store)
            if workflow.enabled and (workflow.trigger or {}).get("kind", "manual") == kind]


def import_workflow_file(store: Store, path: str | os.PathLike[str],
                         allowed_files: list[str] | tuple[str, ...] = ()) -> tuple[AutomationWorkflow, str]:
    """Validate the TOML file (WorkflowFileError naming the line) and store it; nothing on error.

    A file its steps would read outside the TOML's own folder must be among `allowed_files`
    (what the user confirmed), else FilesOutsideError names every such file.
    """
    spec = read_workflow_file(store, path)
    file = Path(path).resolve()
    allowed = {os.path.realpath(os.path.expanduser(p)) for p in allowed_files}
    unconfirmed = [p for p in files_outside(step_files(store, spec), file.parent) if p not in allowed]
    if unconfirmed:
        raise FilesOutsideError(file, unconfirmed)
    return save_workflow(store, spec)


def export_workflow_file(store: Store, name: str, path: str | os.PathLike[str]) -> Path:
    """Write the stored workflow `name` as a TOML file."""
    text = dump_workflow(spec_of(require_workflow(store, name)))
    target = Path(path)
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"The workflow {name.strip()!r} could not be written to {target}: "
                         f"{exc.strerror or exc}.") from exc
    return target


# -- workflow runs -------------------------------------------------------------------------------


def get_workflow_execution(store: Store, execution_id: int) -> WorkflowExecution:
    store.activate()
    with store_errors(f"The workflow run #{execution_id} could not be read"):
        execution = WorkflowExecution.get_or_none(WorkflowExecution.id == execution_id)
    if execution is None:
        raise WorkflowNotFoundError(f"There is no workflow run with id {execution_id}.")
    return execution


def list_workflow_executions(store: Store, workflow: str | None = None,
                             limit: int | None = 20) -> list[WorkflowExecution]:
    """Workflow runs, newest first, optionally only those of the workflow named `workflow`."""
    store.activate()
    query = WorkflowExecution.select().order_by(WorkflowExecution.id.desc())
    if workflow is not None:
        query = query.where(WorkflowExecution.workflow_name == workflow)
    if limit is not None:
        query = query.limit(limit)
    with store_errors("The workflow runs could not be read"):
        return list(query)


def step_runs(execution: WorkflowExecution) -> list[ScriptExecution]:
    """The script runs of one workflow run, in the order they ran."""
    with store_errors(f"The steps of workflow run #{execution.id} could not be read"):
        return list(ScriptExecution.select()
                    .where(ScriptExecution.workflow_execution == execution)
                    .order_by(ScriptExecution.id))


def execution_of_step(store: Store, run_id: int) -> WorkflowExecution:
    """The workflow run a step's script run belongs to."""
    store.activate()
    with store_errors(f"The workflow run of run #{run_id} could not be read"):
        run = ScriptExecution.get_or_none(ScriptExecution.id == run_id)
        execution = run.workflow_execution if run is not None else None
    if execution is None:
        raise WorkflowNotFoundError(f"Run #{run_id} is not a step of a workflow run.")
    return execution
