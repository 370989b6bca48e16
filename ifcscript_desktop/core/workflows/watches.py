"""The watched folders of every enabled watch workflow, looked at together. Qt-free.

The window calls `WorkflowWatches.poll` now and then (off its GUI thread). Each enabled
workflow whose trigger is `watch` with a folder gets a `core.workflows.folderwatch.FolderWatcher`: models
already in the folder when the watch starts are not run; a model that arrives runs once it is
completely written, once per change. A folder that disappears is reported once and its watch
stops until the workflow's folder changes or the watches are started again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ifcscript_desktop.core.store import Store
from ifcscript_desktop.core.workflows.folderwatch import FolderWatcher, WatchFolderGone
from ifcscript_desktop.core.workflows import enabled_with_trigger, trigger_folder


@dataclass
class PollResult:
    """Models ready to run, by workflow name, and sentences about watches that stopped."""

    ready: list[tuple[str, list[str]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class WorkflowWatches:
    """One FolderWatcher per enabled watch workflow; `poll()` is not to be called concurrently."""

    def __init__(self) -> None:
        self._watchers: dict[str, tuple[str, FolderWatcher]] = {}
        self._gone: dict[str, str] = {}  # workflow -> the folder reported gone

    def folders(self) -> dict[str, str]:
        """The folders being watched, by workflow name."""
        return {name: folder for name, (folder, _) in self._watchers.items()}

    def poll(self, store: Store) -> PollResult:
        result = PollResult()
        wanted = {}
        for workflow in enabled_with_trigger(store, "watch"):
            folder = trigger_folder(workflow.trigger)
            if folder:
                wanted[str(workflow.name)] = folder
        for name in list(self._watchers):
            if self._watchers[name][0] != wanted.get(name):
                del self._watchers[name]
        for name in list(self._gone):
            if self._gone[name] != wanted.get(name):
                del self._gone[name]
        for name, folder in wanted.items():
            if name in self._watchers or name in self._gone:
                continue
            try:
                self._watchers[name] = (folder, FolderWatcher(folder))
            except WatchFolderGone as exc:
                self._stop(name, folder, exc, result)
        for name, (folder, watcher) in list(self._watchers.items()):
            try:
                ready = watcher.poll()
            except WatchFolderGone as exc:
                del self._watchers[name]
                self._stop(name, folder, exc, result)
                continue
            if ready:
                result.ready.append((name, [str(path) for path in ready]))
        return result

    def _stop(self, name: str, folder: str, exc: WatchFolderGone, result: PollResult) -> None:
        self._gone[name] = folder
        result.problems.append(f'Workflow "{name}": {exc} The watch stopped.')
