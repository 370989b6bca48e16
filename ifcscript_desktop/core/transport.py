"""How the client reaches a worker process. The window has its own (QProcess) transport."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Callable, Protocol

DataCallback = Callable[[bytes], None]
ExitCallback = Callable[[int | None, str], None]


def worker_command() -> list[str]:
    """The command that starts a worker; a frozen app starts itself with an entry flag."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--worker"]
    return [sys.executable, "-m", "ifcscript_desktop.worker"]


#: Variables a worker inherits: the locale, and what the numeric libraries need to run right on
#: this processor (OpenBLAS's core type) or our own property-reader cap. Nothing else: run
#: children are forked from the worker, so whatever its memory holds, a script could read.
WORKER_ENV_NAMES = frozenset({
    "LANG", "LANGUAGE", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "IFCSCRIPT_PROPERTY_PROCESSES",
    "SYSTEMROOT", "WINDIR",  # Windows cannot start Python without them
})


def worker_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a worker starts with: the allowlisted variables of `base` (default:
    this process's) and a PATH naming the interpreter's folder only."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if k in WORKER_ENV_NAMES or k.startswith("LC_")}
    env["PATH"] = os.path.dirname(sys.executable)
    return env


class Transport(Protocol):
    """Starts one worker process and moves bytes to and from it."""

    def start(self, on_data: DataCallback, on_exit: ExitCallback) -> None: ...

    def write(self, data: bytes) -> None: ...

    def kill(self) -> None: ...

    def pid(self) -> int | None: ...


class SubprocessTransport:
    """A worker as a plain subprocess; reader threads deliver its bytes as they arrive.

    `env` is filtered like this process's environment would be (see `worker_env`).
    """

    def __init__(self, command: list[str] | None = None, env: Mapping[str, str] | None = None) -> None:
        self.command = command or worker_command()
        self.env = worker_env(env)
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        self._write_lock = threading.Lock()

    def start(self, on_data: DataCallback, on_exit: ExitCallback) -> None:
        self._process = subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=self.env, bufsize=0, start_new_session=True,
        )
        process = self._process
        stderr_done = threading.Event()

        def read_stdout() -> None:
            assert process.stdout is not None
            fd = process.stdout.fileno()
            while data := os.read(fd, 1 << 20):
                on_data(data)
            code = process.wait()
            stderr_done.wait(5)
            on_exit(code, "\n".join(self._stderr_tail))

        def read_stderr() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                self._stderr_tail.append(line.decode("utf-8", "replace").rstrip())
            stderr_done.set()

        threading.Thread(target=read_stderr, name="worker-stderr", daemon=True).start()
        threading.Thread(target=read_stdout, name="worker-stdout", daemon=True).start()

    def write(self, data: bytes) -> None:
        process = self._process
        if process is None or process.stdin is None:
            raise BrokenPipeError("the worker is not running")
        with self._write_lock:
            process.stdin.write(data)

    def kill(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.kill()

    def close_input(self) -> None:
        if self._process and self._process.stdin:
            try:
                self._process.stdin.close()
            except OSError:
                pass

    def pid(self) -> int | None:
        return self._process.pid if self._process else None
