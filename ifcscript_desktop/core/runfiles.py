"""Opening a file a run wrote as the untrusted data it is.

Everything in a run's output folder was written by the script. So the unsandboxed side (the
window, `ifcscript run --json`, `ifcscript history show`) never opens such a file the ordinary
way: a named pipe blocks the open or the read forever, a link can point at `/dev/zero` or at a
file the script may not read, and a sparse file claims a terabyte it never wrote.
`open_run_file` opens without following a link (neither the file's nor its folder's) and
without blocking, and checks that it got a regular file; the caller checks the size against
what it expects and reads in bounded blocks (`read_at`).
"""

from __future__ import annotations

import errno
import os
import stat

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FLAGS = (os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
          | getattr(os, "O_BINARY", 0))
_DIR_FLAGS = _FLAGS | getattr(os, "O_DIRECTORY", 0)
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
          (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISLNK, "a link"))


class RunFileError(ValueError):
    """A run's file that must not be read; the message ends a sentence ("it is a named pipe")."""


def open_run_file(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    """A read-only descriptor of the regular file `path` and its status (the caller closes it).

    Raises FileNotFoundError when it is gone, RunFileError when it is anything but a regular
    file reached without a link, OSError for the rest.
    """
    try:
        fd = _open(os.fspath(path))
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise RunFileError("it is a link, and links in a run's folder are not followed") from None
        if exc.errno == errno.ENXIO:
            raise RunFileError("it is a socket, not a file") from None
        if exc.errno == errno.ENOTDIR:
            raise RunFileError("its folder was replaced by a link or a file, and links in a "
                               "run's folder are not followed") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "something else")
            raise RunFileError(f"it is {kind}, not a file")
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def _open(path: str) -> int:
    """Open `path`, its last folder too without following a link (where the system can)."""
    if os.open not in os.supports_dir_fd or not _NOFOLLOW:
        return os.open(path, _FLAGS)
    folder, name = os.path.split(path)
    parent = os.open(folder or ".", _DIR_FLAGS)
    try:
        return os.open(name, _FLAGS, dir_fd=parent)
    finally:
        os.close(parent)


def read_at(fd: int, offset: int, size: int) -> bytes:
    """Up to `size` bytes at `offset` (fewer only at the end of the file)."""
    parts, got = [], 0
    while got < size:
        part = _pread(fd, size - got, offset + got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _pread(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows: no pread, and no one else reads this descriptor
    return os.read(fd, size)


def size_text(count: int) -> str:
    """A byte count for a sentence: `3.2 MB`, `1.0 TB`."""
    value = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024:
            return f"{count} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"
