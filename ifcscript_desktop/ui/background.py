"""The one way the window does in-process work off the GUI thread (hashing a model, say).

Results and exceptions come back on the GUI thread through Qt signals. Tests swap the pool for
`SynchronousRunner` so nothing needs waiting for.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    finished = Signal(object)
    errored = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay

    def run(self) -> None:
        try:
            value = self.fn()
        except Exception as exc:  # routed to the caller's error handler on the GUI thread
            self._emit(self.relay.errored, exc)
        else:
            self._emit(self.relay.finished, value)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the window closed while the job ran: nobody is waiting for it
            pass


class BackgroundRunner:
    """Runs callables on Qt's thread pool and calls back on the GUI thread."""

    def __init__(self) -> None:
        self._relays: set[_Relay] = set()

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[Exception], None] | None = None) -> None:
        relay = _Relay()
        self._relays.add(relay)

        def done(value: Any) -> None:
            self._relays.discard(relay)
            on_done(value)

        def failed(exc: Exception) -> None:
            self._relays.discard(relay)
            if on_error:
                on_error(exc)
            else:
                log.error("background job failed: %s", exc)

        relay.finished.connect(done)
        relay.errored.connect(failed)
        QThreadPool.globalInstance().start(_Job(fn, relay))


class SynchronousRunner(BackgroundRunner):
    """For tests: runs the callable at once on the calling thread."""

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
               on_error: Callable[[Exception], None] | None = None) -> None:
        try:
            value = fn()
        except Exception as exc:
            if on_error:
                on_error(exc)
                return
            raise
        on_done(value)
