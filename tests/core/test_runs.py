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
from ifcscript_desktop.core.store import (
    RunStatus,
    Script,
    ScriptExecution,
    Store,
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


def test_pruning_removes_old_output_files_but_keeps_the_records(store: Store) -> None:
    old, recent = record(store), record(store)
    for run in (old, recent):
        (Path(run.output_dir) / "out.txt").write_text("x")
        runs.finish_execution(run, status="success")
    ScriptExecution.update(finished_at=utcnow() - timedelta(days=40)).where(
        ScriptExecution.id == old.id
    ).execute()
    assert runs.prune_run_outputs(store, retention_days=30) == 1
    assert not Path(old.output_dir).exists()
    assert (Path(recent.output_dir) / "out.txt").exists()
    assert runs.get_execution(store, old.id).status == "success"
