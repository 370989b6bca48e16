"""A run child inherits nothing of earlier runs on the same worker (their files, tables, code).

The worker decodes every run's request and events, and freed objects are not wiped: a child
forked from the worker would carry them. Run children are forked from the run template
instead (worker/template.py), made before any run. The test reads the memory of a later run's
child from outside and looks for what an earlier run read from a file only it was granted;
the same scan of the worker proves the text is there to be found.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from ifcscript_desktop.core.client import WorkerClient
from tests.worker.conftest import run, start_run
from tests.worker.test_worker_environment import memory_holds

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/PID/mem")

SECRET = "isolation-canary-" + "c0ffee51"


def test_a_later_run_does_not_inherit_an_earlier_runs_data(house: Path, tmp_path: Path) -> None:
    secret = tmp_path / "granted-to-the-first-run-only.txt"
    secret.write_text(SECRET)
    client = WorkerClient()
    try:
        client.call("open", timeout=120, path=str(house))
        first = run(client, f"text = open({str(secret)!r}).read()\nprint(text)\n"
                            "show_table([{'secret': text}])\nresult = {'secret': text}\n",
                    tmp_path, granted=[str(secret)])
        assert first.reply["status"] == "success" and SECRET in first.output_text
        marker = b"present-in-the-second-child"
        code = "marker = '-'.join(['present', 'in', 'the', 'second', 'child'])\nwhile True:\n    pass\n"
        request, child_pid = start_run(client, code, tmp_path, timeout_s=120)
        for _ in range(20):
            if memory_holds(child_pid, marker):
                break
        else:
            pytest.fail("the scan never found the second run's own marker: it proves nothing")
        assert memory_holds(client.worker_pid, SECRET.encode()), "the control: the worker has it"
        assert not memory_holds(child_pid, SECRET.encode())
        client.cancel(request)
        assert request.wait(30) and request.reply["status"] == "cancelled"
    finally:
        client.close()


def test_the_template_reaps_and_reports_many_runs(house: Path, tmp_path: Path) -> None:
    """Twenty runs in a row, each ending differently: every outcome right, nothing left over."""
    client = WorkerClient()
    try:
        client.call("open", timeout=120, path=str(house))
        outcomes = []
        for i in range(20):
            code = ["result = 1\n", "raise ValueError('no')\n", "open('/etc/passwd')\n",
                    "import sys\n"][i % 4]
            outcomes.append(run(client, code, tmp_path).reply["status"])
        assert outcomes == ["success", "error", "error", "error"] * 5
        children = Path(f"/proc/{client.worker_pid}/task/{client.worker_pid}/children")
        template_pids = children.read_text().split()
        assert len(template_pids) == 1, "the worker's only child is the run template"
        template_children = Path(f"/proc/{template_pids[0]}/task/{template_pids[0]}/children")
        assert len(template_children.read_text().split()) <= 1, "only the spare is left"
    finally:
        client.close()


def _template_pid(client: WorkerClient) -> int:
    pid = client.worker_pid
    [template] = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(template)


def test_a_model_opened_after_runs_gets_a_fresh_worker(house: Path, tmp_path: Path) -> None:
    """A template forked from a worker that ran scripts would carry their data: the client
    opens the next model in a new worker instead (as `ifcscript run S A.ifc B.ifc` does)."""
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    client = WorkerClient()
    try:
        client.call("open", timeout=120, path=str(house))
        first_worker = client.worker_pid
        run(client, f"show_table([{{'s': open({str(secret)!r}).read()}}])\n", tmp_path,
            granted=[str(secret)])
        assert client.open_model(str(house)).wait(120)
        assert client.worker_pid != first_worker
        request, child_pid = start_run(client, "while True:\n    pass\n", tmp_path, timeout_s=120)
        assert not memory_holds(child_pid, SECRET.encode())
        client.cancel(request)
        assert request.wait(30)
    finally:
        client.close()


def test_a_template_lost_between_runs_costs_one_run_not_the_isolation(house: Path,
                                                                      tmp_path: Path) -> None:
    client = WorkerClient()
    try:
        client.open_model(str(house))
        assert run(client, "result = 1\n", tmp_path).reply["status"] == "success"
        first_worker = client.worker_pid
        os.kill(_template_pid(client), signal.SIGKILL)  # as the out-of-memory killer would
        failed = run(client, "result = 2\n", tmp_path)
        assert failed.reply["status"] == "error" and "run it again" in failed.reply["error"].lower()
        again = run(client, "result = 3\n", tmp_path)  # a fresh worker, the model reopened
        assert again.reply["status"] == "success" and again.reply["result"] == 3
        assert client.worker_pid != first_worker
    finally:
        client.close()


def test_a_template_lost_during_a_run_ends_it_with_a_sentence(house: Path, tmp_path: Path) -> None:
    client = WorkerClient()
    try:
        client.open_model(str(house))
        request, _ = start_run(client, "while True:\n    pass\n", tmp_path, timeout_s=120)
        os.kill(_template_pid(client), signal.SIGKILL)
        assert request.wait(30)
        assert request.reply["status"] == "error"
        assert "run process ended" in request.reply["error"], request.reply
        assert run(client, "result = 4\n", tmp_path).reply["result"] == 4
    finally:
        client.close()
