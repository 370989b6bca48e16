"""The run child: forked from the worker, it sandboxes itself, runs one script, reports, exits.

It never returns to the worker's code: every path ends in `os._exit`. It talks to the worker
only through its output pipe (fd 1 and 2, raw text) and its event pipe (framed JSON).
"""

from __future__ import annotations

import io
import json
import linecache
import os
import signal
import sys
import tempfile
import traceback
import types
from pathlib import Path
from collections.abc import Sequence
from typing import Any, Callable

from ifcscript_desktop.core import tablefile
from ifcscript_desktop.core.protocol import encode
from ifcscript_desktop.worker import context, results, sandbox

#: Exit codes the worker reads the outcome from (see worker.runs.Run.outcome): the script
#: finished; the script failed; the sandbox refused something (the child ends at once).
EXIT_REPORTED = 0
EXIT_SCRIPT_ERROR = 1
EXIT_REFUSED = 86
#: A file may grow this much past the output quota, so that the worker's measurement, not a
#: silent short write at exactly the limit, is what stops the run.
FILE_SLACK_BYTES = 64 * 1024


class EventPipe:
    """The child's side of the event pipe; also the script context's sink."""

    def __init__(self, fd: int, output_dir: Path) -> None:
        self.fd = fd
        self.output_dir = output_dir
        self.spilled = 0

    def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    # The RunSink protocol of worker.context:
    def progress(self, fraction: float, message: str) -> None:
        self.send({"event": "progress", "fraction": fraction, "message": message})

    def table(self, rows: Sequence[dict[str, Any]], columns: list[str], title: str | None) -> None:
        if len(rows) <= tablefile.SPILL_ROWS:
            self.send({"event": "table", "table": {"title": title, "columns": columns,
                                                   "rows": list(rows)}})
            return
        # A large table goes to a file the window reads page by page (core.tablefile).
        self.spilled += 1
        name = f"table-{self.spilled}.jsonl"
        tablefile.write_table_file(tablefile.table_file_path(self.output_dir, name), columns, rows)
        self.send({"event": "table", "table": {"title": title, "columns": columns,
                                               "row_count": len(rows), "file": name}})

    def chart(self, kind: str, x: list[Any], y: list[Any], title: str | None) -> None:
        self.send({"event": "chart", "chart": {"kind": kind, "x": x, "y": y, "title": title}})

    def highlight(self, ids: list[int], color: str) -> None:
        self.send({"event": "highlight", "highlight": {"ids": ids, "color": color}})

    def colors(self, record: dict[str, Any]) -> None:
        self.send({"event": "color_by", "colors": record})

    def saved(self, path: str) -> None:
        self.send({"event": "saved", "path": path})


def run_child(job_fd: int, out_fd: int, event_fd: int, index: Any, model: Any) -> None:
    """Entry point after fork. Never returns."""
    code = 70
    job = None
    try:
        job = _read_job(job_fd)
        if job is None:  # a spare child discarded unused (a new model, or the worker stopping)
            code = 0
            return
        _redirect_output(out_fd)
        events = EventPipe(event_fd, Path(job["output_dir"]))
        code = EXIT_REPORTED if _run(job, events, index, model) else EXIT_SCRIPT_ERROR
    except BaseException:  # noqa: BLE001 - the child must never unwind into the worker's loop
        try:
            traceback.print_exc()
        except BaseException:  # noqa: BLE001
            pass
    finally:
        _exit_now(code, event_fd, stop_first=code == EXIT_REPORTED and job is not None)


def _read_job(fd: int) -> dict[str, Any] | None:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    if not chunks:
        return None
    job: dict[str, Any] = json.loads(b"".join(chunks))
    return job


def _redirect_output(out_fd: int) -> None:
    """Point fd 1 and 2 at the output pipe so C libraries' prints are captured as well."""
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    stream = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False), encoding="utf-8", errors="replace", line_buffering=True
    )
    sys.stdout = sys.stderr = stream


def _run(job: dict[str, Any], events: EventPipe, index: Any, model: Any) -> bool:
    """Run the job's script; True when it succeeded. A refusal ends the process instead."""
    limits = job.get("limits") or {}
    output_dir = Path(job["output_dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    # Libraries' temporary files (ifcopenshell unpacking a granted .ifczip) stay inside the run.
    tempfile.tempdir = str(output_dir / ".tmp")
    Path(tempfile.tempdir).mkdir(exist_ok=True)

    def on_refusal(sentence: str) -> None:
        # Sent, then the run ends at once: a script that catches the exception cannot go on,
        # and one that kept the message from the worker still ends with EXIT_REFUSED.
        try:
            events.send({"event": "refused", "message": sentence})
        finally:
            _exit_now(EXIT_REFUSED, events.fd)

    memory_mb = limits.get("memory_mb")
    timeout_s = limits.get("timeout_s")
    max_bytes = limits.get("outputs_max_bytes")
    policy = sandbox.Policy(
        output_dir=output_dir,
        read_paths=[Path(p) for p in job.get("granted") or []],
        memory_bytes=int(memory_mb * 1024 * 1024) if memory_mb else None,
        cpu_seconds=int(timeout_s) + 5 if timeout_s else None,
        file_bytes=int(max_bytes) + FILE_SLACK_BYTES if max_bytes else None,
        keep_fds=(events.fd,),
    )
    for note in sandbox.enter_os_sandbox(policy):
        print(f"[sandbox] {note}", file=sys.stderr)
    safe_builtins = sandbox.install_python_guard(policy, on_refusal)

    filename = job.get("filename") or "<script>"
    source = job["code"]
    outcome: dict[str, Any] = {"event": "done", "status": "success", "error": None,
                               "traceback": None, "error_line": None, "result": None}
    try:
        sandbox.check_source(source, filename)
        compiled = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        outcome.update(status="error", error=f"Syntax error on line {exc.lineno}: {exc.msg}",
                       error_line=exc.lineno)
        events.send(outcome)
        return False
    except sandbox.Refused as exc:
        # The line first (the editor marks it), then the refusal ends the run.
        outcome.update(status="error", error=str(exc), error_line=getattr(exc, "line", None))
        events.send(outcome)
        on_refusal(str(exc))

    script_globals = context.build_globals(
        index, model, sink=events, params=job.get("params") or {},
        selection=job.get("selection") or [], previous=job.get("previous") or {},
        model_path=job.get("model_path") or "",
    )
    script_globals["save_output"] = _reporting_refusals(script_globals["save_output"], output_dir,
                                                        on_refusal)
    for name, value in list(script_globals.items()):
        if isinstance(value, types.ModuleType):
            script_globals[name] = sandbox.guard_module(value)
    script_globals.update(__builtins__=safe_builtins, __name__="__main__", __file__=filename)
    # Warnings and tracebacks quote the script's lines: serve them from memory, not the file.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    sandbox.arm_python_guard()
    try:
        exec(compiled, script_globals)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            outcome.update(status="error", error=f"The script stopped with exit code {exc.code}.")
    except MemoryError:
        outcome.update(status="error", error=_memory_sentence(memory_mb))
    except RecursionError:
        outcome.update(status="error", error="The script recursed too deeply (RecursionError).",
                       **_script_trace(filename, source))
    except BaseException as exc:  # noqa: BLE001 - any script failure is the run's error
        message = str(exc).strip()
        outcome.update(status="error",
                       error=f"{type(exc).__name__}: {message}" if message else type(exc).__name__,
                       **_script_trace(filename, source))
    _flush_quietly()
    if outcome["status"] == "success":
        try:
            value = results.to_jsonable(script_globals.get("result"))
            outcome["result"] = tablefile.spill_result(value, output_dir)
        except (TypeError, ValueError, OSError) as exc:
            outcome.update(status="error", error=f"The result cannot be shown: {exc}")
        except MemoryError:
            outcome.update(status="error", error=_memory_sentence(memory_mb))
    events.send(outcome)
    return outcome["status"] == "success"


def _exit_now(code: int, event_fd: int, stop_first: bool = False) -> None:
    """End the run child here and now: flush what was printed, close the pipes so the worker
    sees the end, and exit without running any more Python (a refusal must not unwind into
    the script's `except`)."""
    _flush_quietly()
    for fd in (1, 2, event_fd):
        try:
            os.close(fd)
        except OSError:
            pass
    if stop_first:
        # The kernel takes tens of milliseconds to tear down a large address space before an
        # exit is visible; a stop is visible at once. The worker reads SIGSTOP as EXIT_REPORTED
        # and kills the stopped child itself, reaping it later.
        signal.raise_signal(signal.SIGSTOP)  # not an audited event, unlike os.kill
    os._exit(code)


def _reporting_refusals(save_output: Callable[[str, Any], str], output_dir: Path,
                        on_refusal: Callable[[str], None]) -> Callable[[str, Any], str]:
    """save_output whose refusals are sticky like the sandbox's own (caught or not)."""

    def checked_save_output(filename: str, data: Any) -> str:
        try:
            return save_output(filename, data)
        except PermissionError as exc:
            target = os.path.normpath(os.path.join(output_dir, str(filename)))
            on_refusal(f'The sandbox refused: writing the file "{target}" ({exc})')
            raise

    checked_save_output.__doc__ = save_output.__doc__
    return checked_save_output


def _script_trace(filename: str, source: str) -> dict[str, Any]:
    """The traceback limited to the script's own frames, and the failing line of the script.

    Lines come from the script's source, never from files: the sandbox refuses reading ours.
    """
    _, exc, tb = sys.exc_info()
    if exc is None or tb is None:
        return {"traceback": None, "error_line": None}
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    frames = [f for f in traceback.StackSummary.extract(traceback.walk_tb(tb), lookup_lines=False)
              if f.filename == filename]
    text = "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
    text += "".join(traceback.format_exception_only(type(exc), exc))
    return {"traceback": text, "error_line": frames[-1].lineno if frames else None}


def _memory_sentence(memory_mb: float | None) -> str:
    limit = f"{int(memory_mb)} MB" if memory_mb else "the memory limit"
    return f"The script used more memory than allowed ({limit}) and was stopped."


def _flush_quietly() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
