"""`ifcscript workflow ...` as users and outside checks call it: real processes, real models."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ifcscript_desktop.core.store import ScriptExecution, WorkflowExecution, open_store
from ifcscript_desktop.core.workflows import step_runs
from tests.conftest import FIXTURES
from tests.test_cli import ifcscript, json_lines

CHECKS = (FIXTURES / "example-workflow.toml").read_text(encoding="utf-8")

WRITER = """\
# /// ifcscript
# name = "Writer"
# ///
save_output("walls.json", {"walls": len(model.by_type("IfcWall"))})
result = {"status": "written", "walls": len(model.by_type("IfcWall"))}
"""

READER = """\
# /// ifcscript
# name = "Reader"
# ///
import json
{body}
with open(previous["Write"]["outputs"][0]) as stream:
    saved = json.load(stream)
result = {{"status": "read", "seen_steps": len(previous), "walls": saved["walls"],
          "guid_status": previous["GUIDs"]["result"]["status"]}}
"""

#: Two steps: the reader needs the writer's file (the window's tests and retention's use it).
WRITE_READ = """\
name = "Write then read"
stop_on_error = true
[[steps]]
name = "Write"
script = "Writer"
[[steps]]
name = "Read"
script = "Reader"
"""

CHAIN = """\
name = "Chain"
stop_on_error = true
[[steps]]
name = "GUIDs"
script = "GUID Validation Check"
[[steps]]
name = "Write"
script = "Writer"
[[steps]]
name = "Read"
script = "Reader"
"""


def _import(tmp_path: Path, text: str, name: str = "wf.toml") -> None:
    path = tmp_path / name
    path.write_text(text)
    done = ifcscript("workflow", "import", str(path))
    assert done.returncode == 0, done.stderr


def _script(tmp_path: Path, name: str, code: str) -> None:
    path = tmp_path / f"{name}.py"
    path.write_text(code)
    done = ifcscript("scripts", "import", str(path))
    assert done.returncode == 0, done.stderr


def test_two_steps_over_several_models_with_a_broken_one(data_dir: Path, tmp_path: Path, house: Path,
                                                         illegal_file: Path, duplicated_guids: Path,
                                                         geelen: Path) -> None:
    _import(tmp_path, CHECKS)
    report = tmp_path / "report"
    done = ifcscript("workflow", "run", "Incoming model checks", str(house), str(illegal_file),
                     str(duplicated_guids), str(geelen), "--jobs", "2", "--report", str(report))
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "syntax error" in done.stderr
    assert f"output folder: {report}" in done.stdout
    with open(report / "report.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    by_key = {(Path(row["model"]).name, row["step"]): row for row in rows}
    assert len(rows) == 8
    broken = by_key[(illegal_file.name, "GUIDs")]
    assert broken["status"] == "error" and "syntax error" in broken["error"]
    assert by_key[(illegal_file.name, "LOD")]["status"] == "skipped"
    for model in (house, duplicated_guids, geelen):
        assert by_key[(model.name, "GUIDs")]["status"] == "success"
        assert by_key[(model.name, "LOD")]["status"] == "success"
        assert by_key[(model.name, "LOD")]["target_lod"] == "300"
    assert by_key[(house.name, "GUIDs")]["result_status"] == "PASS"
    assert by_key[(duplicated_guids.name, "GUIDs")]["result_status"] == "FAIL"
    assert by_key[(duplicated_guids.name, "GUIDs")]["duplicate_guids"] == "1"
    assert int(by_key[(house.name, "LOD")]["elements"]) > 0
    as_json = json.loads((report / "report.json").read_text())
    assert [(r["step"], r["status"]) for r in as_json] == [(r["step"], r["status"]) for r in rows]

    # Every run is in the store: one workflow run per model, each step a normal script run.
    with open_store(data_dir) as store:
        executions = list(WorkflowExecution.select().order_by(WorkflowExecution.id))
        assert sorted(Path(e.model_path).name for e in executions) == sorted(
            m.name for m in (house, illegal_file, duplicated_guids, geelen))
        for execution in executions:
            ran = step_runs(execution)
            assert all(run.source == "workflow" for run in ran)
            if Path(execution.model_path) == illegal_file.absolute():
                assert execution.status == "error" and [r.status for r in ran] == ["error"]
                assert "syntax error" in execution.report["error"]
            else:
                assert execution.status == "success"
                assert [(r.script_name, r.status) for r in ran] == [
                    ("GUID Validation Check", "success"), ("LOD Analyzer", "success")]
                assert ran[1].parameters == {"target_lod": 300}
        assert ScriptExecution.select().count() == 7
    history = json_lines(ifcscript("history", "--json", "--limit", "50").stdout)
    assert len(history) == 7  # the step runs are in the ordinary history too
    listed = json_lines(ifcscript("workflow", "history", "--json").stdout)
    assert {entry["status"] for entry in listed} == {"success", "error"}


def test_previous_results_and_outputs_reach_later_steps(data_dir: Path, tmp_path: Path,
                                                        house: Path) -> None:
    _script(tmp_path, "Writer", WRITER)
    _script(tmp_path, "Reader", READER.format(body=""))
    _import(tmp_path, CHAIN)
    done = ifcscript("workflow", "run", "Chain", str(house), "--json")
    assert done.returncode == 0, done.stderr
    rows = json_lines(done.stdout)
    assert [row["step"] for row in rows] == ["GUIDs", "Write", "Read"]
    assert "output folder:" in done.stderr  # --json keeps stdout to the rows
    with open_store(data_dir) as store:
        read = ScriptExecution.get_by_id(rows[2]["execution_id"])
        assert read.result == {"status": "read", "seen_steps": 2, "walls": 13, "guid_status": "PASS"}
    report_dir = Path(done.stderr.split("output folder: ")[1].splitlines()[0])
    assert (report_dir / "report.csv").is_file() and report_dir.parent.parent == data_dir


def test_resume_from_the_failed_step(data_dir: Path, tmp_path: Path, house: Path) -> None:
    _script(tmp_path, "Writer", WRITER)
    _script(tmp_path, "Reader", READER.format(body='raise RuntimeError("the reader is not ready")'))
    _import(tmp_path, CHAIN)
    failed = ifcscript("workflow", "run", "Chain", str(house), "--json")
    assert failed.returncode == 1
    rows = json_lines(failed.stdout)
    assert [row["status"] for row in rows] == ["success", "success", "error"]
    assert "the reader is not ready" in rows[2]["error"]
    first_id = rows[0]["workflow_execution_id"]

    _script(tmp_path, "Reader", READER.format(body=""))  # the script is fixed
    resumed = ifcscript("workflow", "run", "Chain", "--resume", str(first_id), "--json")
    assert resumed.returncode == 0, resumed.stderr
    again = json_lines(resumed.stdout)
    assert [row["status"] for row in again] == ["success", "success", "success"]
    # The steps that had succeeded are reused, not run again.
    assert [row["execution_id"] for row in again[:2]] == [row["execution_id"] for row in rows[:2]]
    assert again[2]["execution_id"] != rows[2]["execution_id"]
    with open_store(data_dir) as store:
        execution = WorkflowExecution.get_by_id(again[0]["workflow_execution_id"])
        assert execution.status == "success" and execution.report["resumed_from"] == first_id
        assert [s["reused"] for s in execution.report["steps"]] == [True, True, False]
        assert ScriptExecution.get_by_id(again[2]["execution_id"]).result["walls"] == 13
        assert ScriptExecution.select().count() == 4
    nothing = ifcscript("workflow", "run", "Chain", "--resume",
                        str(again[0]["workflow_execution_id"]))
    assert nothing.returncode == 2 and "nothing to resume" in nothing.stderr


def test_export_import_round_trip_and_bad_files_refused(data_dir: Path, tmp_path: Path) -> None:
    _import(tmp_path, CHECKS)
    exported = tmp_path / "exported.toml"
    assert ifcscript("workflow", "export", "Incoming model checks", str(exported)).returncode == 0
    assert "target_lod = 300" in exported.read_text()
    fresh = tmp_path / "other-data"
    assert ifcscript("workflow", "import", str(exported), "--data-dir", str(fresh)).returncode == 0
    back = tmp_path / "back.toml"
    assert ifcscript("workflow", "export", "Incoming model checks", str(back),
                     "--data-dir", str(fresh)).returncode == 0
    assert back.read_text() == exported.read_text()
    listed = json_lines(ifcscript("workflow", "list", "--json", "--data-dir", str(fresh)).stdout)
    assert [w["name"] for w in listed] == ["Incoming model checks"]

    for text, line, reason in [
        (CHECKS.replace('"LOD Analyzer"', '"LOD Analyser"').replace("Incoming", "A"), 12,
         'no stored script named "LOD Analyser"'),
        (CHECKS.replace("target_lod = 300", "target_lod = 301").replace("Incoming", "B"), 13,
         "target_lod"),
        (CHECKS.replace("[[steps]]\nname", "[[steps]\nname", 1).replace("Incoming", "C"), 7,
         "not valid TOML"),
    ]:
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        refused = ifcscript("workflow", "import", str(bad))
        assert refused.returncode == 2
        assert f"line {line}: " in refused.stderr and reason in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    names = [w["name"] for w in json_lines(ifcscript("workflow", "list", "--json").stdout)]
    assert names == ["Incoming model checks"]  # nothing stored from the bad files
    unknown = ifcscript("workflow", "run", "No Such Workflow", "m.ifc")
    assert unknown.returncode == 2 and "no workflow named" in unknown.stderr


def test_watch_runs_a_slowly_copied_model_once_after_it_is_complete(data_dir: Path, tmp_path: Path,
                                                                     house: Path) -> None:
    _import(tmp_path, CHECKS)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # The watch stops on its own after 10 s: long enough for the copy and the run, and for many
    # more looks at the folder in which the same change must not run again.
    watcher = subprocess.Popen(
        [sys.executable, "-m", "ifcscript_desktop", "workflow", "watch", "Incoming model checks",
         str(inbox), "--interval", "0.2", "--stop-after", "10"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert watcher.stdout is not None
    assert watcher.stdout.readline().startswith("Watching ")
    data = house.read_bytes()
    half = len(data) // 2
    target = inbox / "delivery.ifc"
    completed: list[float] = []

    def copy_slowly() -> None:
        with open(target, "wb") as stream:
            for start in range(0, half, 256 * 1024):
                stream.write(data[start:min(start + 256 * 1024, half)])
                stream.flush()
                time.sleep(0.1)  # a slow network copy
            time.sleep(1.5)  # half the file, unchanged over several looks: must not run
            stream.write(data[half:])
        completed.append(time.time())

    writer = threading.Thread(target=copy_slowly)
    writer.start()
    stdout, stderr = watcher.communicate(timeout=120)
    writer.join()
    assert watcher.returncode == 0, stderr
    assert stdout.count("delivery.ifc is complete") == 1
    assert "Watch stopped after 1 model(s)." in stdout
    with open_store(data_dir):
        [execution] = list(WorkflowExecution.select())
        assert execution.trigger == "watch" and execution.status == "success"
        assert execution.model_path == str(target)
        assert execution.started_at.timestamp() >= completed[0]
        assert execution.started_at.timestamp() - completed[0] < 2.0  # the bound
        assert [run.status for run in step_runs(execution)] == ["success", "success"]


def test_watch_stops_cleanly_when_the_folder_disappears(data_dir: Path, tmp_path: Path) -> None:
    _import(tmp_path, CHECKS)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watcher = subprocess.Popen(
        [sys.executable, "-m", "ifcscript_desktop", "workflow", "watch", "Incoming model checks",
         str(inbox), "--interval", "0.1", "--stop-after", "120"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert watcher.stdout is not None
    assert watcher.stdout.readline().startswith("Watching ")
    shutil.rmtree(inbox)
    _, stderr = watcher.communicate(timeout=60)
    assert watcher.returncode == 1
    assert "is gone" in stderr and "watch stopped" in stderr and "Traceback" not in stderr
    missing = ifcscript("workflow", "watch", "Incoming model checks", str(inbox))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_ctrl_c_stops_a_batch_and_records_its_runs_as_cancelled(data_dir: Path, tmp_path: Path,
                                                                 house: Path) -> None:
    _script(tmp_path, "Forever", "# /// ifcscript\n# name = \"Forever\"\n# ///\nwhile True:\n    pass\n")
    _import(tmp_path, 'name = "Stuck"\n[[steps]]\nname = "Loop"\nscript = "Forever"\n'
                      '[[steps]]\nname = "GUIDs"\nscript = "GUID Validation Check"\n')
    copy = tmp_path / "copy.ifc"
    shutil.copy(house, copy)
    process = subprocess.Popen([sys.executable, "-m", "ifcscript_desktop", "workflow", "run", "Stuck",
                                str(house), str(copy), "--jobs", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    store = open_store(data_dir)
    try:
        deadline = time.monotonic() + 120
        while ScriptExecution.select().where(ScriptExecution.status == "running").count() < 2:
            assert time.monotonic() < deadline and process.poll() is None, "the steps never started"
            time.sleep(0.1)  # polling the store another process writes, not a fixed wait
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 130, errors
        assert "Traceback" not in errors
        assert {run.status for run in ScriptExecution.select()} == {"cancelled"}
        assert {wf.status for wf in WorkflowExecution.select()} == {"cancelled"}
        assert WorkflowExecution.select().count() == 2
    finally:
        if process.poll() is None:
            process.kill()
        store.close()


READS_FILES = """\
# /// ifcscript
# name = "Reads files"
# [[parameters]]
# name = "key"
# type = "file"
# [[parameters]]
# name = "others"
# type = "files"
# ///
paths = ([params["key"]] if params["key"] else []) + params["others"]
result = {"texts": [open(path).read() for path in paths]}
"""


def test_a_workflow_file_reading_outside_its_folder_needs_allow_file(data_dir: Path, tmp_path: Path,
                                                                    house: Path) -> None:
    canary = f"canary-{time.monotonic_ns()}"
    secret = tmp_path / "secret.txt"
    secret.write_text(canary)
    elsewhere = tmp_path / "elsewhere" / "two.txt"
    elsewhere.parent.mkdir()
    elsewhere.write_text("two")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "rules.txt").write_text("rules")
    (shared / "link.txt").symlink_to(elsewhere)  # looks inside, points outside
    _script(tmp_path, "Reads files", READS_FILES)
    toml = shared / "wf.toml"
    toml.write_text('name = "Sneaky"\n[[steps]]\nname = "Read"\nscript = "Reads files"\n'
                    'params = { key = "../secret.txt", others = ["rules.txt", "link.txt"] }\n')

    refused = ifcscript("workflow", "import", str(toml))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert str(secret) in refused.stderr and str(elsewhere) in refused.stderr
    assert f"pass --allow-file {secret} --allow-file {elsewhere}" in refused.stderr
    assert "rules.txt" not in refused.stderr  # inside the folder: no question
    assert canary not in refused.stdout + refused.stderr
    assert json_lines(ifcscript("workflow", "list", "--json").stdout) == []  # nothing imported

    partly = ifcscript("workflow", "import", str(toml), "--allow-file", str(secret))
    assert partly.returncode == 2 and str(elsewhere) in partly.stderr
    assert f"--allow-file {secret}" not in partly.stderr
    assert json_lines(ifcscript("workflow", "list", "--json").stdout) == []

    allowed = ifcscript("workflow", "import", str(toml), "--allow-file", str(secret),
                        "--allow-file", str(shared / ".." / "elsewhere" / "two.txt"))
    assert allowed.returncode == 0, allowed.stderr
    [listed] = json_lines(ifcscript("workflow", "list", "--json").stdout)
    # Stored resolved: a link retargeted later cannot change what was allowed.
    assert listed["steps"][0]["params"] == {"key": str(secret),
                                            "others": [str(shared / "rules.txt"), str(elsewhere)]}
    done = ifcscript("workflow", "run", "Sneaky", str(house), "--json")
    assert done.returncode == 0, done.stderr
    [row] = json_lines(done.stdout)
    with open_store(data_dir) as store:
        assert ScriptExecution.get_by_id(row["execution_id"]).result == {
            "texts": [canary, "rules", "two"]}


def test_a_workflow_file_reading_only_inside_its_folder_imports_without_questions(
        data_dir: Path, tmp_path: Path) -> None:
    _script(tmp_path, "Reads files", READS_FILES)
    shared = tmp_path / "shared"
    (shared / "rules").mkdir(parents=True)
    (shared / "rules" / "a.txt").write_text("a")
    toml = shared / "wf.toml"
    toml.write_text('name = "Plain"\n[[steps]]\nname = "Read"\nscript = "Reads files"\n'
                    'params = { key = "rules/../rules/a.txt" }\n')
    done = ifcscript("workflow", "import", str(toml))
    assert done.returncode == 0, done.stderr
