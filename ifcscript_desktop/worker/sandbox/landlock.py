"""Linux Landlock through raw system calls (no helper library), for the run child.

Landlock lets an unprivileged process take away its own access to the file system, to TCP
and (ABI 6+) to abstract unix sockets and signals outside its own domain. The restriction is
inherited by everything the process starts and can never be lifted. It also holds against
root: a root process keeps bypassing file permissions but not Landlock.

Only :func:`landlock_abi` and :func:`restrict` are meant for callers; the sandbox decides
which paths to grant.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Iterable
from pathlib import Path

# The generic syscall numbers (the same on x86_64, aarch64 and the other modern ABIs).
_SYS_CREATE_RULESET = 444
_SYS_ADD_RULE = 445
_SYS_RESTRICT_SELF = 446

_PR_SET_NO_NEW_PRIVS = 38
_CREATE_RULESET_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1

# File-system rights, with the ABI that introduced each.
FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13  # ABI 2
FS_TRUNCATE = 1 << 14  # ABI 3
FS_IOCTL_DEV = 1 << 15  # ABI 5

NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1  # ABI 4

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

_FS_ABI1 = (1 << 13) - 1
#: Rights that make sense on a file (the kernel rejects directory rights on a file rule).
_FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
_READ_RIGHTS = FS_READ_FILE | FS_READ_DIR
#: Granted on write paths. Not EXECUTE; not MAKE_CHAR/MAKE_BLOCK (a root child could create a
#: device node for the disk or /dev/mem and open it); not MAKE_SYM (a link in the output folder
#: would make the unsandboxed worker or window read a file elsewhere); not MAKE_SOCK/MAKE_FIFO
#: or IOCTL_DEV (nothing a script legitimately needs).
_WRITE_RIGHTS = (
    FS_WRITE_FILE | FS_READ_FILE | FS_READ_DIR | FS_REMOVE_DIR | FS_REMOVE_FILE
    | FS_MAKE_DIR | FS_MAKE_REG | FS_REFER | FS_TRUNCATE
)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc: ctypes.CDLL | None = None


def libc() -> ctypes.CDLL:
    """The C library (loaded once, errno kept for ctypes.get_errno)."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
        _libc.prctl.restype = ctypes.c_int
    return _libc


def _syscall(number: int, *args: object) -> int:
    result = int(libc().syscall(ctypes.c_long(number), *args))
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"landlock syscall {number}: {os.strerror(err)}")
    return result


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers, 0 when it has none (or it is disabled)."""
    try:
        return _syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(_CREATE_RULESET_VERSION))
    except (OSError, AttributeError):
        return 0


def handled_fs_rights(abi: int) -> int:
    """Every file-system right the ABI knows: all are handled, i.e. denied unless granted."""
    rights = _FS_ABI1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def set_no_new_privs() -> None:
    """PR_SET_NO_NEW_PRIVS: nothing executed can gain privileges (Landlock requires it)."""
    if libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(err)}")


def _add_path_rule(ruleset_fd: int, path: Path, rights: int, handled: int) -> bool:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return False  # a path that does not exist is simply not granted
    try:
        allowed = rights & handled
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            allowed &= _FILE_RIGHTS
        attr = _PathBeneathAttr(allowed_access=allowed, parent_fd=fd)
        _syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset_fd), ctypes.c_int(_RULE_PATH_BENEATH),
                 ctypes.byref(attr), ctypes.c_uint32(0))
        return True
    finally:
        os.close(fd)


def restrict(read_paths: Iterable[Path | str], write_paths: Iterable[Path | str]) -> int:
    """Restrict this process for good: read-only on ``read_paths``, read-write on ``write_paths``.

    Nothing else of the file system is reachable, nothing can be executed, TCP bind/connect are
    refused (ABI 4+) and abstract unix sockets and signals cannot leave the domain (ABI 6+).
    Sets PR_SET_NO_NEW_PRIVS. Paths that do not exist are skipped. Returns the ABI used; raises
    OSError when the kernel has no Landlock (the caller decides what that means).
    """
    abi = landlock_abi()
    if abi < 1:
        raise OSError("Landlock is not available on this kernel (or disabled at boot)")
    handled = handled_fs_rights(abi)
    attr = _RulesetAttr(handled_access_fs=handled)
    size = 8
    if abi >= 4:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        size = 24
    ruleset_fd = _syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                          ctypes.c_uint32(0))
    try:
        for path in read_paths:
            _add_path_rule(ruleset_fd, Path(path), _READ_RIGHTS, handled)
        for path in write_paths:
            _add_path_rule(ruleset_fd, Path(path), _WRITE_RIGHTS, handled)
        set_no_new_privs()
        _syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset_fd), ctypes.c_uint32(0))
    finally:
        os.close(ruleset_fd)
    return abi
