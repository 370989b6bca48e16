"""How a run happens: the one path the window, `ifcscript run` and every workflow step take.

    session = RunSession(store, source, params, limits, model_path, origin="cli")
    reply = session.run(client)            # blocking: opens the model if the worker lacks it

or, in the window, where nothing may wait::

    session.start(client, on_event=..., on_done=...)   # callbacks on the client's thread

A session records the run `queued` when it is made, `running` once the worker holds the model,
and finished with the worker's reply, or with why it never reached the script (the model could
not be opened, the run was cancelled, the worker died). Nothing else creates or finishes a run
record (`core.runs` only marks finished ones kept, or their files removed, and runs of a dead
process `interrupted`). Qt-free.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from ifcscript_desktop.core import runs
from ifcscript_desktop.core.client import Request, WorkerClient
from ifcscript_desktop.core.execute import Limits, ScriptSource, model_key
from ifcscript_desktop.core.params import granted_paths
from ifcscript_desktop.core.protocol import run_reply
from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.core.scriptfile import names_properties
from ifcscript_desktop.core.store import Store, StoreError, WorkflowExecution

#: Streamed messages of a run (`event`: `started`, `output` with `data`, `progress`).
EventCallback = Callable[[dict[str, Any]], None]
#: Waits for a request; False when it gave up (the caller cancelled), the request not done.
Waiter = Callable[[Request], bool]
CANCELLED = "The run was cancelled."


class RunSession:
    """One run of a script on a model, from its record to its reply."""

    def __init__(self, store: Store, source: ScriptSource, params: dict[str, Any], limits: Limits,
                 model_path: str, origin: str,
                 workflow_execution: WorkflowExecution | None = None) -> None:
        self.source = source
        self.params = params
        self.limits = limits
        self.model = model_key(model_path)
        self.execution = runs.create_execution(
            store, script=source.script, script_name=source.meta.name or source.label,
            script_path=source.path, code=source.code, model_path=self.model, parameters=params,
            source=origin, workflow_execution=workflow_execution)
        self.request: Request | None = None
        self.reply: RunReply | None = None
        #: False once the model turned out not to open (the run never reached the script).
        self.model_opened = True
        self._client: WorkerClient | None = None
        self._started = time.monotonic()
        self._on_event: EventCallback | None = None

    # -- the window: nothing waits -------------------------------------------------------------
    def start(self, client: WorkerClient, *, selection: Sequence[int] = (),
              previous: dict[str, Any] | None = None, extra_grants: Sequence[str] = (),
              model_sha256: str | None = None, on_event: EventCallback | None = None,
              on_done: Callable[[RunReply], None] | None = None, start_worker: bool = True) -> None:
        """Send the run to `client`, whose worker holds the model (or reopens it after a crash).

        `model_sha256`: the model file's hash when the caller has it (None: not recorded).

        `on_done(reply)` runs once the run is recorded, on the client's thread; without it the
        caller records with `finish()` once the request is done. `start_worker` False: a worker that is not
        running fails the run at once rather than being started (a lent worker).
        """
        info = client.model_info or {}
        runs.mark_running(self.execution, model_sha256=model_sha256, model_schema=info.get("schema"))
        self._client, self._on_event = client, on_event
        self._started = time.monotonic()
        done = None if on_done is None else (lambda request: on_done(self._finish_or_say()))
        self.request = client.run(self._fields(selection, previous, extra_grants),
                                  on_event=self._event, on_done=done, start=start_worker)

    def cancel(self) -> None:
        """Ask the worker to stop the run; it still ends through the reply (`cancelled`)."""
        if self._client is not None and self.request is not None:
            self._client.cancel(self.request)

    # -- the command and workflow steps: blocking ------------------------------------------------
    def run(self, client: WorkerClient, wait: Waiter | None = None, *,
            previous: dict[str, Any] | None = None, extra_grants: Sequence[str] = (),
            model_sha256: str | None = None, on_event: EventCallback | None = None,
            start_worker: bool = True) -> RunReply:
        """Open the model in `client` unless it holds it, run, record, return the reply.

        `wait` waits for each request (default: until done; Ctrl+C cancels the run, kills the
        worker if it must, records the run `cancelled` and is raised again). The rest as for
        `start`; `model_sha256` None: hashed here.
        """
        wait = wait or _interruptible(client)
        try:
            if not _holds(client, self.model):
                opened = client.opening(self.model) or client.open_model(
                    self.model, properties=names_properties(self.source.code))
                if not wait(opened):
                    return self.fail(CANCELLED, "cancelled")
                if not opened.ok:
                    self.model_opened = False
                    return self.fail(opened.error or "The model could not be opened.")
            self.start(client, previous=previous, extra_grants=extra_grants,
                       model_sha256=model_sha256 or _sha256(self.model), on_event=on_event,
                       start_worker=start_worker)
            assert self.request is not None
            return self.finish() if wait(self.request) else self.fail(CANCELLED, "cancelled")
        except KeyboardInterrupt:
            self.finish()  # the reply of a run stopped in time, else `cancelled`
            raise

    # -- recording ---------------------------------------------------------------------------
    def finish(self) -> RunReply:
        """Record the run's end from the worker's reply (once; a run not answered yet ends
        `cancelled`) and return the reply."""
        if self.reply is not None:
            return self.reply
        request = self.request
        if request is None or request.reply is None:
            return self.fail(CANCELLED, "cancelled")
        message = dict(request.reply)
        if message.get("duration_s") is None:  # the worker never answered: the time we saw
            message["duration_s"] = round(time.monotonic() - self._started, 4)
        return self._record(message)

    def _finish_or_say(self) -> RunReply:
        """`finish()`, or when the store refuses the record, the reply saying so (the window
        still shows what the run did)."""
        try:
            return self.finish()
        except StoreError as exc:
            assert self.request is not None and self.request.reply is not None
            reply = RunReply.from_message(self.request.reply, self.request.output_text,
                                          self.execution, self.source.label)
            return replace(reply, error=f"The run ended but is not in the history: {exc}")

    def fail(self, error: str, status: str = "error") -> RunReply:
        """Record a run that never reached the script, or was given up, with this sentence
        (and, once it was sent, the time it took)."""
        if self.reply is not None:
            return self.reply
        took = 0.0 if self.request is None else round(time.monotonic() - self._started, 4)
        return self._record(run_reply(0, status, error, duration_s=took))

    def _record(self, message: dict[str, Any]) -> RunReply:
        output = self.request.output_text if self.request is not None else ""
        reply = RunReply.from_message(message, output, self.execution, self.source.label)
        runs.finish_execution(
            self.execution, status=reply.status, duration_s=reply.duration_s, output=reply.output,
            output_truncated=reply.output_truncated, error=reply.error,
            traceback=reply.traceback, result=reply.result,
            tables=[table.record() for table in reply.tables], charts=list(reply.charts),
            highlights=list(reply.highlights), colors=list(reply.colors),
            outputs=list(reply.outputs))
        self.reply = reply
        return reply

    # -- internals ---------------------------------------------------------------------------
    def _fields(self, selection: Sequence[int], previous: dict[str, Any] | None,
                extra_grants: Sequence[str]) -> dict[str, Any]:
        """The worker's `run` request."""
        source = self.source
        return {
            "code": source.code,
            "filename": source.path or f"<{source.meta.name or source.label}>",
            "params": self.params,
            "granted": granted_paths(source.meta, self.params) + list(extra_grants),
            "selection": list(selection),
            "previous": previous or {},
            "output_dir": self.execution.output_dir,
            "limits": self.limits.as_dict(),
        }

    def _event(self, request: Request, message: dict[str, Any]) -> None:
        if self._on_event is not None:
            self._on_event(message)


def _holds(client: WorkerClient, model: str) -> bool:
    return client.model_path is not None and model_key(client.model_path) == model


def _sha256(path: str) -> str | None:
    try:
        return runs.sha256_of(path)
    except OSError:
        return None


def _interruptible(client: WorkerClient) -> Waiter:
    """Wait until done; on Ctrl+C stop the request (a parse only by killing the worker)."""

    def wait(request: Request) -> bool:
        try:
            return request.wait()
        except KeyboardInterrupt:
            if request.op == "run":
                client.cancel(request)
                if request.wait(10):
                    raise
            client.kill()
            request.wait(10)
            raise

    return wait

