"""What a run left in its output folder, as the worker sees it (never as the script says).

The run's `outputs` are the regular files the worker finds in the folder after the child ended;
the quota is the folder's allocated size and entry count, measured while the run goes on and at
its end, plus files the child holds open but has unlinked (or made with O_TMPFILE): space it
uses that no folder shows. Folders are walked by descriptor (`os.fwalk`), so nesting past
PATH_MAX hides nothing, and a folder the worker cannot look into counts as a breach. Nothing
here follows a symbolic link or trusts a name the script chose.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Generator
from dataclasses import dataclass
from typing import cast

#: Folders the runner itself writes into (table files, libraries' temporary files): not outputs.
INTERNAL_DIRS = (".tables", ".tmp")
_Walk = Generator[tuple[str, list[str], list[str], int], None, None]
#: Longer paths cannot be opened by path by whoever reads the outputs: not listed as outputs.
MAX_OUTPUT_PATH = 4000


@dataclass(frozen=True)
class Usage:
    """The output folder's allocated bytes and entry count (counting stops past a cap)."""

    bytes: int
    entries: int
    hidden: bool = False  # a folder in it could not be looked into
    unmeasured: int = 0  # deleted files the run keeps mapped whose size cannot be read


@dataclass(frozen=True)
class Quota:
    max_bytes: int
    max_files: int

    def exceeded(self, usage: Usage) -> str | None:
        """The sentence naming the limit `usage` is over, or None."""
        if usage.hidden:
            return ("The run made a folder in its output folder that cannot be looked into, so "
                    "its size cannot be checked (outputs_max_bytes), and was stopped.")
        if usage.unmeasured:
            return ("The run kept files it had deleted mapped in memory, whose size cannot be "
                    "checked (outputs_max_bytes), and was stopped.")
        if usage.bytes > self.max_bytes:
            return (f"The run wrote more than {_size(self.max_bytes)} into its output folder "
                    "(the outputs_max_bytes setting) and was stopped.")
        if usage.entries > self.max_files:
            return (f"The run created more than {self.max_files:,} files in its output folder "
                    "(the outputs_max_files setting) and was stopped.")
        return None


def measure(folder: str | os.PathLike[str], max_entries: int, pid: int | None = None,
            found: list[str] | None = None) -> Usage:
    """Walk `folder` without following links; stop counting once past `max_entries`. With
    `pid`, also count the regular files that process holds open with no name left. With
    `found`, also collect the run's output files on the same walk (see `ordered`): regular
    files outside the runner's own folders, with clean names and paths short enough to open."""
    total = entries = 0
    hidden = False
    seen: set[tuple[int, int]] = set()

    def unreadable(error: OSError) -> None:
        nonlocal hidden
        hidden = hidden or not isinstance(error, FileNotFoundError)

    if not os.path.isdir(folder):
        return Usage(0, 0)
    root = os.fspath(folder)
    walk = cast(_Walk, os.fwalk(root, onerror=unreadable))  # a generator: closed below
    try:
        for top, dirs, files, dir_fd in walk:
            relative = os.path.relpath(top, root)
            sink = None if relative.split(os.sep)[0] in INTERNAL_DIRS else found
            for name in dirs + files:
                entries += 1
                try:
                    info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    unreadable(exc)
                    continue
                total += info.st_blocks * 512
                seen.add((info.st_dev, info.st_ino))
                if sink is not None and stat.S_ISREG(info.st_mode):
                    path = os.path.join(top, name)
                    if _clean(os.path.join(relative, name)) and len(path) <= MAX_OUTPUT_PATH:
                        sink.append(path)
            if entries > max_entries or hidden:
                break
    finally:
        walk.close()
    unmeasured = 0
    if pid is not None:
        total += _unnamed_open_files(pid, seen)
        mapped, unmeasured = _unnamed_mapped_files(pid, os.path.realpath(folder), seen)
        total += mapped
    return Usage(total, entries, hidden, unmeasured)


def _unnamed_mapped_files(pid: int, folder: str, seen: set[tuple[int, int]]) -> tuple[int, int]:
    """Allocated bytes of the deleted files from `folder` that `pid` keeps mapped (a file
    mapped, then unlinked and closed, has no descriptor left), and how many of them could not
    be measured (reading /proc/PID/map_files needs CAP_SYS_ADMIN)."""
    total = unmeasured = 0
    try:
        with open(f"/proc/{pid}/maps") as maps:
            lines = maps.readlines()
    except OSError:
        return 0, 0
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or not fields[5].rstrip("\n").endswith(" (deleted)"):
            continue
        path = fields[5].rstrip("\n")[: -len(" (deleted)")]
        if not path.startswith(folder + "/"):
            continue
        major, minor = (int(part, 16) for part in fields[3].split(":"))
        key = (os.makedev(major, minor), int(fields[4]))
        if key in seen:
            continue
        seen.add(key)
        try:
            total += os.stat(f"/proc/{pid}/map_files/{fields[0]}").st_blocks * 512
        except OSError:
            unmeasured += 1
    return total, unmeasured


def _unnamed_open_files(pid: int, seen: set[tuple[int, int]]) -> int:
    """Allocated bytes of the regular files `pid` holds open that no longer have a name."""
    total = 0
    base = f"/proc/{pid}/fd"
    try:
        descriptors = os.listdir(base)
    except OSError:
        return 0
    for fd in descriptors:
        try:
            info = os.stat(f"{base}/{fd}")
        except OSError:
            continue
        key = (info.st_dev, info.st_ino)
        if stat.S_ISREG(info.st_mode) and info.st_nlink == 0 and key not in seen:
            seen.add(key)
            total += info.st_blocks * 512
    return total


def ordered(found: list[str], reported: list[str], limit: int) -> list[str]:
    """The run's outputs (at most `limit`): the files `measure` found, in the order the child
    reported saving them, then the rest by name; what the child reported is only an order."""
    present = sorted(found)[:limit]
    kept = set(present)
    first = [p for p in dict.fromkeys(os.path.normpath(r) for r in reported) if p in kept]
    chosen = set(first)
    return first + [p for p in present if p not in chosen]


def _clean(name: str) -> bool:
    """A name that reads the same everywhere: valid UTF-8, no control characters."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes, kept by Python as surrogates
        return False
    return not any(ord(c) < 32 or ord(c) == 127 for c in name)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
