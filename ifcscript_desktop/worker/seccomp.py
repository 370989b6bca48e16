"""A seccomp filter for the run child: no new sockets of any kind.

Landlock (ABI <= 7) controls TCP only; UDP, raw and unix sockets (a path such as
``/var/run/docker.sock``) stay reachable to native code. Nothing a script legitimately does
needs a socket, so ``socket()`` fails with EACCES (and ``io_uring_setup``, which could create
sockets behind the filter's back). Existing descriptors (the run's pipes) are unaffected.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

from .landlock import libc

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_ABS_W = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06

#: machine -> (audit arch, socket, io_uring_setup, lowest syscall number of a foreign ABI)
_ARCHES = {
    "x86_64": (0xC000003E, 41, 425, 0x40000000),  # x32 syscalls have bit 30 set
    "aarch64": (0xC00000B7, 198, 425, None),
    "arm64": (0xC00000B7, 198, 425, None),
}


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def deny_sockets() -> None:
    """Install the filter (needs PR_SET_NO_NEW_PRIVS first). Raises OSError where unsupported."""
    arch = _ARCHES.get(platform.machine())
    if arch is None:
        raise OSError(errno.ENOSYS, f"no seccomp filter for the {platform.machine()} architecture")
    audit_arch, socket_nr, io_uring_nr, foreign = arch
    deny = _RET_ERRNO | errno.EACCES
    # Each test jumps to the last instruction (deny) on a match; the jump offsets count from
    # the next instruction.
    body: list[tuple[int, int]] = []  # (opcode, constant) of the syscall-number tests
    if foreign is not None:
        body.append((_JGE_K, foreign))
    body += [(_JEQ_K, socket_nr), (_JEQ_K, io_uring_nr)]
    program = [(_LD_ABS_W, 0, 0, 4), (_JEQ_K, 0, len(body) + 2, audit_arch),
               (_LD_ABS_W, 0, 0, 0)]
    for index, (opcode, constant) in enumerate(body):
        program.append((opcode, len(body) - index, 0, constant))
    program += [(_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, deny)]
    instructions = (_Instruction * len(program))(*[_Instruction(*i) for i in program])
    prog = _Program(len(program), instructions)
    if libc().prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp filter: {os.strerror(err)}")
