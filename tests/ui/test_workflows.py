"""The Workflows pane as a user drives it: real store, real worker processes, real models."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from ifcscript_desktop.core import library, workflows
from ifcscript_desktop.core.store import ScriptExecution, WorkflowExecution
from ifcscript_desktop.ui.app import build_main_window
from ifcscript_desktop.ui.main_window import MainWindow
from ifcscript_desktop.ui.workflows import WorkflowsPane
from tests.conftest import FIXTURES
from tests.test_workflow_cli import WRITE_READ, WRITER
from tests.ui.test_app import OPEN_TIMEOUT, drop

JOB_TIMEOUT = 240_000

READER = """\
# /// ifcscript
# name = "Reader"
# ///
import json
{body}
with open(previous["Write"]["outputs"][0]) as stream:
    result = {{"status": "read", "walls": json.load(stream)["walls"]}}
"""

ON_OPEN = """\
name = "{name}"
enabled = {enabled}
[trigger]
kind = "on_open"
[[steps]]
name = "GUIDs"
script = "GUID Validation Check"
[[steps]]
name = "Count"
script = "Writer"
"""


@pytest.fixture
def window(qtbot, data_dir: Path) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = build_main_window(str(data_dir), [])
    qtbot.addWidget(win)
    win.show()
    win.bottom.setCurrentWidget(win.workflows)
    yield win
    win.close()
    win.store.close()


def _import(pane: WorkflowsPane, tmp_path: Path, text: str, name: str = "wf.toml") -> None:
    path = tmp_path / name
    path.write_text(text)
    assert pane.import_file(str(path)), pane.last_problem


def _wait_job(qtbot, pane: WorkflowsPane):  # type: ignore[no-untyped-def]
    """Wait until the pane's current workflow job ends; its JobResult."""
    with qtbot.waitSignal(pane.runner.job_finished, timeout=JOB_TIMEOUT) as finished:
        pass
    return finished.args[1]


def test_create_a_two_step_workflow_through_the_pane(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    pane = window.workflows
    qtbot.mouseClick(pane.new_button, Qt.MouseButton.LeftButton)
    editor = pane.editor
    editor.name_edit.clear()
    qtbot.keyClicks(editor.name_edit, "Delivery checks")
    qtbot.keyClicks(editor.description_edit, "GUIDs and LOD")
    steps = editor.steps
    qtbot.mouseClick(steps.add_button, Qt.MouseButton.LeftButton)
    steps.script_box.setCurrentIndex(steps.script_box.findText("LOD Analyzer"))
    steps.script_box.activated.emit(steps.script_box.currentIndex())
    lod = steps.params.field("target_lod").editor
    lod.setCurrentIndex(lod.findText("200"))
    qtbot.mouseClick(steps.add_button, Qt.MouseButton.LeftButton)
    steps.script_box.setCurrentIndex(steps.script_box.findText("GUID Validation Check"))
    steps.script_box.activated.emit(steps.script_box.currentIndex())
    qtbot.mouseClick(steps.up_button, Qt.MouseButton.LeftButton)  # GUIDs first
    editor.trigger_box.setCurrentIndex(editor.trigger_box.findData("on_open"))
    editor.stop_box.setChecked(False)
    assert editor.save_button.isEnabled()
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

    assert not editor.problem.isVisible(), editor.problem.text()
    stored = workflows.get_workflow(window.store, "Delivery checks")
    assert stored is not None
    assert [(s["name"], s["script"], s["params"]) for s in stored.steps] == [
        ("GUID Validation Check", "GUID Validation Check", {}),
        ("LOD Analyzer", "LOD Analyzer", {"target_lod": 200})]
    assert stored.trigger == {"kind": "on_open"} and not stored.stop_on_error
    assert stored.description == "GUIDs and LOD"
    assert pane.list.current() == "Delivery checks"
    # Untick it in the list: disabled in the store.
    pane.list.set_checked("Delivery checks", False)
    assert not workflows.get_workflow(window.store, "Delivery checks").enabled

    # A duplicate step name is refused with a sentence; nothing is stored.
    steps.select_step(1)
    steps.name_edit.setText("GUID Validation Check")
    steps.name_edit.textEdited.emit("GUID Validation Check")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert "unique" in editor.problem.text()
    assert [s["name"] for s in workflows.get_workflow(window.store, "Delivery checks").steps] == [
        "GUID Validation Check", "LOD Analyzer"]

    # Renamed in the form: the stored workflow is renamed, not copied.
    steps.name_edit.setText("LOD")
    steps.name_edit.textEdited.emit("LOD")
    editor.name_edit.setText("Checks")
    editor.name_edit.textEdited.emit("Checks")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert [w.name for w in workflows.list_workflows(window.store)] == ["Checks"]
    assert pane.list.current() == "Checks" and editor.original == "Checks"


def test_run_on_models_shows_the_report(qtbot, window: MainWindow, tmp_path: Path, house: Path,  # type: ignore[no-untyped-def]
                                        illegal_file: Path) -> None:
    pane = window.workflows
    library.save_script(window.store, "Writer", WRITER)
    _import(pane, tmp_path, ON_OPEN.format(name="Checks", enabled="false"))
    assert pane.list.current() == "Checks"
    info = pane.run_on_files([str(house), str(illegal_file)])
    assert info is not None
    # The run goes on in the background: the window is free and shows progress.
    assert pane.runner.busy and pane.report.progress.isVisible()
    assert pane.tabs.currentWidget() is pane.report
    result = _wait_job(qtbot, pane)

    rows = {(Path(r["model"]).name, r["step"]): r for r in pane.report.rows}
    assert rows[(house.name, "GUIDs")]["status"] == "success"
    assert rows[(house.name, "Count")]["walls"] == 13
    assert rows[(illegal_file.name, "GUIDs")]["status"] == "error"
    assert rows[(illegal_file.name, "Count")]["status"] == "skipped"
    table = pane.report.table
    assert table.rowCount() == 4
    statuses = [table.item(r, 2).text() for r in range(4)]
    assert statuses.count("success") == 2 and "error" in statuses
    assert (result.report_dir / "report.csv").is_file()
    assert str(result.report_csv) in pane.report.folder_label.text()
    assert "error" in window.statusBar().currentMessage()
    # Its history: two workflow runs, the failed one drills down to its step runs.
    qtbot.waitUntil(lambda: pane.runs.runs_table.rowCount() == 2, timeout=10_000)
    assert pane.runs.select_execution(result.outcomes[0].execution.id)
    assert [row["status"] for row in pane.runs.step_rows()] == ["success", "success"]
    pane.runs.select_step(1)
    assert pane.runs.detail.execution_id == rows[(house.name, "Count")]["execution_id"]


def test_an_enabled_on_open_workflow_runs_when_a_model_opens(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path, house: Path) -> None:
    pane = window.workflows
    library.save_script(window.store, "Writer", WRITER)
    _import(pane, tmp_path, ON_OPEN.format(name="On open", enabled="false"), "a.toml")
    _import(pane, tmp_path, ON_OPEN.format(name="Switched off", enabled="false"), "b.toml")
    pane.choose("On open")
    pane.list.set_checked("On open", True)  # the user ticks it: enabled
    assert pane.editor.enabled_box.isChecked()
    with qtbot.waitSignal(pane.runner.job_finished, timeout=JOB_TIMEOUT) as finished:
        with qtbot.waitSignal(window.models.model_opened, timeout=OPEN_TIMEOUT):
            drop(window, [house])
        assert "On open" in window.statusBar().currentMessage()
    info, result = finished.args
    assert info.trigger == "on_open" and result.status == "success"

    executions = workflows.list_workflow_executions(window.store)
    assert [(e.workflow_name, e.trigger, e.model_path, e.status) for e in executions] == [
        ("On open", "on_open", str(house), "success")]
    step_runs = workflows.step_runs(executions[0])
    assert [run.script_name for run in step_runs] == ["GUID Validation Check", "Writer"]
    assert all(run.status == "success" and run.source == "workflow" for run in step_runs)
    # Both steps ran in the worker that holds the open model: it parsed the file once.
    handle = window.models.models[0].handle
    with qtbot.waitCallback(timeout=30_000) as pinged:
        handle.query("ping", {}, pinged)
    assert pinged.args[0]["parses"] == 1 and pinged.args[0]["runs"] == 2
    # The pane's history shows the run with its trigger.
    qtbot.waitUntil(lambda: pane.runs.runs_table.rowCount() == 1, timeout=10_000)
    assert pane.runs.runs_table.item(0, 3).text() == "on open"
    assert '"On open" (on open) success' in window.statusBar().currentMessage()


def _run_failing_chain(qtbot, window: MainWindow, tmp_path: Path, house: Path) -> Any:  # type: ignore[no-untyped-def]
    """Write then read on the house from the Workflows pane, the reader failing; the job's result."""
    library.save_script(window.store, "Writer", WRITER)
    library.save_script(window.store, "Reader",
                        READER.format(body='raise RuntimeError("the reader is not ready")'))
    _import(window.workflows, tmp_path, WRITE_READ)
    window.workflows.run_on_files([str(house)])
    return _wait_job(qtbot, window.workflows)


def test_resume_a_failed_run_from_its_failed_step(qtbot, window: MainWindow, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                  house: Path) -> None:
    pane = window.workflows
    first = _run_failing_chain(qtbot, window, tmp_path, house)
    assert [row["status"] for row in first.rows] == ["success", "error"]
    failed_id = first.execution_ids[0]
    pane.tabs.setCurrentWidget(pane.runs)
    assert pane.runs.select_execution(failed_id)
    assert pane.runs.resume_button.isEnabled()
    assert "the reader is not ready" in pane.runs.detail.error.text()  # the failed step is shown

    library.save_script(window.store, "Reader", READER.format(body=""))  # the script is fixed
    with qtbot.waitSignal(pane.runner.job_finished, timeout=JOB_TIMEOUT) as finished:
        qtbot.mouseClick(pane.runs.resume_button, Qt.MouseButton.LeftButton)
    again = finished.args[1]
    assert again.status == "success"
    assert [row["status"] for row in pane.report.rows] == ["success", "success"]
    # The step that had succeeded is reused, not run again.
    assert again.rows[0]["execution_id"] == first.rows[0]["execution_id"]
    assert again.rows[1]["execution_id"] != first.rows[1]["execution_id"]
    resumed = WorkflowExecution.get_by_id(again.execution_ids[0])
    assert resumed.report["resumed_from"] == failed_id
    assert [s["reused"] for s in resumed.report["steps"]] == [True, False]
    assert ScriptExecution.get_by_id(again.rows[1]["execution_id"]).result == {
        "status": "read", "walls": 13}
    # A run that succeeded cannot be resumed.
    assert pane.runs.select_execution(resumed.id)
    assert not pane.runs.resume_button.isEnabled()


def test_a_bad_workflow_file_is_refused_with_a_sentence(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                        tmp_path: Path) -> None:
    pane = window.workflows
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "Broken"\n[[steps]]\nname = "A\nscript = "GUID Validation Check"\n')
    assert not pane.import_file(str(bad))
    assert pane.problem.isVisible()
    text = pane.problem.text()
    assert text.startswith("bad.toml was not imported: line 3: not valid TOML"), text
    assert "Traceback" not in text and "tomllib" not in text
    assert text in window.statusBar().currentMessage()

    unknown = tmp_path / "unknown.toml"
    unknown.write_text('name = "Unknown"\n[[steps]]\nname = "A"\nscript = "No such script"\n')
    assert not pane.import_file(str(unknown))
    assert 'line 4: step "A": there is no stored script named "No such script"' in pane.problem.text()
    assert workflows.list_workflows(window.store) == []
    assert pane.list.topLevelItemCount() == 0


def test_a_locked_database_reaches_the_user_as_a_sentence(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path) -> None:
    pane = window.workflows
    _import(pane, tmp_path, (FIXTURES / "example-workflow.toml").read_text(encoding="utf-8"))
    name = "Incoming model checks"
    # Another program holds the write lock; this window's connection gives up at once
    # instead of after the 30 s a real wait allows.
    window.store.db.execute_sql("PRAGMA busy_timeout = 0")
    other = sqlite3.connect(window.store.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        pane.list.set_checked(name, False)  # the user unticks it: the store refuses the write
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert pane.problem.isVisible()
    text = pane.problem.text()
    assert text.startswith(f"The workflow {name!r} could not be disabled: another program kept "
                           "the database busy"), text
    assert "OperationalError" not in text and "peewee" not in text
    assert text in window.statusBar().currentMessage()
    assert workflows.get_workflow(window.store, name).enabled  # nothing changed


def test_a_watched_folder_runs_models_that_arrive_once_switched_on(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                                   tmp_path: Path, house: Path) -> None:
    pane = window.workflows
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "already-there.ifc").write_bytes(house.read_bytes())
    text = ON_OPEN.format(name="Watcher", enabled="true").replace(
        'kind = "on_open"', 'kind = "watch"\nfolder = "incoming"')
    library.save_script(window.store, "Writer", WRITER)
    _import(pane, tmp_path, text)
    assert not pane.watch_box.isChecked() and not pane.watching.active  # off by default
    pane.watching.timer.setInterval(200)
    pane.watch_box.setChecked(True)
    qtbot.waitUntil(lambda: pane.watching.folders() == {"Watcher": str(incoming)}, timeout=10_000)
    with qtbot.waitSignal(pane.runner.job_finished, timeout=JOB_TIMEOUT) as finished:
        (incoming / "arrived.ifc").write_bytes(house.read_bytes())
    info, result = finished.args
    assert info.trigger == "watch" and result.status == "success"
    executions = workflows.list_workflow_executions(window.store)
    assert [(Path(e.model_path).name, e.trigger) for e in executions] == [("arrived.ifc", "watch")]
    shutil.rmtree(incoming)  # the folder goes away: said once, and the watch of it stops
    qtbot.waitUntil(lambda: "The watch stopped" in (pane.last_problem or ""), timeout=10_000)
    assert pane.watching.folders() == {}


def test_runs_the_command_makes_appear_in_the_runs_tab(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                       tmp_path: Path, house: Path) -> None:
    pane = window.workflows
    library.save_script(window.store, "Writer", WRITER)
    _import(pane, tmp_path, ON_OPEN.format(name="Checks", enabled="false"))
    pane.choose("Checks")
    assert pane.runs.runs_table.rowCount() == 0
    command = subprocess.Popen([sys.executable, "-m", "ifcscript_desktop", "workflow", "run",
                                "Checks", str(house)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        qtbot.waitUntil(lambda: pane.runs.runs_table.rowCount() == 1, timeout=JOB_TIMEOUT)
    finally:
        _, errors = command.communicate(timeout=JOB_TIMEOUT / 1000)
    assert command.returncode == 0, errors
    qtbot.waitUntil(lambda: pane.runs.runs_table.item(0, 2).text() == "success", timeout=10_000)


LOOPER = """\
# /// ifcscript
# name = "Looper"
# ///
print("looping", flush=True)
while True:
    pass
"""
LOOP_THEN_WRITE = """\
name = "Loop then write"
stop_on_error = false
[[steps]]
name = "Loop"
script = "Looper"
[[steps]]
name = "Write"
script = "Writer"
"""


def test_closing_the_model_a_workflow_borrows_never_restarts_its_worker_elsewhere(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, tmp_path: Path, house: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QThread

    from ifcscript_desktop.ui.qprocess_transport import QProcessTransport
    started_off_gui_thread = []
    start = QProcessTransport.start

    def spied_start(self, *args):  # type: ignore[no-untyped-def]
        if QThread.currentThread() is not self.thread():
            started_off_gui_thread.append(self)
        return start(self, *args)

    monkeypatch.setattr(QProcessTransport, "start", spied_start)
    pane = window.workflows
    library.save_script(window.store, "Looper", LOOPER)
    library.save_script(window.store, "Writer", WRITER)
    _import(pane, tmp_path, LOOP_THEN_WRITE)
    with qtbot.waitSignal(window.models.model_opened, timeout=OPEN_TIMEOUT):
        drop(window, [house])
    pane.choose("Loop then write")
    with qtbot.waitSignal(pane.runner.job_finished, timeout=JOB_TIMEOUT) as finished:
        assert pane.run_on_active_model() is not None
        qtbot.waitUntil(lambda: ScriptExecution.select().where(
            ScriptExecution.status == "running").count() == 1, timeout=60_000)
        window.models.close(window.models.models[0])  # the user closes the model meanwhile
    _, result = finished.args
    assert [(row["step"], row["status"]) for row in result.rows] == [
        ("Loop", "interrupted"), ("Write", "success")]  # Write ran in a worker of its own
    assert started_off_gui_thread == []


READS_A_FILE = """\
# /// ifcscript
# name = "Reads a file"
# [[parameters]]
# name = "key"
# type = "file"{default}
# ///
result = open(params["key"]).read() if params["key"] else None
"""


class Answers:
    """Stands in for the yes/no question; records what was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def confirm(self, parent: object, title: str, question: str) -> bool:
        self.asked.append(question)
        return self.answer


def test_a_workflow_file_reading_outside_its_folder_is_imported_only_once_confirmed(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, tmp_path: Path) -> None:
    pane = window.workflows
    secret = tmp_path / "secret.txt"
    secret.write_text("canary")
    library.save_script(window.store, "Reads a file", READS_A_FILE.format(default=""))
    shared = tmp_path / "shared"
    shared.mkdir()
    toml = shared / "wf.toml"
    toml.write_text('name = "Sneaky"\n[[steps]]\nname = "Read"\nscript = "Reads a file"\n'
                    'params = { key = "../secret.txt" }\n')

    declined = Answers(False)
    pane.dialogs.confirm = declined.confirm
    assert not pane.import_file(str(toml))
    [question] = declined.asked
    assert str(secret) in question and "wf.toml" in question
    assert workflows.list_workflows(window.store) == []  # cancel imports nothing
    assert "wf.toml was not imported" in window.statusBar().currentMessage()

    accepted = Answers(True)
    pane.dialogs.confirm = accepted.confirm
    assert pane.import_file(str(toml)), pane.last_problem
    assert len(accepted.asked) == 1
    stored = workflows.get_workflow(window.store, "Sneaky")
    assert stored is not None and stored.steps[0]["params"] == {"key": str(secret)}


def test_a_file_a_step_script_suggests_is_stored_only_once_confirmed(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("canary")
    suggesting = READS_A_FILE.format(default=f'\n# default = "{secret}"')
    library.save_script(window.store, "Reads a file", suggesting)
    pane = window.workflows
    pane.refresh()
    qtbot.mouseClick(pane.new_button, Qt.MouseButton.LeftButton)
    editor = pane.editor
    steps = editor.steps
    qtbot.mouseClick(steps.add_button, Qt.MouseButton.LeftButton)
    steps.script_box.setCurrentIndex(steps.script_box.findText("Reads a file"))
    steps.script_box.activated.emit(steps.script_box.currentIndex())
    assert steps.params.values() == {"key": None}  # suggested, not filled in
    assert not editor.save()
    assert f"suggests {secret}" in editor.problem.text()
    assert workflows.list_workflows(window.store) == []

    button = steps.params.field("key").findChild(QPushButton, "use_suggested")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert editor.save(), editor.problem.text()
    [stored] = workflows.list_workflows(window.store)
    assert stored.steps[0]["params"] == {"key": str(secret)}


def test_resume_runs_again_a_step_whose_files_are_gone_and_says_so(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, tmp_path: Path, house: Path) -> None:
    pane = window.workflows
    first = _run_failing_chain(qtbot, window, tmp_path, house)
    written = ScriptExecution.get_by_id(first.rows[0]["execution_id"])
    shutil.rmtree(written.output_dir)  # as retention (or the user) removed it
    library.save_script(window.store, "Reader", READER.format(body=""))
    said: list[str] = []
    pane.message.connect(said.append)
    with qtbot.waitSignal(pane.runner.job_finished, timeout=JOB_TIMEOUT) as finished:
        pane.resume(first.execution_ids[0])
    again = finished.args[1]
    assert [row["status"] for row in again.rows] == ["success", "success"]
    assert again.rows[0]["execution_id"] != written.id  # run again: the reader needs its file
    assert any('Step "Write" of workflow run' in text and "runs again" in text for text in said), said
