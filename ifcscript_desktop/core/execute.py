"""Running a script on a model and recording it: the one path the command and the window share."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ifcscript_desktop.core import runs
from ifcscript_desktop.core.client import Request, WorkerClient
from ifcscript_desktop.core.library import get_script
from ifcscript_desktop.core.params import (coerce_params, granted_paths, suggested_files,
                                           suggestion_for_command_line)
from ifcscript_desktop.core.scriptfile import names_properties, ScriptMeta, parse_script
from ifcscript_desktop.core.settings import Settings
from ifcscript_desktop.core.store import Script, ScriptExecution, Store
from ifcscript_desktop.core.tablefile import read_result, stream_tables

#: The keys of a run's JSON line (DESIGN.md: every key always present).
RUN_KEYS = ("execution_id", "script", "model", "status", "duration_s", "result", "output", "error",
            "traceback", "outputs", "tables", "charts", "highlights")


class UsageError(ValueError):
    """The user asked for something that cannot be run as given (exit code 2)."""


@dataclass(frozen=True)
class ScriptSource:
    """The script to run: a stored script or a .py file given by path."""

    label: str  # the name, or the path as the user gave it
    code: str
    meta: ScriptMeta
    script: Script | None = None
    path: str | None = None


@dataclass(frozen=True)
class Limits:
    timeout_s: float
    memory_mb: int
    output_cap: int
    outputs_max_bytes: int = Settings.outputs_max_bytes
    outputs_max_files: int = Settings.outputs_max_files

    @classmethod
    def from_settings(cls, settings: Settings, timeout_s: float | None = None,
                      memory_mb: int | None = None, outputs_max_mb: int | None = None,
                      outputs_max_files: int | None = None) -> "Limits":
        return cls(timeout_s=timeout_s or settings.timeout_s,
                   memory_mb=memory_mb or settings.memory_mb,
                   output_cap=settings.output_cap_bytes,
                   outputs_max_bytes=outputs_max_mb * 1024 * 1024 if outputs_max_mb
                   else settings.outputs_max_bytes,
                   outputs_max_files=outputs_max_files or settings.outputs_max_files)

    def as_dict(self) -> dict[str, Any]:
        return {"timeout_s": self.timeout_s, "memory_mb": self.memory_mb, "output_cap": self.output_cap,
                "outputs_max_bytes": self.outputs_max_bytes,
                "outputs_max_files": self.outputs_max_files}


def resolve_script(store: Store, ref: str) -> ScriptSource:
    """`ref` is a path to a .py file when such a file exists, else a stored script's name."""
    path = Path(ref).expanduser()
    if path.suffix == ".py" and path.is_file():
        try:
            code = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"The script file {ref} cannot be read: {exc}") from None
        return ScriptSource(label=ref, code=code, meta=parse_script(code, default_name=path.stem),
                            path=str(path.resolve()))
    script = get_script(store, ref)
    if script is None:
        hint = " (no such file either)" if path.suffix == ".py" else ""
        raise UsageError(f"There is no script named {ref!r}{hint}. `ifcscript scripts list` shows them.")
    return ScriptSource(label=script.name, code=script.code,
                        meta=parse_script(script.code, default_name=script.name), script=script)


def start_execution(store: Store, source: ScriptSource, model_path: str, params: dict[str, Any],
                    origin: str, workflow_execution: Any = None) -> ScriptExecution:
    """Record a queued run; its output folder exists from here on."""
    return runs.create_execution(
        store, script=source.script, script_name=source.meta.name or source.label,
        script_path=source.path, code=source.code, model_path=model_path, parameters=params,
        source=origin, workflow_execution=workflow_execution)


def run_fields(source: ScriptSource, execution: ScriptExecution, params: dict[str, Any],
               limits: Limits, selection: list[int] | None = None,
               previous: dict[str, Any] | None = None, extra_grants: list[str] | None = None) -> dict[str, Any]:
    """The worker request that runs `source` for `execution`."""
    return {
        "code": source.code,
        "filename": source.path or f"<{source.meta.name or source.label}>",
        "params": params,
        "granted": granted_paths(source.meta, params) + list(extra_grants or []),
        "selection": selection or [],
        "previous": previous or {},
        "output_dir": execution.output_dir,
        "limits": limits.as_dict(),
    }


def finish_from_reply(execution: ScriptExecution, request: Request,
                      label: str | None = None) -> dict[str, Any]:
    """Store what the worker answered for a run; return the run's JSON line."""
    record_reply(execution, request.reply or {}, request.output_text)
    return run_line(execution, label)


def record_reply(execution: ScriptExecution, reply: dict[str, Any], output: str) -> None:
    """Store a run's final reply and its captured output (large tables stay in their files)."""
    status = reply.get("status") or "error"
    runs.finish_execution(
        execution, status=status,
        duration_s=reply.get("duration_s"),
        output=output,
        output_truncated=bool(reply.get("output_truncated")),
        error=reply.get("error"), traceback=reply.get("traceback"),
        result=reply.get("result"), tables=reply.get("tables") or [],
        charts=reply.get("charts") or [], highlights=reply.get("highlights") or [],
        outputs=reply.get("outputs") or [])


def begin_run(store: Store, source: ScriptSource, model_path: str, model_info: dict[str, Any],
              params: dict[str, Any], limits: Limits, origin: str, model_sha256: str | None = None,
              selection: list[int] | None = None) -> tuple[ScriptExecution, dict[str, Any]]:
    """Record a run of `source` on an open model as running; return it and its worker request."""
    execution = start_execution(store, source, model_key(model_path), params, origin)
    runs.mark_running(execution, model_sha256=model_sha256, model_schema=model_info.get("schema"))
    return execution, run_fields(source, execution, params, limits, selection=selection)


def source_from_text(code: str, name: str, script: Script | None = None) -> ScriptSource:
    """The editor's text as a runnable source (raises ScriptFileError for a broken block)."""
    return ScriptSource(label=name, code=code, meta=parse_script(code, default_name=name), script=script)


def fail_execution(execution: ScriptExecution, error: str, status: str = "error",
                   label: str | None = None) -> dict[str, Any]:
    """Record a run that never reached the script (the model could not be opened)."""
    runs.finish_execution(execution, status=status, duration_s=0.0, output="", output_truncated=False,
                          error=error, traceback=None, result=None, tables=[], charts=[],
                          highlights=[], outputs=[])
    return run_line(execution, label)


def run_line(execution: ScriptExecution, label: str | None = None) -> dict[str, Any]:
    """The DESIGN.md JSON object of one run, every key present; `label` is the script as given.

    A table kept in a file stands in the line as a `tablefile.FileTable`: `write_json_line`
    writes every row `show_table` got a block at a time, and a workflow step, which needs only
    the result, never reads it. A `result` kept in a file is read back here (later steps get it).
    """
    data = runs.execution_as_dict(execution)
    line = {key: data.get(key) for key in RUN_KEYS}
    line["tables"] = stream_tables(line["tables"])
    line["result"], problem = read_result(line["result"])
    if problem and not line["error"]:
        line["error"] = problem
    line["execution_id"] = execution.id
    line["script"] = label or execution.script_name
    line["model"] = execution.model_path
    for key in ("outputs", "tables", "charts", "highlights", "output", "result", "traceback", "error"):
        if line[key] in ("", [], {}):
            line[key] = None
    return line


@dataclass(frozen=True)
class RunOutcome:
    line: dict[str, Any]  # the run's JSON line
    model_opened: bool


def run_on_model(store: Store, client: WorkerClient, source: ScriptSource, model_path: str,
                 params: dict[str, Any], limits: Limits, origin: str,
                 on_event: Callable[[Request, dict[str, Any]], None] | None = None,
                 on_started: Callable[[Request], None] | None = None) -> RunOutcome:
    """Open `model_path` in the client's worker (unless it holds it), run, record; blocking."""
    model = model_key(model_path)
    execution = start_execution(store, source, model, params, origin)
    if client.model_path != model:
        opened = client.opening(model) or client.open_model(
            model, properties=names_properties(source.code))
        try:
            opened.wait()
        except KeyboardInterrupt:
            client.kill()  # a parse cannot be interrupted any other way
            fail_execution(execution, "The run was cancelled.", status="cancelled", label=source.label)
            raise
        if not opened.ok:
            line = fail_execution(execution, opened.error or "The model could not be opened.",
                                  label=source.label)
            return RunOutcome(line, model_opened=False)
    info = client.model_info or {}
    runs.mark_running(execution, model_sha256=runs.sha256_of(model), model_schema=info.get("schema"))
    started = time.monotonic()
    request = client.run(run_fields(source, execution, params, limits), on_event=on_event)
    if on_started:
        on_started(request)
    try:
        request.wait()
    except KeyboardInterrupt:
        client.cancel(request)
        if not request.wait(10):
            client.kill()
            request.wait(10)
        finish_from_reply(execution, request, source.label)
        raise
    if request.reply and request.reply.get("duration_s") is None:
        request.reply["duration_s"] = round(time.monotonic() - started, 4)
    return RunOutcome(finish_from_reply(execution, request, source.label), model_opened=True)


def model_key(model_path: str) -> str:
    """The absolute path a model is known by (in the worker, the store and the JSON lines)."""
    return str(Path(model_path).expanduser().absolute())


def coerce(source: ScriptSource, raw: dict[str, Any]) -> dict[str, Any]:
    """Typed parameters, or UsageError naming the parameter and the expected type.

    A file the script suggests for itself (a `file`/`files` default) is refused with what to
    pass to allow it: only the user grants files.
    """
    suggested = suggested_files(source.meta, raw)
    if suggested:
        raise UsageError("\n".join(suggestion_for_command_line(name, paths)
                                   for name, paths in suggested.items()))
    try:
        return coerce_params(source.meta, raw)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
