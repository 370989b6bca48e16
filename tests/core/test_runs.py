"""Run records: what the history keeps of every run."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ifcscript_desktop.core import runs
from ifcscript_desktop.core.library import delete_script, save_script
from ifcscript_desktop.core.runs import ExecutionNotFoundError
from ifcscript_desktop.core.settings import reset_setting, save_setting
from ifcscript_desktop.core.store import (
    RunStatus,
    Script,
    ScriptExecution,
    Store,
    WorkflowExecution,
    current_boot_id,
    open_store,
    utcnow,
)

#: The keys `ifcscript run --json` promises on every line.
RUN_KEYS = {
    "execution_id", "script", "model", "status", "duration_s", "result", "output", "error",
    "traceback", "outputs", "tables", "charts", "highlights",
}


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = open_store(data_dir)
    yield opened
    opened.close()


def record(
    store: Store, name: str = "Count walls", model: str | Path = "house.ifc",
    script: Script | None = None, source: str = "cli",
) -> ScriptExecution:
    return runs.create_execution(
        store, script=script, script_name=name, script_path=None, code="print('walls')",
        model_path=model, parameters={"query": "IfcWall"}, source=source,
    )


def test_a_new_run_is_queued_owned_by_this_process_with_its_own_output_folder(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    run = record(store, model="models/house.ifc")
    assert run.status == RunStatus.QUEUED
    assert run.queued_at is not None and run.started_at is None
    assert run.model_path == str(tmp_path / "models" / "house.ifc")  # absolute
    assert (run.owner_pid, run.owner_boot_id) == (os.getpid(), current_boot_id())
    assert run.output_dir == str(store.runs_dir / str(run.id))
    assert Path(run.output_dir).is_dir()
    assert record(store).output_dir != run.output_dir


def test_a_finished_run_keeps_everything_it_produced(store: Store) -> None:
    run = record(store)
    runs.mark_running(run, model_sha256="ab" * 32, model_schema="IFC4")
    output_file = Path(run.output_dir) / "walls.csv"
    runs.finish_execution(
        run, status="success", duration_s=1.5, output="12 walls\n", output_truncated=True,
        error=None, traceback=None, result={"walls": 12, "ratio": 0.5},
        tables=[{"title": "Walls", "rows": [{"GlobalId": "2O2Fr$t4X7Zf8NOew3FLOH"}]}],
        charts=[{"kind": "bar", "x": ["a"], "y": [1]}],
        highlights=[{"ids": [1, 2], "color": "#FF0000"}], outputs=[output_file],
    )
    stored = runs.get_execution(store, run.id)
    assert stored.status == RunStatus.SUCCESS
    assert stored.started_at <= stored.finished_at
    assert (stored.model_sha256, stored.model_schema) == ("ab" * 32, "IFC4")
    assert stored.code == "print('walls')" and stored.parameters == {"query": "IfcWall"}
    assert stored.output == "12 walls\n" and stored.output_truncated is True
    assert stored.result == {"walls": 12, "ratio": 0.5}
    assert stored.tables[0]["rows"][0]["GlobalId"] == "2O2Fr$t4X7Zf8NOew3FLOH"
    assert stored.charts[0]["kind"] == "bar"
    assert stored.highlights == [{"ids": [1, 2], "color": "#FF0000"}]
    assert stored.outputs == [str(output_file)]


def test_a_failed_run_keeps_its_error_and_traceback(store: Store) -> None:
    run = record(store)
    runs.mark_running(run)
    runs.finish_execution(
        run, status="error", error="NameError: name 'wall' is not defined",
        traceback='File "<Count walls>", line 1\nNameError', output="partial",
    )
    stored = runs.get_execution(store, run.id)
    assert stored.status == "error"
    assert stored.error.startswith("NameError")
    assert "line 1" in stored.traceback
    assert stored.duration_s is not None and stored.duration_s >= 0


def test_a_run_cannot_finish_as_running_or_an_unknown_status(store: Store) -> None:
    run = record(store)
    for status in ("running", "done"):
        with pytest.raises(ValueError, match="finishes as one of"):
            runs.finish_execution(run, status=status)
    assert runs.get_execution(store, run.id).status == "queued"


def test_history_lists_newest_first_and_filters(store: Store, tmp_path: Path) -> None:
    script, _ = save_script(store, "Count walls", "print('walls')")
    first = record(store, script=script, model=tmp_path / "a.ifc")
    second = record(store, name="Other", model=tmp_path / "b.ifc")
    third = record(store, script=script, model=tmp_path / "b.ifc")
    runs.finish_execution(third, status="timeout")

    def ids(found: list[ScriptExecution]) -> list[int]:
        return [r.id for r in found]

    assert ids(runs.list_executions(store)) == [third.id, second.id, first.id]
    assert ids(runs.list_executions(store, limit=2)) == [third.id, second.id]
    assert ids(runs.list_executions(store, limit=2, offset=2)) == [first.id]
    assert ids(runs.list_executions(store, script=script)) == [third.id, first.id]
    assert ids(runs.list_executions(store, script="Other")) == [second.id]
    assert ids(runs.list_executions(store, model=tmp_path / "b.ifc")) == [third.id, second.id]
    assert ids(runs.list_executions(store, status="timeout")) == [third.id]
    assert ids(runs.list_executions(store, status=["queued"])) == [second.id, first.id]


def test_an_unknown_run_id_is_a_clear_error(store: Store) -> None:
    with pytest.raises(ExecutionNotFoundError, match="no run with id 99"):
        runs.get_execution(store, 99)
    with pytest.raises(LookupError):
        runs.get_execution(store, 99)


def test_run_as_dict_is_json_with_every_command_key(store: Store) -> None:
    run = record(store)
    runs.finish_execution(run, status="cancelled")
    data = runs.execution_as_dict(runs.get_execution(store, run.id))
    assert RUN_KEYS <= set(data)
    assert json.loads(json.dumps(data)) == data
    assert data["execution_id"] == run.id
    assert data["status"] == "cancelled"
    assert data["script"] == "Count walls"
    assert data["model"] == run.model_path
    # Empty results are null, as the command's contract says.
    for key in ("output", "result", "outputs", "tables", "charts", "highlights", "error"):
        assert data[key] is None, key
    assert data["queued_at"] is not None and data["finished_at"] is not None


def test_a_file_script_is_shown_by_its_path(store: Store) -> None:
    run = runs.create_execution(
        store, script=None, script_name="Check", script_path="checks/check.py", code="pass",
        model_path="m.ifc", parameters={}, source="cli",
    )
    assert runs.execution_as_dict(run)["script"] == "checks/check.py"


def test_history_survives_deleting_the_script(store: Store) -> None:
    script, _ = save_script(store, "Count walls", "print('walls')")
    run = record(store, script=script)
    delete_script(store, "Count walls")
    stored = runs.get_execution(store, run.id)
    assert stored.script is None
    assert stored.script_name == "Count walls" and stored.code == "print('walls')"


def test_sha256_of_a_model_matches_its_bytes(house: Path) -> None:
    assert runs.sha256_of(house) == hashlib.sha256(house.read_bytes()).hexdigest()


def test_source_must_be_known(store: Store) -> None:
    with pytest.raises(ValueError, match="source must be one of"):
        record(store, source="robot")


def age(run: ScriptExecution, days: float) -> None:
    """Make a finished run `days` old, as if it had finished then."""
    ScriptExecution.update(finished_at=utcnow() - timedelta(days=days)).where(
        ScriptExecution.id == run.id).execute()


def finished_with_a_file(store: Store, days_old: float = 0) -> ScriptExecution:
    run = record(store)
    (Path(run.output_dir) / ".tables").mkdir()
    (Path(run.output_dir) / ".tables" / "1.jsonl").write_text("{}")
    (Path(run.output_dir) / "out.txt").write_text("x")
    runs.finish_execution(run, status="success")
    age(run, days_old)
    return run


def test_pruning_removes_old_output_files_but_keeps_the_records(store: Store) -> None:
    old, recent = finished_with_a_file(store, 40), finished_with_a_file(store)
    assert runs.prune_run_outputs(store, retention_days=30) == runs.Pruned(runs=1)
    assert not Path(old.output_dir).exists()
    assert (Path(recent.output_dir) / "out.txt").exists()
    stored = runs.get_execution(store, old.id)
    assert stored.status == "success" and runs.outputs_removed(stored)
    data = runs.execution_as_dict(stored)
    assert data["outputs_note"] == "Output files removed after 40 days (retention)."
    assert data["outputs_removed_at"] is not None and data["kept"] is False
    assert not runs.outputs_removed(runs.get_execution(store, recent.id))
    assert runs.execution_as_dict(runs.get_execution(store, recent.id))["outputs_note"] is None
    # The next pass has nothing left to do for that run.
    assert runs.prune_run_outputs(store, retention_days=30) == runs.Pruned()


def test_a_kept_run_is_never_pruned_until_unkept(store: Store) -> None:
    kept = finished_with_a_file(store, 400)
    assert runs.set_kept(store, kept.id).kept
    assert not runs.prune_run_outputs(store, retention_days=1)
    assert (Path(kept.output_dir) / "out.txt").exists()
    assert runs.execution_as_dict(runs.get_execution(store, kept.id))["kept"] is True
    assert not runs.set_kept(store, kept.id, False).kept
    assert runs.prune_run_outputs(store, retention_days=1).runs == 1
    with pytest.raises(ExecutionNotFoundError, match="no run with id 999"):
        runs.set_kept(store, 999)


def test_running_runs_and_folders_elsewhere_are_left_alone(store: Store, tmp_path: Path) -> None:
    running = record(store)
    runs.mark_running(running)
    ScriptExecution.update(queued_at=utcnow() - timedelta(days=90)).execute()
    elsewhere = finished_with_a_file(store, 90)
    foreign = tmp_path / "not the store's"
    foreign.mkdir()
    ScriptExecution.update(output_dir=str(foreign)).where(
        ScriptExecution.id == elsewhere.id).execute()
    assert not runs.prune_run_outputs(store, retention_days=1)
    assert Path(running.output_dir).is_dir() and foreign.is_dir()


def test_a_record_pointing_at_the_runs_folders_parent_never_removes_the_data_folder(
        store: Store) -> None:
    """A record edited to `runs/..` (or `runs/<another id>`) is not the folder the store made."""
    victim, other = finished_with_a_file(store, 90), finished_with_a_file(store)
    for run_id, folder in ((victim.id, f"{store.runs_dir}/.."), (other.id, victim.output_dir)):
        ScriptExecution.update(output_dir=folder).where(ScriptExecution.id == run_id).execute()
    age(other, 90)
    assert not runs.prune_run_outputs(store, retention_days=1)
    assert (store.data_dir / "ifcscript.sqlite3").is_file()
    assert (Path(victim.output_dir) / "out.txt").is_file()


def workflow_run(store: Store, report_dir: Path | str, days_old: float,
                 status: str = "success", made: bool | None = None) -> WorkflowExecution:
    """A finished workflow run whose combined report is in `report_dir`; `made`: whether the
    app made that folder (None: a record from before the flag)."""
    Path(report_dir).mkdir(parents=True, exist_ok=True)
    (Path(report_dir) / "report.csv").write_text("model,step\n")
    report = {"steps": [], "report_dir": str(report_dir)}
    if made is not None:
        report["report_made"] = made
    return WorkflowExecution.create(
        workflow_name="Checks", model_path="/m/house.ifc", status=status,
        finished_at=utcnow() - timedelta(days=days_old), report=report)


def test_pruning_removes_the_apps_workflow_report_folders_never_the_users(
        store: Store, tmp_path: Path) -> None:
    made = store.data_dir / "workflow-runs" / "20240101-120000-Checks"
    chosen = tmp_path / "my reports"
    fresh = store.data_dir / "workflow-runs" / "20240301-120000-Checks"
    old_runs = [workflow_run(store, made, 60), workflow_run(store, made, 45)]
    workflow_run(store, chosen, 60)
    workflow_run(store, fresh, 60)
    workflow_run(store, fresh, 2)  # the same batch, one model finished later
    assert runs.prune_run_outputs(store, retention_days=30) == runs.Pruned(reports=1)
    assert not made.exists() and (chosen / "report.csv").exists() and fresh.is_dir()
    assert all(WorkflowExecution.get_by_id(run.id).outputs_removed_at for run in old_runs)


def test_retention_runs_at_most_once_a_day_and_0_days_keeps_everything(store: Store) -> None:
    old = finished_with_a_file(store, 40)
    save_setting(store, "retention_days", 0)
    assert runs.prune_if_due(store) is None and Path(old.output_dir).is_dir()
    assert runs.last_pruned(store) is None
    reset_setting(store, "retention_days")
    assert runs.prune_if_due(store) == runs.Pruned(runs=1)
    assert runs.last_pruned(store) is not None
    older = finished_with_a_file(store, 50)
    assert runs.prune_if_due(store) is None  # the same day
    assert Path(older.output_dir).is_dir()
    assert runs.prune_if_due(store, now=utcnow() + timedelta(hours=25)) == runs.Pruned(runs=1)


def test_a_report_folder_the_user_chose_inside_the_apps_folder_is_never_removed(
        store: Store) -> None:
    root = store.data_dir / "workflow-runs"
    chosen = root / "20240101-120000-mine"  # `--report` there, named like the app's
    workflow_run(store, chosen, 60, made=False)
    workflow_run(store, f"{root}/..", 60)  # a record edited to the data folder itself
    workflow_run(store, root / "notes", 60)  # not a name the app gives
    assert runs.prune_run_outputs(store, retention_days=30) == runs.Pruned()
    assert (chosen / "report.csv").is_file() and (root / "notes" / "report.csv").is_file()
    assert (store.data_dir / "ifcscript.sqlite3").is_file()
