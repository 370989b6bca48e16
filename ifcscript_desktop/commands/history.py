"""`ifcscript history [--limit N] [--verdict V] [--json]`, `history show ID [--json]` and
`history keep|unkeep ID`.

A kept run's output files are never removed by retention (the `retention_days` setting). The
list shows each run's verdict (PASS/FAIL/WARN its check declared, `core.verdict`) in its own
column beside the status, with the counts behind it at the end of the line.
"""

from __future__ import annotations

import argparse
import json
import sys

from ifcscript_desktop.commands import EXIT_OK, EXIT_USAGE, error, store_for
from ifcscript_desktop.core import colors
from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.core.jsonline import write_json_line
from ifcscript_desktop.core.runs import (NO_VERDICT, ExecutionNotFoundError, execution_as_dict,
                                         get_execution, list_executions, set_kept)
from ifcscript_desktop.core.settings import load_settings
from ifcscript_desktop.core.store import ScriptExecution, Store
from ifcscript_desktop.core.verdict import stored_verdict


def main(args: argparse.Namespace) -> int:
    store = store_for(args)
    try:
        if args.action == "show":
            return _show(store, args)
        if args.action in ("keep", "unkeep"):
            return _keep(store, args)
        if args.id is not None:
            error("write `ifcscript history show ID` to see one run.")
            return EXIT_USAGE
        if args.limit <= 0:
            error("--limit must be a positive number.")
            return EXIT_USAGE
        verdict = getattr(args, "verdict", None)
        executions = list_executions(
            store, limit=args.limit, verdict=NO_VERDICT if verdict == "NONE" else verdict)
        if args.json:
            for execution in executions:
                write_json_line(RunReply.from_execution(execution).json_line(), sys.stdout)
            return EXIT_OK
        if not executions and verdict is not None:
            print(f"No runs with verdict {verdict}." if verdict != "NONE"
                  else "No runs without a verdict.")
        elif not executions:
            print("No runs yet. Try: ifcscript run \"GUID Validation Check\" MODEL.ifc")
        for execution in executions:
            duration = f"{execution.duration_s:8.2f} s" if execution.duration_s is not None else " " * 10
            when = execution.queued_at.strftime("%Y-%m-%d %H:%M:%S") if execution.queued_at else ""
            found = stored_verdict(execution.verdict, execution.verdict_detail)
            print(f"#{execution.id:<5} {when}  {execution.status:<11} "
                  f"{found.word if found else '-':<4} {duration}  "
                  f"{execution.script_name}  on  {execution.model_path}{_marks(execution)}"
                  + (f"  ({found.detail})" if found and found.detail else ""))
        return EXIT_OK
    finally:
        store.close()


def _marks(execution: ScriptExecution) -> str:
    if execution.kept:
        return "  [kept]"
    return "  [files removed]" if execution.outputs_removed_at is not None else ""


def _keep(store: Store, args: argparse.Namespace) -> int:
    if args.id is None:
        error(f"which run? write `ifcscript history {args.action} ID`.")
        return EXIT_USAGE
    try:
        execution = set_kept(store, args.id, args.action == "keep")
    except ExecutionNotFoundError:
        error(f"there is no run #{args.id}.")
        return EXIT_USAGE
    note = execution_as_dict(execution)["outputs_note"]
    if note:
        print(f"Run #{execution.id} is {'kept' if execution.kept else 'no longer kept'}, "
              f"but its files are already gone: {note}")
    elif execution.kept:
        print(f"Run #{execution.id} is kept: its output files are never removed.")
    else:
        days = load_settings(store).retention_days
        when = f"once it is {days} days old" if days else "never (retention is set to keep forever)"
        print(f"Run #{execution.id} is no longer kept: its output files are removed {when}.")
    return EXIT_OK


def _show(store: Store, args: argparse.Namespace) -> int:
    if args.id is None:
        error("which run? write `ifcscript history show ID`.")
        return EXIT_USAGE
    try:
        execution = get_execution(store, args.id)
    except ExecutionNotFoundError:
        error(f"there is no run #{args.id}.")
        return EXIT_USAGE
    line = RunReply.from_execution(execution).json_line()
    record = execution_as_dict(execution)
    if args.json:
        line["code"] = execution.code
        line["parameters"] = execution.parameters
        for key in ("kept", "outputs_removed_at", "outputs_note"):
            line[key] = record[key]
        write_json_line(line, sys.stdout)
        return EXIT_OK
    print(f"Run #{execution.id}: {line['script']} on {line['model']}")
    print(f"Status: {line['status']}" + (f" after {line['duration_s']:.2f} s" if line["duration_s"] is not None else ""))
    if line["verdict"]:
        print(f"Verdict: {line['verdict']}"
              + (f" ({line['verdict_detail']})" if line["verdict_detail"] else "")
              + " (declared by the script's result; the run's status is above)")
    print(f"Parameters: {json.dumps(execution.parameters, ensure_ascii=False)}")
    if line["error"]:
        print(f"Error: {line['error']}")
    if line["traceback"]:
        print(line["traceback"].rstrip())
    if line["result"] is not None:
        print("Result: " + json.dumps(line["result"], ensure_ascii=False, indent=2, default=str))
    for colored in line["colors"] or []:
        print(f"Coloured by: {colors.describe(colored)}")
    if record["kept"]:
        print("Kept: retention never removes this run's output files.")
    for path in line["outputs"] or []:
        print(f"Saved: {path}")
    if record["outputs_note"]:
        print(record["outputs_note"])
    if line["output"]:
        print("--- output ---")
        print(line["output"].rstrip())
    print("--- code ---")
    print(execution.code.rstrip())
    return EXIT_OK
