"""No process of a run outlives it: not at the timeout, not on cancel, not when the worker dies."""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path

import pytest

from ifcscript_desktop.core.client import Request, WorkerClient
from tests.worker.conftest import LIMITS, start_run

pytestmark = pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")

SPIN = "print('spinning', flush=True)\nwhile True:\n    pass\n"


def ends_within(pid: int, seconds: float) -> bool:
    """Wait (without polling) for process `pid` to end; True if it did in time."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], seconds)[0])
    finally:
        os.close(fd)


def start_spinning(client: WorkerClient, tmp_path: Path, **limits: float) -> tuple[Request, int]:
    return start_run(client, SPIN, tmp_path, **limits)


@pytest.fixture
def client(house: Path) -> WorkerClient:
    worker = WorkerClient()
    worker.call("open", timeout=120, path=str(house))
    yield worker
    worker.close()


def test_a_run_leads_its_own_process_group(client: WorkerClient, tmp_path: Path) -> None:
    request, pid = start_spinning(client, tmp_path)
    assert os.getpgid(pid) == pid != os.getpgid(client.worker_pid)
    client.cancel(request)
    assert request.wait(30) and request.reply["status"] == "cancelled"
    assert ends_within(pid, 10)


def test_the_run_ends_when_its_worker_is_killed(client: WorkerClient, tmp_path: Path) -> None:
    _, pid = start_spinning(client, tmp_path)
    client.kill()
    assert ends_within(pid, 10), "the run child outlived its worker"


def test_the_timeout_ends_the_run_and_the_reply_comes_at_once(client: WorkerClient,
                                                              tmp_path: Path) -> None:
    request, pid = start_spinning(client, tmp_path, timeout_s=2)
    assert request.wait(2 + 10)
    assert request.reply["status"] == "timeout"
    assert request.reply["duration_s"] < 2 + 1
    assert ends_within(pid, 10)


@pytest.mark.skipif(sys.platform != "linux", reason="seccomp")
def test_fork_is_refused_inside_a_run(client: WorkerClient, tmp_path: Path) -> None:
    """Even a library reaching os.fork (here the run's own ifcopenshell.os) cannot start a
    process: the sandbox refuses it, and seccomp would below it."""
    request = client.run({"code": "ifcopenshell.os.fork()\n", "filename": "<fork>", "params": {},
                          "granted": [], "selection": [], "previous": {},
                          "output_dir": str(tmp_path / "out"), "limits": LIMITS})
    assert request.wait(60)
    assert request.reply["status"] == "error"
    assert request.reply["error"].startswith("The sandbox refused")
