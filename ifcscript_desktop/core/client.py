"""The client side of the worker protocol: requests, streamed events, restarts. Qt-free.

The client does not know how bytes travel: a transport (a subprocess for the command, a
QProcess for the window) calls `_on_data`/`_on_exit`, possibly from another thread, and callbacks
run on that thread. The window's transport delivers on the GUI thread; the command blocks on
`Request.wait()`.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from ifcscript_desktop.core.protocol import FrameDecoder, ProtocolError, encode, run_reply
from ifcscript_desktop.core.transport import SubprocessTransport, Transport

EventCallback = Callable[["Request", dict[str, Any]], None]
DoneCallback = Callable[["Request"], None]


class WorkerError(Exception):
    """The worker could not do what was asked; the message is a sentence for the user."""


@dataclass(eq=False)
class Request:
    """One request in flight; `reply` holds the final message once `done` is set."""

    id: int
    op: str
    fields: dict[str, Any]
    on_event: EventCallback | None = None
    on_done: DoneCallback | None = None
    reply: dict[str, Any] | None = None
    #: The text a run printed, as streamed (the worker keeps it within the `output_cap` limit).
    output: list[str] = field(default_factory=list)
    _done: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def ok(self) -> bool:
        return bool(self.reply and self.reply.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.reply is None else self.reply.get("error")

    @property
    def output_text(self) -> str:
        return "".join(self.output)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


class WorkerClient:
    """Talks to one worker; restarts it (and reopens its model) if it died."""

    def __init__(self, transport_factory: Callable[[], Transport] = SubprocessTransport) -> None:
        self._factory = transport_factory
        self._transport: Transport | None = None
        self._decoder = FrameDecoder()
        self._pending: dict[int, Request] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.model_path: str | None = None
        self.model_info: dict[str, Any] | None = None
        self.restarts = 0
        self._generation = 0
        self._opening: tuple[str, Request] | None = None
        self._ran = False  # the current worker has run a script
        self._retire = False  # the current worker asked to be replaced (its run template ended)

    # -- public API --------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker now, before anything is asked of it: it imports its libraries
        while the caller does other work (parses arguments, waits for the user's model)."""
        with self._lock:
            self._ensure_started("start")

    def open_model(self, path: str, on_event: EventCallback | None = None,
                   on_done: DoneCallback | None = None, properties: bool = False) -> Request:
        """Parse `path` in the worker; the model stays there for every later request.

        `properties`: a run that reads `properties` follows, so the worker reads the property
        rows alongside its index instead of at the first such run.
        """

        def remember(request: Request) -> None:
            if request.ok and request.reply:
                self.model_path = path
                self.model_info = request.reply.get("info")
            if on_done:
                on_done(request)

        request = self.send("open", {"path": path, "properties": properties}, on_event=on_event,
                            on_done=remember)
        self._opening = (path, request)
        return request

    def opening(self, path: str) -> Request | None:
        """The open request last sent for `path`, if it is the last open sent at all."""
        if self._opening and self._opening[0] == path:
            return self._opening[1]
        return None

    def run(self, fields: dict[str, Any], on_event: EventCallback | None = None,
            on_done: DoneCallback | None = None, start: bool = True) -> Request:
        """Start a script run; output and progress stream through `on_event`. `start` False:
        on a worker that is not running, fail at once instead of starting one."""
        return self.send("run", fields, on_event=on_event, on_done=on_done, start=start)

    def mesh(self, cache_dir: str, on_event: EventCallback | None = None,
             on_done: DoneCallback | None = None) -> Request:
        """Mesh the open model into `cache_dir` (absolute; `core.meshcache.cache_dir` names it)
        in a process the worker forks. Each batch file written streams as a ``mesh_batch`` event
        (``file``, ``elements``, ``meshed``, ``total``); the reply lists the ``batches`` and
        counts ``elements``, ``without_geometry`` and ``failed``. `cancel` stops it."""
        return self.send("mesh", {"cache_dir": cache_dir}, on_event=on_event, on_done=on_done)

    def cancel(self, run: Request) -> None:
        if not run.done:
            self.send("cancel", {"run": run.id}, start=False)  # no worker: nothing to cancel

    def send(self, op: str, fields: dict[str, Any], on_event: EventCallback | None = None,
             on_done: DoneCallback | None = None, start: bool = True) -> Request:
        with self._lock:
            request = Request(next(self._ids), op, fields, on_event, on_done)
            if self._transport is None and not start:
                self._finish(request, _failure(request, "The worker is not running any more."))
                return request
            if self._transport is not None and (self._retire or op == "open" and self._ran):
                self._retire_worker()
            self._ensure_started(op)
            self._ran = self._ran or op == "run"
            self._pending[request.id] = request
            self._write({"id": request.id, "op": op, **fields})
            return request

    def call(self, op: str, timeout: float | None = None, **fields: Any) -> dict[str, Any]:
        """Send a request and wait for its reply; raise WorkerError if it failed."""
        request = self.send(op, fields)
        if not request.wait(timeout):
            raise WorkerError(f"The worker did not answer {op!r} within {timeout} s.")
        if not request.ok or request.reply is None:
            raise WorkerError(request.error or "The worker failed.")
        return request.reply

    def close(self) -> None:
        """Ask the worker to stop; kill it if it does not."""
        with self._lock:
            transport, self._transport = self._transport, None
            self.model_path = None
        _stop(transport)

    def kill(self) -> None:
        with self._lock:
            if self._transport:
                self._transport.kill()

    @property
    def worker_pid(self) -> int | None:
        transport = self._transport  # read once: another thread may clear it meanwhile
        return transport.pid() if transport else None

    # -- transport side ----------------------------------------------------------------------
    def _retire_worker(self) -> None:
        """Stop the current worker (a new model is opened in a fresh one: a worker that ran
        scripts holds their data, which no later run may inherit)."""
        transport, self._transport = self._transport, None
        self._generation += 1  # its end must not fail the new worker's requests
        self._fail_all("The worker was replaced by a fresh one to open another model.")
        _stop(transport)

    def _ensure_started(self, op: str) -> None:
        if self._transport is not None:
            return
        self._ran = self._retire = False
        self._generation += 1
        generation = self._generation
        self._decoder = FrameDecoder()
        transport = self._factory()
        transport.start(lambda data: self._on_data(data, generation),
                        lambda code, detail: self._on_exit(code, detail, generation))
        self._transport = transport
        if self.model_path and op != "open":
            # Transparent restart: the new worker reopens the model before anything else.
            self.restarts += 1
            reopen = Request(next(self._ids), "open", {"path": self.model_path})
            self._pending[reopen.id] = reopen
            self._write({"id": reopen.id, "op": "open", "path": self.model_path})

    def _write(self, message: dict[str, Any]) -> None:
        assert self._transport is not None
        try:
            self._transport.write(encode(message))
        except OSError:
            pass  # the exit callback fails the pending requests

    def _on_data(self, data: bytes, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            try:
                messages = list(self._decoder.feed(data))
            except ProtocolError as exc:
                messages = []
                self._fail_all(f"The worker sent a broken message ({exc}).")
                if self._transport:
                    self._transport.kill()
            for message in messages:
                self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        request = self._pending.get(message.get("id", -1))
        if request is None:
            return
        if message.get("done"):
            if message.get("retire"):
                self._retire = True
            del self._pending[request.id]
            self._finish(request, message)
            return
        if message.get("event") == "output":
            request.output.append(str(message.get("data", "")))
        if request.on_event:
            request.on_event(request, message)

    def _finish(self, request: Request, reply: dict[str, Any]) -> None:
        request.reply = reply
        request._done.set()
        if request.on_done:
            request.on_done(request)

    def _on_exit(self, code: int | None, detail: str, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            self._transport = None
            last = detail.strip().splitlines()[-1] if detail.strip() else ""
            reason = f"The worker process stopped unexpectedly (exit code {code})"
            self._fail_all(reason + (f": {last}" if last else "."), interrupted=True)

    def _fail_all(self, error: str, interrupted: bool = False) -> None:
        pending, self._pending = self._pending, {}
        for request in pending.values():
            self._finish(request, _failure(request, error, interrupted))


def _stop(transport: Transport | None) -> None:
    """Ask a worker to shut down (closing its input ends it too); kill it if that cannot."""
    if transport is None:
        return
    try:
        transport.write(encode({"id": 0, "op": "shutdown"}))
    except OSError:
        pass
    close_input = getattr(transport, "close_input", None)
    if close_input:
        close_input()
    else:
        transport.kill()


def _failure(request: Request, error: str, interrupted: bool = False) -> dict[str, Any]:
    """The final reply of a request the worker never answered (a run's keeps its duration open)."""
    if request.op == "run":
        return run_reply(request.id, "interrupted" if interrupted else "error", error,
                         duration_s=None)
    return {"id": request.id, "done": True, "ok": False, "error": error}
