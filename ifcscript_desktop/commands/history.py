"""`ifcscript history [--limit N] [--json]` and `ifcscript history show ID [--json]`."""

from __future__ import annotations

import argparse
import json
import sys

from ifcscript_desktop.commands import error, store_for
from ifcscript_desktop.core.execute import run_line
from ifcscript_desktop.core.jsonline import write_json_line
from ifcscript_desktop.core.runs import ExecutionNotFoundError, get_execution, list_executions

EXIT_OK, EXIT_USAGE = 0, 2


def main(args: argparse.Namespace) -> int:
    store = store_for(args)
    try:
        if args.action == "show":
            return _show(store, args)
        if args.id is not None:
            error("write `ifcscript history show ID` to see one run.")
            return EXIT_USAGE
        if args.limit <= 0:
            error("--limit must be a positive number.")
            return EXIT_USAGE
        executions = list_executions(store, limit=args.limit)
        if args.json:
            for execution in executions:
                write_json_line(run_line(execution), sys.stdout)
            return EXIT_OK
        if not executions:
            print("No runs yet. Try: ifcscript run \"GUID Validation Check\" MODEL.ifc")
        for execution in executions:
            duration = f"{execution.duration_s:8.2f} s" if execution.duration_s is not None else " " * 10
            when = execution.queued_at.strftime("%Y-%m-%d %H:%M:%S") if execution.queued_at else ""
            print(f"#{execution.id:<5} {when}  {execution.status:<11} {duration}  "
                  f"{execution.script_name}  on  {execution.model_path}")
        return EXIT_OK
    finally:
        store.close()


def _show(store, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    if args.id is None:
        error("which run? write `ifcscript history show ID`.")
        return EXIT_USAGE
    try:
        execution = get_execution(store, args.id)
    except ExecutionNotFoundError:
        error(f"there is no run #{args.id}.")
        return EXIT_USAGE
    line = run_line(execution)
    if args.json:
        line["code"] = execution.code
        line["parameters"] = execution.parameters
        write_json_line(line, sys.stdout)
        return EXIT_OK
    print(f"Run #{execution.id}: {line['script']} on {line['model']}")
    print(f"Status: {line['status']}" + (f" after {line['duration_s']:.2f} s" if line["duration_s"] is not None else ""))
    print(f"Parameters: {json.dumps(execution.parameters, ensure_ascii=False)}")
    if line["error"]:
        print(f"Error: {line['error']}")
    if line["traceback"]:
        print(line["traceback"].rstrip())
    if line["result"] is not None:
        print("Result: " + json.dumps(line["result"], ensure_ascii=False, indent=2, default=str))
    for path in line["outputs"] or []:
        print(f"Saved: {path}")
    if line["output"]:
        print("--- output ---")
        print(line["output"].rstrip())
    print("--- code ---")
    print(execution.code.rstrip())
    return EXIT_OK
