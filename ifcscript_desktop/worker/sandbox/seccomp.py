"""A seccomp filter for the run child: no new sockets, no new processes.

Landlock (ABI <= 7) controls TCP only; UDP, raw and unix sockets (a path such as
``/var/run/docker.sock``) stay reachable to native code. Nothing a script legitimately does
needs a socket, so ``socket()`` fails with EACCES (and ``io_uring_setup``, which could create
sockets behind the filter's back). Existing descriptors (the run's pipes) are unaffected.

Nor does a script need a process of its own: a grandchild could outlive the run, keep its pipes
open past the timeout, or leave the run's process group. So ``fork``, ``vfork``, ``clone``
without ``CLONE_THREAD``, ``setsid`` and ``setpgid`` fail with EPERM; ``clone3`` (whose flags sit
in a struct a filter cannot read) fails with ENOSYS, on which the C library falls back to
``clone`` for threads: numpy's, OpenBLAS's and Python's threads keep working.

And none of what Landlock does not cover: ``prlimit64`` on another process (it could set a CPU
limit of one second on any process of the same user), ``memfd_create``/``memfd_secret`` (memory
outside the address-space limit), the kernel keyrings (``add_key``, ``request_key``,
``keyctl``: a session's keys), namespaces (``unshare``, ``setns``), ``ptrace``,
``userfaultfd`` and System V IPC (``shm*``, ``sem*``, ``msg*``: other programs' shared memory,
and memory that outlives the run): all fail with EPERM. ``socketpair`` fails like ``socket``
(an unnamed unix socket can still send to any named datagram socket, and pass descriptors).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
from dataclasses import dataclass

from .landlock import libc

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_ABS_W = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_CLONE_THREAD = 0x00010000
#: Offsets in struct seccomp_data: nr, arch, then the arguments (the low word of the first
#: on little-endian machines).
_NR, _ARCH, _ARG0_LOW = 0, 4, 16


@dataclass(frozen=True)
class _Arch:
    audit: int
    socket: int
    io_uring_setup: int
    clone: int
    clone3: int
    prlimit64: int
    socketpair: int
    #: fork, vfork (where they exist), setsid, setpgid; memfd_create, memfd_secret; add_key,
    #: request_key, keyctl; unshare, setns; ptrace; userfaultfd; System V shm, sem, msg
    denied: tuple[int, ...]
    foreign: int | None = None  # the lowest syscall number of a foreign ABI (x32)


_ARCHES = {
    "x86_64": _Arch(0xC000003E, socket=41, io_uring_setup=425, clone=56, clone3=435,
                    prlimit64=302, socketpair=53,
                    denied=(57, 58, 112, 109, 319, 447, 248, 249, 250, 272, 308, 101, 323,
                            29, 30, 31, 67, 64, 65, 66, 220, 68, 69, 70, 71),
                    foreign=0x40000000),
    "aarch64": _Arch(0xC00000B7, socket=198, io_uring_setup=425, clone=220, clone3=435,
                     prlimit64=261, socketpair=199,
                     denied=(157, 154, 279, 447, 217, 218, 219, 97, 268, 117, 282,
                             *range(186, 198))),
}
_ARCHES["arm64"] = _ARCHES["aarch64"]


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def _assemble(lines: list[tuple[int, int | str, int | str, int]]) -> list[tuple[int, int, int, int]]:
    """Resolve jump targets given as label names into offsets (BPF jumps only forward).

    A line with code -1 is a label: it names the next instruction and emits nothing.
    """
    labels = {name: i for i, (code, name, _, _) in enumerate(lines) if code == -1}
    program: list[tuple[int, int, int, int]] = []
    positions: list[int] = []
    for code, *_ in lines:
        positions.append(len(program))
        if code != -1:
            program.append((0, 0, 0, 0))
    for index, (code, jt, jf, k) in enumerate(lines):
        if code == -1:
            continue
        here = positions[index]

        def offset(target: int | str) -> int:
            if isinstance(target, int):
                return target
            distance = positions[labels[target]] - here - 1
            assert 0 <= distance < 256, f"jump to {target} cannot be encoded"
            return distance

        program[here] = (code, offset(jt), offset(jf), k)
    return program


def build_program(machine: str) -> list[tuple[int, int, int, int]]:
    """The filter for ``machine`` as (code, jt, jf, k) instructions."""
    arch = _ARCHES[machine]
    deny_access = _RET_ERRNO | errno.EACCES
    deny_process = _RET_ERRNO | errno.EPERM
    lines: list[tuple[int, int | str, int | str, int]] = [
        (_LD_ABS_W, 0, 0, _ARCH),
        (_JEQ_K, 0, "access", arch.audit),
        (_LD_ABS_W, 0, 0, _NR),
    ]
    if arch.foreign is not None:
        lines.append((_JGE_K, "access", 0, arch.foreign))
    lines += [(_JEQ_K, "access", 0, number)
              for number in (arch.socket, arch.socketpair, arch.io_uring_setup)]
    lines += [(_JEQ_K, "process", 0, number) for number in arch.denied]
    lines += [
        (_JEQ_K, "nosys", 0, arch.clone3),
        (_JEQ_K, "clone", 0, arch.clone),
        (_JEQ_K, "prlimit", 0, arch.prlimit64),
        (_RET_K, 0, 0, _RET_ALLOW),
        (-1, "clone", 0, 0), (_LD_ABS_W, 0, 0, _ARG0_LOW),
        (_JSET_K, "thread", "process", _CLONE_THREAD),
        (-1, "thread", 0, 0), (_RET_K, 0, 0, _RET_ALLOW),
        # prlimit64(0, ...) is this process (what setrlimit and getrlimit call); any pid is not.
        (-1, "prlimit", 0, 0), (_LD_ABS_W, 0, 0, _ARG0_LOW),
        (_JEQ_K, 0, "process", 0), (_LD_ABS_W, 0, 0, _ARG0_LOW + 4),
        (_JEQ_K, "self", "process", 0),
        (-1, "self", 0, 0), (_RET_K, 0, 0, _RET_ALLOW),
        (-1, "process", 0, 0), (_RET_K, 0, 0, deny_process),
        (-1, "nosys", 0, 0), (_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS),
        (-1, "access", 0, 0), (_RET_K, 0, 0, deny_access),
    ]
    return _assemble(lines)


def confine() -> None:
    """Install the filter (needs PR_SET_NO_NEW_PRIVS first). Raises OSError where unsupported."""
    machine = platform.machine()
    if machine not in _ARCHES:
        raise OSError(errno.ENOSYS, f"no seccomp filter for the {machine} architecture")
    program = build_program(machine)
    instructions = (_Instruction * len(program))(*[_Instruction(*i) for i in program])
    prog = _Program(len(program), instructions)
    if libc().prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp filter: {os.strerror(err)}")
