"""Nothing of the parent's environment in the worker's, or a run child's, memory.

Run children are forked from the worker, so whatever the worker's memory holds, a script with
raw memory access could read. The worker therefore starts with an allowlisted environment: the
test reads the whole address space of the worker and of a running child (as root, from outside
the sandbox) and looks for a variable set in the parent.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.core.transport import SubprocessTransport, worker_env
from tests.worker.conftest import start_run

SECRET_VAR = "IFCSCRIPT_TEST_SECRET_TOKEN"
SECRET = b"tok-9d1e77c4b2-parent-only"


def memory_holds(pid: int, needle: bytes) -> bool:
    """Whether any readable mapping of process `pid` contains `needle`."""
    chunk = 16 << 20
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if "r" not in fields[1] or (len(fields) > 5 and fields[5] == "[vvar]"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            tail = b""
            for offset in range(start, end, chunk):
                try:
                    mem.seek(offset)
                    data = mem.read(min(chunk, end - offset))
                except (OSError, ValueError, OverflowError):
                    break
                if needle in tail + data:
                    return True
                tail = data[-len(needle):]
    return False


linux_only = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/PID/mem")


def test_the_worker_environment_is_an_allowlist() -> None:
    env = worker_env({SECRET_VAR: SECRET.decode(), "HOME": "/home/someone", "LANG": "de_DE.UTF-8",
                      "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/home/someone/bin",
                      "AWS_SECRET_ACCESS_KEY": "x", "OPENBLAS_CORETYPE": "Haswell"})
    assert env == {"LANG": "de_DE.UTF-8", "LC_ALL": "C.UTF-8", "OPENBLAS_CORETYPE": "Haswell",
                   "PATH": os.path.dirname(sys.executable)}


@linux_only
def test_no_parent_variable_in_the_worker_or_a_run_child(monkeypatch: pytest.MonkeyPatch,
                                                         house: Path, tmp_path: Path) -> None:
    monkeypatch.setenv(SECRET_VAR, SECRET.decode())
    client = WorkerClient(lambda: SubprocessTransport())
    try:
        client.call("open", timeout=120, path=str(house))
        # The script keeps a marker of its own in memory: proof the scan sees the child's heap.
        code = "marker = '-'.join(['present', 'in', 'child', 'heap'])\nwhile True:\n    pass\n"
        request, child_pid = start_run(client, code, tmp_path, timeout_s=120)
        worker_pid = client.worker_pid
        assert worker_pid is not None
        marker = b"present-in-child-heap"
        # The marker exists once the script has run its first line: look until it shows.
        for _ in range(20):
            if memory_holds(child_pid, marker):
                break
        else:
            pytest.fail("the scan never found the script's own marker: it proves nothing")
        assert not memory_holds(child_pid, SECRET)
        assert not memory_holds(worker_pid, SECRET)
        assert SECRET.decode() not in Path(f"/proc/{worker_pid}/environ").read_text(errors="replace")
        client.cancel(request)
        assert request.wait(30)
        assert request.reply["status"] == "cancelled"
    finally:
        client.close()
