"""The triggers the window fires: a model opened, a model arrived in a watched folder.

On open: every enabled workflow whose trigger is `on_open` runs on the model the window just
opened. Watched folders: off until the user switches them on (the command `ifcscript workflow
watch` is the tool for a server); then every enabled `watch` workflow with a folder runs on
each model that arrives there complete. The folders are looked at off the GUI thread.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QTimer, Signal

from ifcscript_desktop.core import workflows
from ifcscript_desktop.core.store import Store
from ifcscript_desktop.core.workflows.watches import PollResult, WorkflowWatches
from ifcscript_desktop.ui.background import BackgroundRunner
from ifcscript_desktop.ui.workflows.runner import JobInfo, WorkflowRunner


def run_on_open(store: Store, runner: WorkflowRunner, path: str) -> list[JobInfo]:
    """Queue every enabled on-open workflow on the model at `path`."""
    jobs = []
    for workflow in workflows.enabled_with_trigger(store, "on_open"):
        info = runner.run(workflow.name, [path], trigger="on_open")
        if info is not None:
            jobs.append(info)
    return jobs


class FolderWatching(QObject):
    """Looks at the watched folders every `interval_ms` while on; queues what arrived."""

    #: Models arrived and their workflow was queued: workflow name, model paths.
    models_arrived = Signal(str, list)
    #: A watch stopped (its folder is gone): a sentence.
    watch_stopped = Signal(str)

    def __init__(self, store: Store, runner: WorkflowRunner, background: BackgroundRunner,
                 parent: QObject | None = None, interval_ms: int = 1000) -> None:
        super().__init__(parent)
        self._store = store
        self._runner = runner
        self._background = background
        self._watches: WorkflowWatches | None = None
        self._polling = False
        self.timer = QTimer(self, interval=interval_ms)
        self.timer.timeout.connect(self._on_tick)

    @property
    def active(self) -> bool:
        return self._watches is not None

    def set_active(self, on: bool) -> None:
        """Start (the models already in the folders are not run) or stop watching."""
        if on and self._watches is None:
            self._watches = WorkflowWatches()
            self.timer.start()
            self._on_tick()
        elif not on:
            self._watches = None
            self.timer.stop()

    def folders(self) -> dict[str, str]:
        return self._watches.folders() if self._watches else {}

    def _on_tick(self) -> None:
        watches = self._watches
        if watches is None or self._polling:
            return
        self._polling = True
        self._background.submit(lambda: self._poll(watches),
                                lambda result: self._on_polled(watches, result),
                                self._on_error)

    def _poll(self, watches: WorkflowWatches) -> PollResult:
        try:
            return watches.poll(self._store)
        finally:
            if threading.current_thread() is not threading.main_thread():
                self._store.close()  # this pool thread's connection

    def _on_polled(self, watches: WorkflowWatches, result: PollResult) -> None:
        self._polling = False
        if watches is not self._watches:
            return  # switched off (or on again) meanwhile
        for sentence in result.problems:
            self.watch_stopped.emit(sentence)
        for name, paths in result.ready:
            if self._runner.run(name, paths, trigger="watch") is not None:
                self.models_arrived.emit(name, paths)

    def _on_error(self, exc: Exception) -> None:
        self._polling = False
        self.watch_stopped.emit(f"The watched folders cannot be looked at: {exc}")
