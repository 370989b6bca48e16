"""`ifcscript run SCRIPT MODEL [MODEL ...]`: run a script headless, one worker, each run recorded."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ifcscript_desktop.commands import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error,
                                        limit_problem, limits_for, store_for)
from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.core.execute import UsageError, coerce, model_key, resolve_script
from ifcscript_desktop.core.jsonline import write_json_line
from ifcscript_desktop.core.scriptfile import ScriptFileError, names_properties
from ifcscript_desktop.core.session import RunSession


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`-p NAME=VALUE` pairs; a name given twice becomes a list (list parameters)."""
    raw: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-p {pair!r}: write parameters as NAME=VALUE.")
        name = name.strip()
        if name in raw:
            raw[name] = (raw[name] if isinstance(raw[name], list) else [raw[name]]) + [value]
        else:
            raw[name] = value
    return raw


def main(args: argparse.Namespace) -> int:
    problem = limit_problem(args)
    if problem:
        error(problem)
        return EXIT_USAGE
    store = store_for(args)
    try:
        source = resolve_script(store, args.script)
    except (UsageError, ScriptFileError) as exc:
        error(str(exc))
        store.close()
        return EXIT_USAGE
    # The worker (started by `cli` while it parsed the arguments) parses the first model
    # while this process checks the parameters.
    client = getattr(args, "worker", None) or WorkerClient()
    client.open_model(model_key(args.models[0]), properties=names_properties(source.code))
    try:
        params = coerce(source, parse_params(args.param))
    except UsageError as exc:
        error(str(exc))
        client.kill()
        store.close()
        return EXIT_USAGE
    limits = limits_for(store, args)
    sessions: list[RunSession] = []
    try:
        for model in args.models:
            session = RunSession(store, source, params, limits, model, origin="cli")
            sessions.append(session)
            session.run(client, on_event=None if args.json else _stream_output)
            _report(session, args.json)
    except KeyboardInterrupt:
        error("interrupted; the run in flight was recorded as cancelled.")
        return EXIT_INTERRUPTED
    finally:
        client.close()
        store.close()
    return _exit_code(sessions)


def _stream_output(message: dict[str, Any]) -> None:
    if message.get("event") == "output":
        sys.stdout.write(str(message.get("data", "")))
        sys.stdout.flush()


def _report(session: RunSession, as_json: bool) -> None:
    assert session.reply is not None
    line = session.reply.json_line()
    if not session.model_opened:
        error(str(line["error"]))  # the sentence goes to stderr as well as into the line
    if as_json:
        write_json_line(line, sys.stdout)  # a large table a block at a time
        return
    duration = f"{line['duration_s']:.2f} s" if line["duration_s"] is not None else ""
    print(f"\n== {line['script']} on {line['model']}: {line['status']} {duration} "
          f"(run #{line['execution_id']})")
    if line["error"] and session.model_opened:
        print(f"   {line['error']}")
    if line["result"] is not None:
        text = json.dumps(line["result"], ensure_ascii=False, default=str)
        print(f"   result: {text if len(text) < 2000 else text[:2000] + ' ...'}")
    for path in line["outputs"] or []:
        print(f"   saved: {path}")


def _exit_code(sessions: list[RunSession]) -> int:
    if sessions and not any(s.model_opened for s in sessions):
        return EXIT_USAGE  # no given model could be opened
    return EXIT_OK if all(s.reply and s.reply.status == "success" for s in sessions) else EXIT_FAILED
