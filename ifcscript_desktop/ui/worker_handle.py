"""One open model in the window: a worker process behind Qt signals.

The handle owns a core `WorkerClient` over a `QProcessTransport`, so every callback and signal
arrives on the GUI thread and nothing here waits. The model itself lives only in the worker;
this process never imports ifcopenshell.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from ifcscript_desktop.core.client import Request, WorkerClient
from ifcscript_desktop.ui.qprocess_transport import QProcessTransport

QueryCallback = Callable[[dict[str, Any]], None]


def _reply_of(request: Request) -> dict[str, Any]:
    return dict(request.reply or {"ok": False, "error": "The worker gave no answer."})


class WorkerHandle(QObject):
    """A model opened in its own worker: open, query, close; runs go through `client`.

    Signals carrying a dict are declared `object`: a `dict` signal argument is deep-copied
    through a QVariantMap on every emit (0.7 s for a reply holding a 100k-row table).
    """

    #: The model is open: `{schema, application, elements, parse_s, index_s, path}`.
    model_opened = Signal(object)
    #: The model could not be opened (or opening was cancelled): a sentence for the user.
    open_failed = Signal(str)
    #: Opening progresses: fraction 0..1 and what the worker is doing.
    open_progress = Signal(float, str)
    #: The worker process ended (exit code or None after a crash, last lines of its log).
    worker_exited = Signal(object, str)

    def __init__(self, parent: QObject | None = None, command: list[str] | None = None) -> None:
        super().__init__(parent)
        self._command = command
        self._transports: list[QProcessTransport] = []
        self._client = WorkerClient(self._new_transport)
        self._open_request: Request | None = None
        self._opening_path: str | None = None
        self.info: dict[str, Any] | None = None
        self.path: str | None = None
        self._ready = False

    # -- state -------------------------------------------------------------------------------
    @property
    def client(self) -> WorkerClient:
        """The core client of this worker: runs (`core.session`) and borrowed models (workflows)."""
        return self._client

    @property
    def is_open(self) -> bool:
        """A model is open (a dead worker restarts and reopens it on the next request)."""
        return self.info is not None

    @property
    def opening(self) -> bool:
        return self._open_request is not None

    @property
    def worker_running(self) -> bool:
        return any(t.running for t in self._transports)

    @property
    def worker_pid(self) -> int | None:
        return self._client.worker_pid

    @property
    def ready(self) -> bool:
        """The worker started by `start_ahead` has imported its libraries and answered."""
        return self._ready

    # -- model -------------------------------------------------------------------------------
    def start_ahead(self) -> None:
        """Start the worker before a model is chosen, so that parsing starts as soon as one is
        (the worker imports ifcopenshell, numpy and pandas meanwhile); `ready` once it answers."""

        def answered(request: Request) -> None:
            self._ready = request.ok

        self._client.start()
        self._client.send("ping", {}, on_done=answered)

    def open_model(self, path: str | Path) -> None:
        """Parse `path` in the worker; `model_opened` or `open_failed` follows."""
        self._opening_path = str(path)
        self._open_request = self._client.open_model(
            str(path), on_event=self._on_open_event, on_done=self._on_open_done)

    def cancel_open(self) -> bool:
        """Stop an open in progress by killing the worker; the next request starts a new one."""
        request, self._open_request = self._open_request, None
        if request is None:
            return False
        kept = self._client.model_path  # a model opened earlier is reopened on the next request
        self._client.kill()
        self._client.close()
        self._client.model_path = kept
        self.open_failed.emit(f"Opening {Path(self._opening_path or '').name} was cancelled.")
        return True

    def _on_open_event(self, request: Request, message: dict[str, Any]) -> None:
        if request is self._open_request and message.get("event") == "progress":
            self.open_progress.emit(float(message.get("fraction") or 0.0), str(message.get("message") or ""))

    def _on_open_done(self, request: Request) -> None:
        if request is not self._open_request:
            return  # cancelled, or replaced by a later open
        self._open_request = None
        reply = _reply_of(request)
        if reply.get("ok"):
            self.info = dict(reply.get("info") or {})
            self.path = str(self.info.get("path") or self._opening_path)
            self.model_opened.emit(self.info)
            # After the tree's first requests (sent on model_opened): the property rows are made
            # while the user reads the tree, before a run needs them (worker `properties`).
            QTimer.singleShot(0, self, self._ask_for_properties)
        else:
            self.open_failed.emit(str(reply.get("error") or "The model could not be opened."))

    def _ask_for_properties(self) -> None:
        if self.is_open:
            self._client.send("properties", {}, start=False)

    # -- queries -----------------------------------------------------------------------------
    def query(self, op: str, fields: dict[str, Any], callback: QueryCallback) -> None:
        """Ask the worker (`tree`, `element`, `filter`, `ping`); `callback(reply)` on the GUI thread.

        A failure is a reply with `ok` False and `error`, a sentence.
        """
        if not (self.is_open or self.opening):
            reply = {"ok": False, "error": "No model is open."}
            QTimer.singleShot(0, self, functools.partial(callback, reply))
            return
        self._client.send(op, fields, on_done=lambda request: callback(_reply_of(request)))

    # -- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        """Let the worker go; runs in flight end as `interrupted`."""
        self._open_request = None
        self.info = None
        self.path = None
        self._client.close()

    def _new_transport(self) -> QProcessTransport:
        transport = QProcessTransport(self._command, self)
        transport.exited.connect(functools.partial(self._on_transport_exited, transport))
        self._transports.append(transport)
        return transport

    def _on_transport_exited(self, transport: QProcessTransport, code: object, detail: str) -> None:
        self._transports.remove(transport)
        transport.deleteLater()
        self.worker_exited.emit(code, detail)
