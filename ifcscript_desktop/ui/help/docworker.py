"""A worker without a model, so F1 on an ifcopenshell name is answered before any model is open.

Started at the first such question (a worker process takes about a second to import
ifcopenshell) and let go once a model's own worker can answer, or when the window closes.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject

from ifcscript_desktop.core.client import Request
from ifcscript_desktop.ui.worker_handle import WorkerHandle


class ModelFreeWorker(QObject):
    """Answers `doc` questions (ui.help.pane.DocSource) from a worker of its own."""

    def __init__(self, parent: QObject | None = None, command: list[str] | None = None) -> None:
        super().__init__(parent)
        self._command = command
        self._handle: WorkerHandle | None = None

    @property
    def is_open(self) -> bool:
        return True  # a `doc` question needs no model

    @property
    def running(self) -> bool:
        """Whether its worker process is up."""
        return self._handle is not None and self._handle.worker_running

    @property
    def worker_pid(self) -> int | None:
        return self._handle.worker_pid if self._handle is not None else None

    def query(self, op: str, fields: dict[str, Any],
              callback: Callable[[dict[str, Any]], None]) -> None:
        """Ask the worker (started now if need be); `callback(reply)` on the GUI thread."""
        if self._handle is None:
            self._handle = WorkerHandle(self, self._command)

        def answer(request: Request) -> None:
            callback(dict(request.reply or {"ok": False, "error": "The worker gave no answer."}))

        self._handle.client.send(op, fields, on_done=answer)

    def close(self) -> None:
        """Let the worker go (the next question starts another)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.close()
