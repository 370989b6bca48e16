"""`ifcscript workflow list|import|export|run|watch|history|enable|disable` (see README)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from ifcscript_desktop.commands import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE,
                                        add_limit_options, error, limit_problem, limits_for,
                                        print_json, store_for)
from ifcscript_desktop.core.workflows.batch import (ModelOutcome, WorkflowBatch,
                                                   resume_notes, resume_target)
from ifcscript_desktop.core.execute import UsageError, model_key
from ifcscript_desktop.core.runs import prune_if_due
from ifcscript_desktop.core.store import AutomationWorkflow, Store, StoreError, WorkflowExecution
from ifcscript_desktop.core.workflows.folderwatch import FolderWatcher, WatchFolderGone, watch
from ifcscript_desktop.core.workflows.file import WorkflowFileError
from ifcscript_desktop.core.workflows.report import write_report
from ifcscript_desktop.core import workflows


def add_parser(commands: Any, data_dir_option: Any) -> None:
    """The `workflow` subcommand's options (called by cli.build_parser)."""
    parser = commands.add_parser("workflow", help="automation workflows: chained scripts",
                                 description="Workflows chain stored scripts; see the README.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="list the stored workflows")
    listing.add_argument("--json", action="store_true")
    data_dir_option(listing)

    imported = actions.add_parser(
        "import", help="store a workflow from a TOML file",
        description="Store a workflow from a TOML file. Its steps may only name files inside "
                    "the TOML's folder; allow each file outside it with --allow-file.")
    imported.add_argument("file", metavar="FILE.toml")
    imported.add_argument("--allow-file", action="append", default=[], metavar="PATH",
                          dest="allow_file",
                          help="let the workflow's scripts read PATH, a file its steps name "
                               "outside the TOML's folder (repeatable)")
    data_dir_option(imported)

    exported = actions.add_parser("export", help="write a stored workflow as a TOML file")
    exported.add_argument("name", metavar="NAME")
    exported.add_argument("file", metavar="FILE.toml")
    data_dir_option(exported)

    run = actions.add_parser("run", help="run a workflow on models (each in its own worker)")
    run.add_argument("name", metavar="NAME")
    run.add_argument("models", nargs="*", metavar="MODEL",
                     help=".ifc/.ifczip files (none with --resume: the resumed run's model)")
    _run_options(run)
    run.add_argument("--resume", type=int, action="append", default=[], metavar="ID",
                     help="resume the failed workflow run ID from its failed step (repeatable)")
    data_dir_option(run)

    watching = actions.add_parser("watch", help="run a workflow on every model that arrives in a folder")
    watching.add_argument("name", metavar="NAME")
    watching.add_argument("folder", nargs="?", metavar="DIR",
                          help="the folder to watch (default: the workflow's trigger folder)")
    _run_options(watching)
    watching.add_argument("--interval", type=float, default=0.5, metavar="S",
                          help="seconds between looks at the folder (default 0.5)")
    watching.add_argument("--existing", action="store_true",
                          help="also run the complete models already in the folder")
    watching.add_argument("--once", action="store_true",
                          help="run the complete models in the folder now, then stop")
    watching.add_argument("--max-runs", type=int, metavar="N", help="stop after N models")
    watching.add_argument("--stop-after", type=float, metavar="S", dest="stop_after",
                          help="stop after S seconds")
    data_dir_option(watching)

    history = actions.add_parser("history", help="list workflow runs with their step runs")
    history.add_argument("name", nargs="?", metavar="NAME")
    history.add_argument("--limit", type=int, default=20, metavar="N")
    history.add_argument("--json", action="store_true")
    data_dir_option(history)

    for action in ("enable", "disable"):
        toggle = actions.add_parser(action, help=f"{action} a workflow's trigger")
        toggle.add_argument("name", metavar="NAME")
        data_dir_option(toggle)


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=int, metavar="N",
                        help="models run in parallel (default: the number of cores)")
    parser.add_argument("--report", metavar="DIR",
                        help="where report.csv and report.json go (default: the run's output folder)")
    add_limit_options(parser, "step")
    parser.add_argument("--json", action="store_true",
                        help="print the report rows as JSON lines (other messages go to stderr)")


def main(args: argparse.Namespace) -> int:
    problem = limit_problem(args, ("jobs", "interval", "max_runs", "stop_after", "limit"))
    if problem:
        error(problem)
        return EXIT_USAGE
    try:
        store = store_for(args)
    except StoreError as exc:
        error(str(exc))
        return EXIT_USAGE
    try:
        handler = {"list": _list, "import": _import, "export": _export, "run": _run,
                   "watch": _watch, "history": _history, "enable": _toggle,
                   "disable": _toggle}[args.action]
        return handler(store, args)
    except (UsageError, WorkflowFileError, StoreError, OSError) as exc:
        error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        error("interrupted; the runs in flight were recorded as cancelled.")
        return EXIT_INTERRUPTED
    finally:
        store.close()


def _list(store: Store, args: argparse.Namespace) -> int:
    found = workflows.list_workflows(store)
    for workflow in found:
        trigger = (workflow.trigger or {}).get("kind", "manual")
        steps = [step["name"] for step in workflow.steps or []]
        if args.json:
            print_json({"name": workflow.name, "description": workflow.description,
                        "enabled": workflow.enabled, "stop_on_error": workflow.stop_on_error,
                        "trigger": workflow.trigger, "steps": workflow.steps})
        else:
            state = "enabled" if workflow.enabled else "disabled"
            print(f"{workflow.name:<32} {trigger:<8} {state:<9} {' > '.join(steps)}")
    if not found and not args.json:
        print("No workflows yet. Write one as TOML and `ifcscript workflow import FILE.toml`.")
    return EXIT_OK


def _import(store: Store, args: argparse.Namespace) -> int:
    workflow, what = workflows.import_workflow_file(store, args.file, args.allow_file)
    print(f"{what} workflow {workflow.name!r} ({len(workflow.steps)} steps).")
    return EXIT_OK


def _export(store: Store, args: argparse.Namespace) -> int:
    workflows.export_workflow_file(store, args.name, args.file)
    print(f"Exported {args.name!r} to {args.file}.")
    return EXIT_OK


def _toggle(store: Store, args: argparse.Namespace) -> int:
    workflow = workflows.set_enabled(store, args.name, args.action == "enable")
    print(f"{workflow.name!r} is {'enabled' if workflow.enabled else 'disabled'}.")
    return EXIT_OK


# -- run -----------------------------------------------------------------------------------------


def _batch(store: Store, args: argparse.Namespace, workflow: AutomationWorkflow,
           trigger: str) -> WorkflowBatch:
    limits = limits_for(store, args)
    return WorkflowBatch(store, workflow, limits, trigger=trigger,
                         on_step=None if args.json else _print_step)


def _run(store: Store, args: argparse.Namespace) -> int:
    workflow = workflows.require_workflow(store, args.name)
    resume: dict[str, WorkflowExecution] = {}
    for execution_id in args.resume:
        target = resume_target(store, workflow, execution_id)
        if target.model_path in resume:
            raise UsageError(f"Two runs to resume on the same model {target.model_path}.")
        resume[target.model_path] = target
    models = [model_key(model) for model in args.models]
    models += [model for model in resume if model not in models]
    if not models:
        raise UsageError("Give at least one MODEL (or --resume ID).")
    batch = _batch(store, args, workflow, trigger="manual")
    for target in resume.values():
        for note in resume_notes(target, [step.name for step in batch.plan]):
            print(note, file=sys.stderr, flush=True)
    outcomes = _run_batch(store, batch, args, models, resume)
    if outcomes and not any(outcome.opened for outcome in outcomes):
        return EXIT_USAGE  # no given model could be opened
    return EXIT_OK if all(o.status == "success" for o in outcomes) else EXIT_FAILED


def _run_batch(store: Store, batch: WorkflowBatch, args: argparse.Namespace, models: list[str],
               resume: dict[str, WorkflowExecution] | None = None) -> list[ModelOutcome]:
    folder = batch.choose_report_dir(args.report)
    print(f"Workflow {batch.workflow.name!r} on {len(models)} model(s); output folder: {folder}",
          file=sys.stderr if args.json else sys.stdout, flush=True)
    outcomes = batch.run(models, jobs=args.jobs, resume=resume)
    rows = [row for outcome in outcomes for row in outcome.rows]
    csv_path, _ = write_report(rows, folder)
    for outcome in outcomes:
        if not outcome.opened:
            error(str(outcome.rows[0]["error"]))
        if args.json:
            for row in outcome.rows:
                print_json({**row, "workflow_execution_id": outcome.execution.id})
        else:
            print(f"== {outcome.model}: {outcome.status} (workflow run #{outcome.execution.id})")
    print(f"Report: {csv_path}", file=sys.stderr if args.json else sys.stdout, flush=True)
    return outcomes


def _print_step(model: str, row: dict[str, Any]) -> None:
    duration = f" {row['duration_s']:.2f} s" if row["duration_s"] is not None else ""
    why = f": {row['error']}" if row["error"] else ""
    print(f"   {Path(model).name} / {row['step']}: {row['status']}{duration}{why}", flush=True)


# -- watch ---------------------------------------------------------------------------------------


def _watch(store: Store, args: argparse.Namespace) -> int:
    workflow = workflows.require_workflow(store, args.name)
    if not workflow.enabled:
        raise UsageError(f"The workflow {workflow.name!r} is disabled: "
                         f"`ifcscript workflow enable {workflow.name!r}` first.")
    folder = args.folder or _trigger_folder(workflow)
    if folder is None:
        raise UsageError(f"Give the folder to watch: the workflow {workflow.name!r} names none.")
    try:
        watcher = FolderWatcher(folder, include_existing=args.existing or args.once)
    except WatchFolderGone as exc:
        raise UsageError(str(exc)) from None
    batch = _batch(store, args, workflow, trigger="watch")
    statuses: list[str] = []
    say = sys.stderr if args.json else sys.stdout
    # SIGTERM stops the watch like Ctrl+C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    def run(paths: list[Path]) -> None:
        stamp = time.strftime("%H:%M:%S")
        for path in paths:
            print(f"[{stamp}] {path.name} is complete: running {workflow.name!r}", file=say, flush=True)
        outcomes = _run_batch(store, batch, args, [str(path) for path in paths])
        statuses.extend(outcome.status for outcome in outcomes)
        try:  # a watch runs for days: retention once a day, after the models that arrived
            prune_if_due(store)
        except StoreError as exc:
            error(str(exc))

    print(f"Watching {watcher.folder} for .ifc/.ifczip files (Ctrl+C stops).", file=say, flush=True)
    if not args.once:
        batch.prestart()  # a model that arrives finds a worker started and imported
    try:
        if args.once:
            watcher.poll()  # the first look; a second right after finds the unchanged files
            ready = watcher.poll()
            if args.max_runs:
                ready = ready[:args.max_runs]
            if ready:
                run(ready)
        else:
            watch(watcher, run, interval_s=args.interval, max_runs=args.max_runs,
                  timeout_s=args.stop_after)
    except WatchFolderGone as exc:
        error(f"{exc} The watch stopped.")
        return EXIT_FAILED
    finally:
        batch.close()
    print(f"Watch stopped after {len(statuses)} model(s).", file=say, flush=True)
    return EXIT_OK if all(status == "success" for status in statuses) else EXIT_FAILED


def _trigger_folder(workflow: AutomationWorkflow) -> str | None:
    trigger = workflow.trigger or {}
    if not trigger.get("folder"):
        return None
    return os.path.join(trigger.get("base_dir") or os.getcwd(), os.path.expanduser(trigger["folder"]))


# -- history -------------------------------------------------------------------------------------


def _history(store: Store, args: argparse.Namespace) -> int:
    for execution in workflows.list_workflow_executions(store, args.name, args.limit):
        steps = workflows.step_runs(execution)
        report = execution.report or {}
        if args.json:
            print_json({"workflow_execution_id": execution.id, "workflow": execution.workflow_name,
                        "model": execution.model_path, "trigger": execution.trigger,
                        "status": execution.status, "started_at": execution.started_at,
                        "finished_at": execution.finished_at,
                        "resumed_from": report.get("resumed_from"), "steps": report.get("steps", []),
                        "step_runs": [run.id for run in steps]})
            continue
        when = execution.started_at.strftime("%Y-%m-%d %H:%M:%S") if execution.started_at else ""
        print(f"#{execution.id:<5} {when}  {execution.status:<11} {execution.workflow_name}  on  "
              f"{execution.model_path}")
        for entry in report.get("steps", []):
            ran = f"run #{entry['execution_id']}" if entry.get("execution_id") else "not run"
            reused = ", reused" if entry.get("reused") else ""
            print(f"        {entry['step']}: {entry['status']} ({ran}{reused})")
    return EXIT_OK
