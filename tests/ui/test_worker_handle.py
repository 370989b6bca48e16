"""The window's handle on a worker: real worker processes over QProcess, driven by signals."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from ifcscript_desktop.core.client import Request
from ifcscript_desktop.ui.qprocess_transport import QProcessTransport
from ifcscript_desktop.ui.worker_handle import WorkerHandle

OPEN_MS = 60_000
LIMITS = {"timeout_s": 60, "memory_mb": 2048, "output_cap": 10 * 1024 * 1024,
          "outputs_max_bytes": 1 << 30, "outputs_max_files": 10_000}


def run_fields(code: str, out: Path) -> dict[str, Any]:
    return {"code": code, "filename": "<test>", "params": {}, "granted": [], "selection": [],
            "previous": {}, "output_dir": str(out), "limits": LIMITS}


@pytest.fixture
def handle(qtbot) -> Iterator[WorkerHandle]:  # type: ignore[no-untyped-def]
    """A handle with no model yet; its worker is gone after the test."""
    worker = WorkerHandle()
    yield worker
    worker.close()
    qtbot.waitUntil(lambda: not worker.worker_running, timeout=15_000)


@pytest.fixture
def opened(handle: WorkerHandle, house: Path, qtbot) -> WorkerHandle:  # type: ignore[no-untyped-def]
    """A handle with the FZK house open (shared by the tree and properties tests)."""
    with qtbot.waitSignal(handle.model_opened, timeout=OPEN_MS):
        handle.open_model(house)
    return handle


def ask(qtbot, handle: WorkerHandle, op: str, **fields: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Send a query and wait for its reply (through the callback, on the GUI thread)."""
    replies: list[dict[str, Any]] = []
    handle.query(op, fields, replies.append)
    qtbot.waitUntil(lambda: bool(replies), timeout=OPEN_MS)
    return replies[0]


def test_opening_a_model_reports_progress_and_its_info(handle: WorkerHandle, house: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    progress: list[tuple[float, str]] = []
    handle.open_progress.connect(lambda fraction, message: progress.append((fraction, message)))
    with qtbot.waitSignal(handle.model_opened, timeout=OPEN_MS) as opened:
        handle.open_model(house)
    info = opened.args[0]
    assert info["elements"] == 127 and info["schema"] == "IFC4"
    assert handle.is_open and handle.path == str(house.resolve())
    assert progress and progress[0][1] == "Parsing"


def test_a_broken_file_gives_a_sentence_and_the_handle_still_opens_a_good_one(
        handle: WorkerHandle, illegal_file: Path, house: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(handle.open_failed, timeout=OPEN_MS) as failed:
        handle.open_model(illegal_file)
    sentence = failed.args[0]
    assert "FormallyIllegalFile.ifc" in sentence and "not a valid IFC file" in sentence
    assert "Traceback" not in sentence and not handle.is_open
    with qtbot.waitSignal(handle.model_opened, timeout=OPEN_MS) as opened:
        handle.open_model(house)
    assert opened.args[0]["elements"] == 127


def test_opening_can_be_cancelled_and_the_next_open_starts_a_new_worker(
        handle: WorkerHandle, house: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    handle.open_model(house)
    first_pid = handle.worker_pid
    with qtbot.waitSignal(handle.open_failed, timeout=5_000) as failed:
        assert handle.cancel_open()
    assert failed.args[0] == "Opening AC20-FZK-Haus.ifc was cancelled."
    with qtbot.waitSignal(handle.model_opened, timeout=OPEN_MS):
        handle.open_model(house)
    assert handle.worker_pid != first_pid


def test_a_run_streams_output_on_the_gui_thread_and_finishes(opened: WorkerHandle, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Runs go through the handle's client (core.session does in the window): events and the
    reply arrive on the GUI thread, as they stream."""
    events: list[dict[str, Any]] = []
    threads: set[object] = set()

    def on_event(request: Request, message: dict[str, Any]) -> None:
        events.append(message)
        threads.add(QThread.currentThread())

    code = "print('walls:', len(model.by_type('IfcWall')), flush=True)\nresult = {'n': len(entities)}"
    request = opened.client.run(run_fields(code, tmp_path / "out"), on_event=on_event)
    qtbot.waitUntil(lambda: request.done, timeout=OPEN_MS)
    assert request.reply is not None
    assert request.reply["status"] == "success" and request.reply["result"] == {"n": 127}
    assert "walls: 13" in request.output_text
    kinds = [m.get("event") for m in events]
    assert kinds[0] == "started" and "output" in kinds
    assert threads == {QApplication.instance().thread()}


def test_cancelling_a_run_ends_it_as_cancelled(opened: WorkerHandle, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]
    request = opened.client.run(run_fields("print('going', flush=True)\nwhile True:\n    pass\n",
                                           tmp_path / "c"))
    qtbot.waitUntil(lambda: "going" in request.output_text, timeout=OPEN_MS)
    opened.client.cancel(request)
    qtbot.waitUntil(lambda: request.done, timeout=OPEN_MS)
    assert request.reply is not None and request.reply["status"] == "cancelled"


def test_query_errors_are_replies_with_a_sentence(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]
    bad = ask(qtbot, opened, "filter", query="IfcWall, (((")
    assert bad["ok"] is False and bad["error"].startswith("The filter 'IfcWall, (((' is not a valid")
    walls = ask(qtbot, opened, "filter", query="IfcWall")
    assert walls["ok"] and len(walls["ids"]) == 13


def test_a_query_before_any_model_is_refused_without_a_worker(handle: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]
    reply = ask(qtbot, handle, "tree", parent=None)
    assert reply == {"ok": False, "error": "No model is open."}
    assert not handle.worker_running


def test_a_killed_worker_restarts_and_reopens_the_model_on_the_next_query(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]
    pid = opened.worker_pid
    assert pid
    with qtbot.waitSignal(opened.worker_exited, timeout=10_000) as exited:
        os.kill(pid, signal.SIGKILL)
    assert exited.args[0] is None  # a crash, not an exit code
    roots = ask(qtbot, opened, "tree", parent=None)
    assert roots["ok"] and roots["nodes"][0]["type"] == "IfcProject"
    assert opened.worker_pid not in (None, pid)


def test_a_worker_program_that_cannot_start_is_a_readable_failure(qtbot, house: Path) -> None:  # type: ignore[no-untyped-def]
    handle = WorkerHandle(command=["/nonexistent/ifcscript-worker"])
    with qtbot.waitSignal(handle.open_failed, timeout=10_000) as failed:
        handle.open_model(house)
    assert "could not be started (/nonexistent/ifcscript-worker)" in failed.args[0]


def test_the_transport_keeps_the_end_of_the_workers_log(qtbot) -> None:  # type: ignore[no-untyped-def]
    transport = QProcessTransport([sys.executable, "-c", "import sys; sys.stderr.write('one\\ntwo\\nlast words'); sys.exit(3)"])
    exits: list[tuple[Any, str]] = []
    transport.start(lambda data: None, lambda code, detail: exits.append((code, detail)))
    qtbot.waitUntil(lambda: bool(exits), timeout=10_000)
    assert exits == [(3, "one\ntwo\nlast words")]


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/PID/environ")
def test_the_windows_worker_starts_with_an_allowlisted_environment(
        house: Path, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Run children are forks of the worker: nothing of the user's environment may be there."""
    monkeypatch.setenv("IFCSCRIPT_TEST_WINDOW_TOKEN", "window-token-31c8")
    worker = WorkerHandle()
    try:
        with qtbot.waitSignal(worker.model_opened, timeout=OPEN_MS):
            worker.open_model(house)
        raw = Path(f"/proc/{worker.worker_pid}/environ").read_bytes()
        names = {item.split(b"=", 1)[0].decode() for item in raw.split(b"\0") if item}
        assert "IFCSCRIPT_TEST_WINDOW_TOKEN" not in names and b"window-token-31c8" not in raw
        assert "HOME" not in names and "PATH" in names
        assert names <= {"PATH", "LANG", "LANGUAGE", "TZ"} | {n for n in names if n.startswith(
            ("LC_", "OPENBLAS_", "OMP_", "MKL_", "IFCSCRIPT_PROPERTY"))}
    finally:
        worker.close()
        qtbot.waitUntil(lambda: not worker.worker_running, timeout=15_000)
