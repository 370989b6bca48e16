"""What a run may touch: the policy, the paths it grants, and how a refusal is worded.

Shared by the OS layer (Landlock rules) and the Python layer (audit hook, restricted builtins,
ifcopenshell patches) so both grant exactly the same paths.
"""

from __future__ import annotations

import functools
import os
import site
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path, PosixPath, PurePosixPath

#: System folders the interpreter and the native libraries read from (read-only).
SYSTEM_READ_PATHS: tuple[str, ...] = (
    "/usr/lib", "/lib", "/lib64", "/usr/lib64", "/usr/local/lib", "/usr/share/zoneinfo",
    "/etc/ld.so.cache", "/etc/localtime",
)

READ_WHY = "scripts may only read the model and the files given as parameters"
WRITE_WHY = "scripts may only write into their output folder: use save_output"
NET_WHY = "scripts may not use the network"
PROCESS_WHY = "scripts may not start other programs or signal other processes"
NATIVE_WHY = "scripts may not load or call native code"
ENV_WHY = "scripts may not read the environment: use parameters"
INTERNALS_WHY = "scripts may not reach the interpreter's internals (frames, globals, code objects)"
LINK_WHY = "scripts may not create links"


class Refused(PermissionError):
    """The sandbox refused an operation; ``str(exc)`` is the sentence shown to the user.

    ``line`` is the script's line when the refusal comes from the source check.
    """

    line: int | None = None


def sentence(what: str, why: str) -> str:
    """The refusal as the user reads it."""
    return f"The sandbox refused: {what} ({why})"


@dataclass
class Policy:
    """What one run may do: its output folder, the files it may read, and its limits."""

    output_dir: Path
    read_paths: list[Path] = field(default_factory=list)
    memory_bytes: int | None = None
    cpu_seconds: int | None = None
    file_bytes: int | None = None  # the largest file the run may write (RLIMIT_FSIZE)
    keep_fds: tuple[int, ...] = ()


def _exclusions() -> set[str]:
    """Folders never granted as "Python installation" even when on sys.path (cwd, home, /)."""
    excluded = {"/", os.path.realpath(os.getcwd())}
    home = os.environ.get("HOME") or os.path.expanduser("~")
    if home and home != "~":
        excluded.add(os.path.realpath(home))
    return excluded


@functools.lru_cache(maxsize=1)
def python_paths() -> tuple[str, ...]:
    """The Python installation: prefixes, stdlib, site-packages and the sys.path entries.

    Cached: calling it once in the worker saves each run child about a millisecond.
    """
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    candidates += [p for key, p in sysconfig.get_paths().items()
                   if key in ("stdlib", "platstdlib", "purelib", "platlib")]
    try:
        candidates += site.getsitepackages()
    except AttributeError:  # some embedded interpreters have no getsitepackages
        pass
    candidates += [p for p in sys.path if isinstance(p, str) and p not in ("", ".")]
    # The app's own package, wherever it is installed from (an editable install is not on sys.path).
    candidates.append(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    excluded = _exclusions()
    result: list[str] = []
    for candidate in candidates:
        real = os.path.realpath(candidate)
        if real in excluded or real in result or not os.path.exists(real):
            continue
        result.append(real)
    return tuple(result)


def _under(path: str, roots: tuple[str, ...]) -> bool:
    for root in roots:
        if path == root or path.startswith(root + "/") or root == "/":
            return True
    return False


def exact_str(value: object) -> str | None:
    """``value`` as a plain ``str`` (a copy for subclasses, whose methods could lie), else None.

    Only ``type()`` is consulted, never ``isinstance`` (which trusts a ``__class__`` property):
    the checks must not run code of the script's making.
    """
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if issubclass(kind, str):
        return "".__add__(value)  # type: ignore[operator]
    return None


def type_name(value: object) -> str:
    """The name of ``value``'s class, read without running any code of that class."""
    return str(_QUALNAME.__get__(type(value)))


_QUALNAME = vars(type)["__qualname__"]


def as_path(value: object) -> str | None:
    """A path argument as an exact ``str``, or None when it is not a plain path.

    Only ``str``, ``bytes`` and the standard pathlib classes are accepted: a script's own
    path-like object could answer differently each time it is asked (checked path vs. opened
    path), and subclasses are copied for the same reason.
    """
    kind = type(value)
    if issubclass(kind, str):
        return exact_str(value)
    if issubclass(kind, (bytes, bytearray)):
        return os.fsdecode(b"".__add__(value))  # type: ignore[operator]
    if kind in (PosixPath, PurePosixPath):
        return str(value)
    if kind is os.DirEntry:
        return as_path(value.path)  # type: ignore[attr-defined]
    return None


def resolve(path: str) -> str:
    """The absolute path with every symbolic link resolved (what the kernel will open)."""
    return os.path.realpath(os.path.join(os.getcwd(), path))


@dataclass(frozen=True)
class PathRules:
    """The folders and files a run may read or write, as resolved absolute paths."""

    output_dir: str
    granted: tuple[str, ...]
    python: tuple[str, ...]
    system: tuple[str, ...]

    @classmethod
    def from_policy(cls, policy: Policy) -> "PathRules":
        """Resolve the policy's paths (and the Python installation) once."""
        return cls(
            output_dir=os.path.realpath(policy.output_dir),
            granted=tuple(os.path.realpath(p) for p in policy.read_paths),
            python=python_paths(),
            system=tuple(os.path.realpath(p) for p in SYSTEM_READ_PATHS if os.path.exists(p)),
        )

    def landlock_read_paths(self) -> list[str]:
        """Everything granted read-only at the OS level."""
        return list(dict.fromkeys(self.python + self.system + self.granted))

    def may_read(self, real: str) -> bool:
        """Any read the interpreter or a library may do: installation, system libraries, grants."""
        return _under(real, (self.output_dir,) + self.granted + self.python + self.system)

    def may_read_data(self, real: str) -> bool:
        """A data file the script itself may open: the granted files and its output folder."""
        return _under(real, (self.output_dir,) + self.granted)

    def may_write(self, real: str) -> bool:
        """Only inside the output folder."""
        return _under(real, (self.output_dir,))

    def may_load_code(self, real: str) -> bool:
        """Modules (Python or native) may only come from the Python installation."""
        return _under(real, self.python)
