"""A run child inherits nothing of earlier runs on the same worker (their files, tables, code).

The worker decodes every run's request and events, and freed objects are not wiped: a child
forked from the worker would carry them. Run children are forked from the run template
instead (worker/template.py), made before any run. The test reads the memory of a later run's
child from outside and looks for what an earlier run read from a file only it was granted;
the same scan of the worker proves the text is there to be found.
"""

from __future__ import annotations

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
