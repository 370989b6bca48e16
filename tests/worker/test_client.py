"""The core client over a real subprocess worker: restarts, interruption, model errors."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from ifcscript_desktop.core.client import WorkerClient
from tests.worker.conftest import LIMITS, run


def test_a_dead_worker_is_restarted_with_its_model(house: Path, tmp_path: Path) -> None:
    client = WorkerClient()
    try:
        client.open_model(str(house)).wait(120)
        first_pid = client.worker_pid
        printed = threading.Event()
        request = client.run({"code": "print('in', flush=True)\nwhile True:\n    pass", "filename": "<t>",
                              "params": {}, "output_dir": str(tmp_path / "a"), "limits": LIMITS},
                             on_event=lambda r, m: m.get("event") == "output" and printed.set())
        assert printed.wait(60)
        os.kill(first_pid, signal.SIGKILL)
        assert request.wait(30)
        assert request.reply["status"] == "interrupted"
        assert "stopped unexpectedly" in request.reply["error"]
        # The next request starts a new worker that reopens the same model by itself.
        reply = run(client, "result = len(entities)", tmp_path).reply
        assert reply["status"] == "success" and reply["result"] == 127
        assert client.worker_pid != first_pid and client.restarts == 1
    finally:
        client.close()


def test_a_model_that_cannot_be_opened_leaves_the_worker_usable(house: Path, illegal_file: Path,
                                                                tmp_path: Path) -> None:
    client = WorkerClient()
    try:
        bad = client.open_model(str(illegal_file))
        assert bad.wait(60) and not bad.ok and "syntax error" in bad.error
        good = client.open_model(str(house))
        assert good.wait(120) and good.ok
        assert good.reply["info"]["schema"] == "IFC4" and good.reply["info"]["elements"] == 127
        assert run(client, "result = schema", tmp_path).reply["result"] == "IFC4"
    finally:
        client.close()


def test_runs_queue_behind_each_other(worker: WorkerClient, tmp_path: Path) -> None:
    fields = {"filename": "<t>", "params": {}, "limits": LIMITS}
    first = worker.run({**fields, "code": "result = 'first'", "output_dir": str(tmp_path / "1")})
    second = worker.run({**fields, "code": "result = 'second'", "output_dir": str(tmp_path / "2")})
    assert second.wait(60) and first.done
    assert (first.reply["result"], second.reply["result"]) == ("first", "second")
