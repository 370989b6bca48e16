"""Watching a folder for models that arrive: polling, portable, never a half-written file.

A `.ifc` or `.ifczip` file in the folder is *ready* once

- it is unchanged (same inode, size and modification time) over two polls in a row, and
- it is complete: a STEP file ends with the trailer `END-ISO-10303-21;` (trailing whitespace
  allowed), a zip file has a readable central directory holding an `.ifc` member.

A file that changed since the previous poll is looked at again after `SETTLE_S` rather than a
whole interval (`FolderWatcher.changing`), so a model that arrives runs a fraction of a second
after it is closed, while the folder is still scanned only once per interval when it is quiet.

Each change of a file (a new inode, size or modification time) is handed out once: a file is
never run twice for one change, and runs again when it is replaced or rewritten. Files already
in the folder when the watch starts are not new, unless `include_existing` is set. A folder
that disappears raises `WatchFolderGone`. Qt-free, stdlib only.
"""

from __future__ import annotations

import os
import threading
import time
import zipfile
from pathlib import Path
from typing import Callable

SUFFIXES = (".ifc", ".ifczip")
STEP_TRAILER = b"END-ISO-10303-21;"
_TAIL_BYTES = 4096
#: The pause before the second look at a file that just changed (see the module's docstring).
SETTLE_S = 0.15

Signature = tuple[int, int, int]  # inode, size, mtime_ns


class WatchFolderGone(Exception):
    """The watched folder is gone (deleted, renamed or unmounted); the message says which."""


def is_complete(path: str | os.PathLike[str]) -> bool:
    """Whether a model file looks completely written (STEP trailer, or a whole zip)."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".ifczip":
            with zipfile.ZipFile(path) as archive:
                return any(name.lower().endswith(".ifc") for name in archive.namelist())
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            size = stream.tell()
            stream.seek(max(0, size - _TAIL_BYTES))
            return stream.read().rstrip().endswith(STEP_TRAILER)
    except (OSError, zipfile.BadZipFile, EOFError):
        return False


class FolderWatcher:
    """Call `poll()` now and then; it returns the files that became ready since the last call."""

    def __init__(self, folder: str | os.PathLike[str], include_existing: bool = False) -> None:
        self.folder = Path(folder).absolute()
        self._seen: dict[Path, Signature] = {}  # what the last poll saw
        self._handled: dict[Path, Signature] = {}  # the change each file last ran for
        #: Whether the last poll saw a file change that has not run yet: look again soon.
        self.changing = False
        if not self.folder.is_dir():
            raise WatchFolderGone(f"The folder {self.folder} does not exist.")
        if not include_existing:
            self._handled = dict(self._scan())

    def poll(self) -> list[Path]:
        """The files ready now, each change once, sorted by name."""
        current = self._scan()
        ready = []
        self.changing = False
        for path, signature in sorted(current.items()):
            if self._handled.get(path) == signature:
                continue
            if self._seen.get(path) != signature:
                self.changing = True
            elif is_complete(path):
                self._handled[path] = signature
                ready.append(path)
        self._seen = current
        for path in list(self._handled):
            if path not in current:
                del self._handled[path]  # a file that comes back is new again
        return ready

    def _scan(self) -> dict[Path, Signature]:
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            raise WatchFolderGone(f"The watched folder {self.folder} is gone.") from None
        except NotADirectoryError:
            raise WatchFolderGone(f"The watched folder {self.folder} is no longer a folder.") from None
        except OSError as exc:
            raise WatchFolderGone(f"The watched folder {self.folder} cannot be read: "
                                  f"{exc.strerror}.") from None
        found: dict[Path, Signature] = {}
        for entry in entries:
            if not entry.name.lower().endswith(SUFFIXES) or entry.name.startswith("."):
                continue
            try:
                if not entry.is_file():
                    continue
                stat = entry.stat()
            except OSError:
                continue  # removed between the listing and the stat
            found[Path(entry.path)] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        return found


def watch(watcher: FolderWatcher, on_ready: Callable[[list[Path]], None], *,
          interval_s: float = 0.5, max_runs: int | None = None, timeout_s: float | None = None,
          stop: threading.Event | None = None) -> int:
    """Poll until stopped; hand each batch of ready files to `on_ready`; return how many ran.

    Stops after `max_runs` files, after `timeout_s` seconds, or when `stop` is set; raises
    `WatchFolderGone` if the folder disappears.
    """
    stop = stop or threading.Event()
    deadline = time.monotonic() + timeout_s if timeout_s is not None else None
    count = 0
    while not stop.is_set():
        ready = watcher.poll()
        if max_runs is not None:
            ready = ready[:max_runs - count]
        if ready:
            on_ready(ready)
            count += len(ready)
        if max_runs is not None and count >= max_runs:
            break
        wait = min(interval_s, SETTLE_S) if watcher.changing else interval_s
        if deadline is not None:
            wait = min(wait, deadline - time.monotonic())
            if wait <= 0:
                break
        stop.wait(wait)
    return count
