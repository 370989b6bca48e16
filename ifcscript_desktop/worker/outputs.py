"""What a run left in its output folder, as the worker sees it (never as the script says).

The run's `outputs` are the regular files the worker finds in the folder after the child ended;
the quota is the folder's allocated size and entry count, measured while the run goes on and at
its end. Nothing here follows a symbolic link or trusts a name the script chose.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

#: Folders the runner itself writes into (table files, libraries' temporary files): not outputs.
INTERNAL_DIRS = (".tables", ".tmp")


@dataclass(frozen=True)
class Usage:
    """The output folder's allocated bytes and entry count (counting stops past a cap)."""

    bytes: int
    entries: int


@dataclass(frozen=True)
class Quota:
    max_bytes: int
    max_files: int

    def exceeded(self, usage: Usage) -> str | None:
        """The sentence naming the limit `usage` is over, or None."""
        if usage.bytes > self.max_bytes:
            return (f"The run wrote more than {_size(self.max_bytes)} into its output folder "
                    "(the outputs_max_bytes setting) and was stopped.")
        if usage.entries > self.max_files:
            return (f"The run created more than {self.max_files:,} files in its output folder "
                    "(the outputs_max_files setting) and was stopped.")
        return None


def measure(folder: str | os.PathLike[str], max_entries: int) -> Usage:
    """Walk `folder` without following links; stop counting once past `max_entries`."""
    total = entries = 0
    pending = [os.fspath(folder)]
    while pending and entries <= max_entries:
        try:
            with os.scandir(pending.pop()) as listing:
                for entry in listing:
                    entries += 1
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += info.st_blocks * 512
                    if stat.S_ISDIR(info.st_mode):
                        pending.append(entry.path)
                    if entries > max_entries:
                        break
        except OSError:
            continue
    return Usage(total, entries)


def scan(folder: str | os.PathLike[str], reported: list[str], limit: int) -> list[str]:
    """The regular files in `folder` (at most `limit`), absolute, in the order the child
    reported saving them, then the rest by name; symbolic links and the runner's own folders
    are left out, and so is anything the child reported that is not such a file."""
    root = os.path.realpath(folder)
    found: list[str] = []
    pending = [root]
    while pending and len(found) < limit:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                if not (current == root and entry.name in INTERNAL_DIRS):
                    pending.append(entry.path)
            elif stat.S_ISREG(info.st_mode):
                found.append(entry.path)
    found = found[:limit]
    present = set(found)
    first = [p for p in dict.fromkeys(os.path.normpath(r) for r in reported) if p in present]
    return first + sorted(present.difference(first))


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
