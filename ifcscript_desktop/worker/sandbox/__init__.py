"""The sandbox of a run child: the OS layer here, the Python layer in :mod:`.guard`.

In the forked run child, before the script starts::

    notes = enter_os_sandbox(policy)            # fds, environment, Landlock, seccomp, limits
    script_builtins = install_python_guard(policy, on_refusal)
    globals_ = {"__builtins__": script_builtins, "__name__": "__main__",
                "np": guard_module(numpy), "pd": guard_module(pandas), ...}
    check_source(code, filename)                # Refused names the line
    code_object = compile(code, filename, "exec", dont_inherit=True)
    arm_python_guard()
    exec(code_object, globals_)

``notes`` name what could not be applied on this machine (e.g. no Landlock): the run log
shows them. Once armed, the audit hook watches the whole process, the runner included, so the
runner opens its pipe file objects before arming and primes ``linecache`` with the script's
source if its filename is a real path (formatting a traceback must not read files elsewhere).
Everything here is one-way for the process; never call it in the worker itself.
"""

from __future__ import annotations

import ctypes
import os
import platform
import posix
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import landlock, seccomp
from .guard import (ALLOWED_MODULES, ModuleProxy, SandboxEnviron, arm_python_guard,
                            guard_module, module_allowed)
from .guard import install_python_guard as _install_python_guard
from .libraries import prepare_libraries
from .policy import PathRules, Policy, Refused, python_paths
from .source import check_source

__all__ = [
    "ALLOWED_MODULES", "ModuleProxy", "Policy", "Refused", "arm_python_guard", "check_source",
    "enter_os_sandbox", "guard_module", "install_python_guard", "module_allowed",
    "prepare_sandbox",
]

#: The rules enter_os_sandbox resolved, reused by install_python_guard (same policy object):
#: once the environment is cleared and Landlock applied, resolving again could differ.
_RESOLVED: dict[int, tuple[Policy, PathRules]] = {}

# Capabilities a root child keeps: file access, which Landlock confines anyway.
_KEPT_CAPABILITIES = (1 << 1) | (1 << 2) | (1 << 3)  # DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER
_CAPSET = {"x86_64": (125, 126), "aarch64": (90, 91), "arm64": (90, 91)}  # capget, capset


def prepare_sandbox() -> None:
    """In the worker before it forks: resolve what every run child would resolve again (the
    Python installation's paths, the C library; saves each child about 1 ms) and read what
    libraries would read from system files the sandbox refuses (openpyxl's mimetypes)."""
    python_paths()
    landlock.libc()
    prepare_libraries()  # what libraries read from system files (mimetypes) is read here


def enter_os_sandbox(policy: Policy) -> list[str]:
    """Apply the OS layer to this process for good; return notes on what could not be applied.

    Closes every descriptor but 0, 1, 2 and ``policy.keep_fds``; empties the environment;
    PR_SET_NO_NEW_PRIVS; Landlock (read-only: Python installation, system libraries, granted
    files; read-write: the output folder; no execution, no TCP); no new sockets (seccomp);
    RLIMIT_AS = current size + budget, RLIMIT_CPU, no core dumps; drops root's capabilities.
    """
    notes: list[str] = []
    Path(policy.output_dir).mkdir(parents=True, exist_ok=True)
    rules = PathRules.from_policy(policy)
    _RESOLVED.clear()
    _RESOLVED[id(policy)] = (policy, rules)
    size = _virtual_size()
    _close_descriptors(policy.keep_fds)
    _clear_environment()
    try:
        abi = landlock.restrict(rules.landlock_read_paths(), [rules.output_dir])
    except OSError as exc:
        notes.append(f"Landlock is not available on this system ({exc.strerror or exc}): files, "
                     "the network and other programs are guarded by the Python layer only.")
        try:
            landlock.set_no_new_privs()
        except OSError as nnp:
            notes.append(f"PR_SET_NO_NEW_PRIVS failed ({nnp.strerror or nnp}).")
    else:
        if abi < 4:
            notes.append(f"This kernel's Landlock (ABI {abi}) cannot block TCP: the network is "
                         "guarded by the Python layer and the socket filter only.")
        if abi < 6:
            notes.append(f"This kernel's Landlock (ABI {abi}) cannot confine signals and "
                         "abstract unix sockets to the run.")
    try:
        seccomp.confine()
    except OSError as exc:
        notes.append(f"The socket and process filter (seccomp) could not be applied ({exc.strerror or exc}).")
    notes += _set_limits(policy, size)
    notes += _drop_capabilities()
    return notes


def install_python_guard(policy: Policy, on_refusal: Callable[[str], None]) -> dict[str, Any]:
    """Install the Python layer; return the ``__builtins__`` for the script's globals.

    ``on_refusal(sentence)`` is called for every refusal the moment it happens (so a script
    catching the exception cannot hide it). The audit hook is inert until
    :func:`arm_python_guard`, so the run's setup may still import and read freely.
    """
    cached = _RESOLVED.get(id(policy))
    rules = cached[1] if cached is not None and cached[0] is policy else None
    return _install_python_guard(policy, on_refusal, rules)


def _virtual_size() -> int:
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _close_descriptors(keep_fds: tuple[int, ...]) -> None:
    keep = sorted({0, 1, 2, *(fd for fd in keep_fds if fd >= 0)})
    try:
        highest = max(int(name) for name in os.listdir("/proc/self/fd"))
    except (OSError, ValueError):
        highest = os.sysconf("SC_OPEN_MAX")
    low = 0
    for fd in keep:
        if fd > low:
            os.closerange(low, fd)
        low = fd + 1
    if highest >= low:
        os.closerange(low, highest + 1)


def _clear_environment() -> None:
    os.environ.clear()  # unsetenv() for each variable; os.environ shares posix.environ's dict
    posix.environ.clear()
    try:
        landlock.libc().clearenv()
    except (OSError, AttributeError):
        pass
    os.environ = SandboxEnviron()  # type: ignore[assignment]


def _set_limits(policy: Policy, size: int) -> list[str]:
    notes: list[str] = []
    limits = [(resource.RLIMIT_CORE, 0, 0, "core dumps")]
    if policy.memory_bytes is not None:
        budget = size + policy.memory_bytes
        limits.append((resource.RLIMIT_AS, budget, budget, "the memory limit"))
    if policy.file_bytes is not None:
        # Python ignores SIGXFSZ, so a write past it fails with EFBIG instead of killing.
        limits.append((resource.RLIMIT_FSIZE, policy.file_bytes, policy.file_bytes,
                       "the file size limit"))
    if policy.cpu_seconds is not None:
        limits.append((resource.RLIMIT_CPU, policy.cpu_seconds, policy.cpu_seconds + 1,
                       "the CPU-time limit"))
    for kind, soft, hard, name in limits:
        try:
            _, current_hard = resource.getrlimit(kind)
            if current_hard != resource.RLIM_INFINITY:
                soft, hard = min(soft, current_hard), min(hard, current_hard)
            resource.setrlimit(kind, (soft, hard))
        except (OSError, ValueError) as exc:
            notes.append(f"Could not set {name} ({exc}).")
    return notes


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _drop_capabilities() -> list[str]:
    """A root child keeps only file-access capabilities (no mknod, modules, raw I/O, ptrace...)."""
    numbers = _CAPSET.get(platform.machine())
    if numbers is None:
        return [] if os.geteuid() else [
            f"Root's capabilities could not be dropped on {platform.machine()}."]
    libc = landlock.libc()
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    if libc.syscall(numbers[0], ctypes.byref(header), data) != 0:
        return [f"Could not read the capabilities ({os.strerror(ctypes.get_errno())})."]
    if not any(d.effective or d.permitted for d in data):
        return []
    data[0].effective &= _KEPT_CAPABILITIES
    data[0].permitted &= _KEPT_CAPABILITIES
    data[0].inheritable = 0
    data[1].effective = data[1].permitted = data[1].inheritable = 0
    if libc.syscall(numbers[1], ctypes.byref(header), data) != 0:
        return [f"Could not drop root's capabilities ({os.strerror(ctypes.get_errno())})."]
    return []
