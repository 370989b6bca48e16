"""Retention through the command: old runs' files go once a day, their records stay and say so.

Real `ifcscript` processes on a real data dir; a run is made old by setting its times in the
store, and "a day since retention last ran" by setting the store's timestamp.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from ifcscript_desktop.core import runs
from ifcscript_desktop.core.settings import save_setting
from ifcscript_desktop.core.store import (ScriptExecution, Setting, WorkflowExecution,
                                          open_store, utcnow)
from tests.test_cli import ifcscript, json_lines
from tests.test_workflow_cli import READER, WRITE_READ, WRITER, _import, _script

SAVER = """\
save_output("walls.json", {"walls": len(model.by_type("IfcWall"))})
show_table([{"GlobalId": e.GlobalId, "n": n}  # more rows than travel inline: a table file
            for n, e in enumerate(model.by_type("IfcProduct") * 20)], title="products")
result = "saved"
"""

ONE_STEP = """\
name = "Check"
[[steps]]
name = "Save"
script = "Saver"
"""

def make_old(data_dir: Path, run_ids: list[int] = (), workflow_ids: list[int] = (),
             days: float = 40, last_pruned_days_ago: float | None = 2) -> None:
    """Set finish times `days` back, and when retention last ran (None: never)."""
    when = utcnow() - timedelta(days=days)
    with open_store(data_dir):
        ScriptExecution.update(finished_at=when).where(ScriptExecution.id.in_(run_ids)).execute()
        WorkflowExecution.update(finished_at=when).where(
            WorkflowExecution.id.in_(workflow_ids)).execute()
        Setting.delete().where(Setting.key == runs.LAST_PRUNED_KEY).execute()
        if last_pruned_days_ago is not None:
            stamp = utcnow() - timedelta(days=last_pruned_days_ago)
            Setting.create(key=runs.LAST_PRUNED_KEY, value=stamp.isoformat())


def last_pruned(data_dir: Path) -> str | None:
    with open_store(data_dir):
        row = Setting.get_or_none(Setting.key == runs.LAST_PRUNED_KEY)
        return row.value if row else None


def test_a_command_removes_old_runs_files_once_a_day_but_never_kept_runs_or_a_users_report(
        data_dir: Path, tmp_path: Path, house: Path, duplicated_guids: Path) -> None:
    saver = tmp_path / "saver.py"
    saver.write_text(SAVER)
    done = ifcscript("run", str(saver), str(house), str(duplicated_guids), "--json")
    assert done.returncode == 0, done.stderr
    old, kept = json_lines(done.stdout)
    [recent] = json_lines(ifcscript("run", str(saver), str(house), "--json").stdout)
    folders = {line["execution_id"]: Path(line["outputs"][0]).parent for line in (old, kept, recent)}
    assert all((folder / "walls.json").is_file() for folder in folders.values())

    _script(tmp_path, "Saver", SAVER)
    _import(tmp_path, ONE_STEP)
    # The user's own --report folder, even inside the app's and named like its folders.
    users_report = data_dir / "workflow-runs" / "20240101-120000-mine"
    assert ifcscript("workflow", "run", "Check", str(house)).returncode == 0
    assert ifcscript("workflow", "run", "Check", str(house),
                     "--report", str(users_report)).returncode == 0
    with open_store(data_dir):
        batches = list(WorkflowExecution.select().order_by(WorkflowExecution.id))
        step_runs = [r.id for r in ScriptExecution.select().where(
            ScriptExecution.workflow_execution.is_null(False))]
    apps_report = Path(batches[0].report["report_dir"])
    assert apps_report.parent == data_dir / "workflow-runs" and (apps_report / "report.csv").is_file()
    assert (users_report / "report.csv").is_file()

    keep = ifcscript("history", "keep", str(kept["execution_id"]))
    assert keep.returncode == 0 and "is kept" in keep.stdout
    make_old(data_dir, [old["execution_id"], kept["execution_id"], *step_runs],
             [b.id for b in batches], days=40)

    listing = ifcscript("history")  # any command: retention runs after its own work
    assert listing.returncode == 0, listing.stderr
    assert not folders[old["execution_id"]].exists()  # .tables and saved files with it
    assert (folders[kept["execution_id"]] / "walls.json").is_file()
    assert (folders[recent["execution_id"]] / "walls.json").is_file()
    assert not apps_report.exists()
    assert (users_report / "report.csv").is_file()
    assert f"#{kept['execution_id']}" in listing.stdout
    assert any(line.startswith(f"#{old['execution_id']} ") and line.endswith("[files removed]")
               for line in ifcscript("history").stdout.splitlines())

    shown = ifcscript("history", "show", str(old["execution_id"]))
    assert "Output files removed after 40 days" in shown.stdout
    record = json.loads(ifcscript("history", "show", str(old["execution_id"]), "--json").stdout)
    assert record["status"] == "success" and record["result"] == "saved"  # the record stays
    assert record["outputs_removed_at"] and record["kept"] is False
    table = ifcscript("history", "show", str(old["execution_id"]), "--json").stdout
    assert "removed once it is older than the retention period" in table
    assert "Kept:" in ifcscript("history", "show", str(kept["execution_id"])).stdout

    # The same day, another command does not prune again, even when more runs are old by now.
    stamp = last_pruned(data_dir)
    make_old(data_dir, [recent["execution_id"]], days=40, last_pruned_days_ago=None)
    with open_store(data_dir):
        Setting.create(key=runs.LAST_PRUNED_KEY, value=stamp)
    assert ifcscript("history", "--limit", "1").returncode == 0
    assert (folders[recent["execution_id"]] / "walls.json").is_file()
    assert last_pruned(data_dir) == stamp

    # Unkept, the kept run's files go at the next day's pass.
    assert "no longer kept" in ifcscript("history", "unkeep", str(kept["execution_id"])).stdout
    make_old(data_dir, last_pruned_days_ago=1.5)
    assert ifcscript("history", "--limit", "1").returncode == 0
    assert not folders[kept["execution_id"]].exists()
    assert not folders[recent["execution_id"]].exists()
    assert last_pruned(data_dir) != stamp


def test_retention_of_0_days_keeps_everything(data_dir: Path, tmp_path: Path) -> None:
    with open_store(data_dir) as store:
        save_setting(store, "retention_days", 0)
        run = runs.create_execution(store, script=None, script_name="Old", script_path=None,
                                    code="", model_path=tmp_path / "m.ifc", parameters={},
                                    source="cli")
        (Path(run.output_dir) / "kept.txt").write_text("x")
        runs.finish_execution(run, status="success")
    make_old(data_dir, [run.id], days=3650, last_pruned_days_ago=None)
    assert ifcscript("history").returncode == 0
    assert (Path(run.output_dir) / "kept.txt").is_file()
    assert "removed" not in ifcscript("history", "show", str(run.id)).stdout


def test_keep_and_unkeep_say_what_is_wrong(data_dir: Path) -> None:
    missing = ifcscript("history", "keep", "12345")
    assert missing.returncode == 2 and "no run #12345" in missing.stderr
    no_id = ifcscript("history", "unkeep")
    assert no_id.returncode == 2 and "history unkeep ID" in no_id.stderr


def test_resume_runs_again_the_reused_steps_whose_files_were_pruned(
        data_dir: Path, tmp_path: Path, house: Path) -> None:
    _script(tmp_path, "Writer", WRITER)
    _script(tmp_path, "Reader", READER.format(body='raise RuntimeError("the reader is not ready")'))
    _import(tmp_path, WRITE_READ)
    failed = ifcscript("workflow", "run", "Write then read", str(house), "--json")
    assert failed.returncode == 1
    write, read = json_lines(failed.stdout)
    make_old(data_dir, [write["execution_id"]], days=40)
    assert ifcscript("history", "--limit", "1").returncode == 0  # retention removes its files
    with open_store(data_dir):
        assert runs.outputs_removed(ScriptExecution.get_by_id(write["execution_id"]))

    _script(tmp_path, "Reader", READER.format(body="previous['GUIDs'] = {'result': {'status': 0}}"))
    resumed = ifcscript("workflow", "run", "Write then read", "--resume",
                        str(write["workflow_execution_id"]), "--json")
    assert resumed.returncode == 0, resumed.stderr
    again = json_lines(resumed.stdout)
    assert [row["status"] for row in again] == ["success", "success"]
    assert again[0]["execution_id"] != write["execution_id"]  # run again, not reused
    assert "removed" in resumed.stdout + resumed.stderr  # and the command says why


def test_the_commands_output_ends_before_retention_runs(data_dir: Path) -> None:
    """A reader of the command's output (`| jq`) never waits for pruning."""
    assert ifcscript("history").returncode == 0  # makes the store; today's pruning is done
    with sqlite3.connect(data_dir / "ifcscript.sqlite3", isolation_level=None) as other:
        other.execute("DELETE FROM setting WHERE key = ?", (runs.LAST_PRUNED_KEY,))
        other.execute("BEGIN IMMEDIATE")  # pruning's claim of the day waits for this lock
        command = subprocess.Popen([sys.executable, "-m", "ifcscript_desktop", "history", "--json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert command.stdout is not None
            assert command.stdout.read() == ""  # the end of the output: no runs, and EOF
            assert command.poll() is None  # still pruning (waiting for the lock)
        finally:
            other.execute("ROLLBACK")
        assert command.wait(60) == 0
    with open_store(data_dir):
        assert Setting.get_or_none(Setting.key == runs.LAST_PRUNED_KEY) is not None
