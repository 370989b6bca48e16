"""The `ifcscript` command as outside checks call it: real processes, real models, a real store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES

RUN_KEYS = {"execution_id", "script", "model", "status", "duration_s", "result", "output", "error",
            "traceback", "outputs", "tables", "charts", "highlights", "colors", "verdict",
            "verdict_detail"}


def ifcscript(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ifcscript_desktop", *args], capture_output=True,
                          text=True, timeout=timeout, env=os.environ.copy())


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_guid_check_by_name_on_a_fresh_data_dir(data_dir: Path, house: Path) -> None:
    done = ifcscript("run", "GUID Validation Check", str(house), "--json")
    assert done.returncode == 0, done.stderr
    [line] = json_lines(done.stdout)
    assert set(line) == RUN_KEYS
    assert line["status"] == "success" and line["model"] == str(house.absolute())
    assert line["result"]["status"] == "PASS"
    assert isinstance(line["execution_id"], int)


def test_several_models_with_a_broken_one(data_dir: Path, house: Path, illegal_file: Path,
                                          duplicated_guids: Path) -> None:
    done = ifcscript("run", "GUID Validation Check", str(house), str(illegal_file),
                     str(duplicated_guids), "--json")
    assert done.returncode == 1
    lines = json_lines(done.stdout)
    assert [line["status"] for line in lines] == ["success", "error", "success"]
    assert "syntax error" in lines[1]["error"] and lines[1]["error"] in done.stderr
    assert "Traceback" not in done.stderr
    assert lines[2]["result"]["status"] == "FAIL"
    history = json_lines(ifcscript("history", "--json").stdout)
    assert {h["execution_id"] for h in history} == {line["execution_id"] for line in lines}


@pytest.mark.parametrize("content", [b"", b"just some text\n", os.urandom(2048)])
def test_no_model_could_be_opened_is_exit_2(data_dir: Path, tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad model.ifc"
    bad.write_bytes(content)
    done = ifcscript("run", "GUID Validation Check", str(bad), str(tmp_path / "missing.ifc"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "does not exist" in done.stderr and "bad model.ifc" in done.stderr


def test_bad_usage_is_exit_2_with_a_sentence(data_dir: Path, house: Path) -> None:
    unknown = ifcscript("run", "No Such Script", str(house))
    assert unknown.returncode == 2 and "no script named 'No Such Script'" in unknown.stderr
    bad_value = ifcscript("run", "LOD Analyzer", str(house), "-p", "target_lod=high")
    assert bad_value.returncode == 2 and "target_lod" in bad_value.stderr
    undeclared = ifcscript("run", "LOD Analyzer", str(house), "-p", "colour=red")
    assert undeclared.returncode == 2 and "colour" in undeclared.stderr
    for done in (unknown, bad_value, undeclared):
        assert "Traceback" not in done.stderr


def test_a_script_file_with_parameters_and_outputs(data_dir: Path, tmp_path: Path, house: Path) -> None:
    script = tmp_path / "my checks" / "count walls.py"
    script.parent.mkdir()
    script.write_text(
        "# /// ifcscript\n# name = \"Count\"\n# [[parameters]]\n# name = \"cls\"\n"
        "# type = \"ifc_class\"\n# default = \"IfcWall\"\n# [[parameters]]\n# name = \"n\"\n"
        "# type = \"int\"\n# default = 1\n# ///\n"
        "found = model.by_type(params['cls'])\n"
        "print('found', len(found))\n"
        "save_output('count.json', {'count': len(found), 'n': params['n']})\n"
        "result = len(found) * params['n']\n")
    done = ifcscript("run", str(script), str(house), "-p", "n=2", "-p", "cls=IfcSlab", "--json")
    assert done.returncode == 0, done.stderr
    [line] = json_lines(done.stdout)
    assert line["script"] == str(script)
    assert line["result"] == 2 * 4
    assert "found 4" in line["output"]
    saved = Path(line["outputs"][0])
    assert json.loads(saved.read_text()) == {"count": 4, "n": 2}


def test_human_output_streams_and_history_shows_the_run(data_dir: Path, tmp_path: Path, house: Path) -> None:
    script = tmp_path / "hello.py"
    script.write_text("print('hello from the model', schema)\nresult = 'ok'\n")
    done = ifcscript("run", str(script), str(house))
    assert done.returncode == 0
    assert "hello from the model IFC4" in done.stdout and "success" in done.stdout
    listing = ifcscript("history", "--limit", "5")
    assert "hello" in listing.stdout and "success" in listing.stdout
    [last] = json_lines(ifcscript("history", "--json", "--limit", "1").stdout)
    shown = json.loads(ifcscript("history", "show", str(last["execution_id"]), "--json").stdout)
    assert shown["code"] == script.read_text() and shown["output"].startswith("hello from the model")
    assert ifcscript("history", "show", "99999").returncode == 2


def test_color_by_is_in_the_json_line_and_the_history_and_null_when_unused(
        data_dir: Path, tmp_path: Path, house: Path) -> None:
    script = tmp_path / "rating.py"
    script.write_text("walls = [e for e in entities if e.ifc.is_a('IfcWall')]\n"
                      "values = {w.ifc_guid: 'EI60' if i % 2 else 'EI30' for i, w in enumerate(walls)}\n"
                      "values['no such GlobalId'] = 'EI90'\n"
                      "color_by(values, title='Fire rating')\n")
    done = ifcscript("run", str(script), str(house), "--json")
    assert done.returncode == 0, done.stderr
    [line] = json_lines(done.stdout)
    assert set(line) == RUN_KEYS
    [colored] = line["colors"]
    assert set(colored) == {"title", "kind", "values", "legend"}
    assert colored["title"] == "Fire rating" and colored["kind"] == "category"
    assert len(colored["values"]) == 13 and all(k.isdigit() for k in colored["values"])
    assert [(e["label"], e["count"]) for e in colored["legend"]] == [
        ("EI30", 7), ("EI60", 6), ("Not in the model", 1)]
    assert all(set(e) == {"label", "color", "count"} for e in colored["legend"])
    shown = json.loads(ifcscript("history", "show", str(line["execution_id"]), "--json").stdout)
    assert shown["colors"] == line["colors"]
    human = ifcscript("history", "show", str(line["execution_id"])).stdout
    assert "Coloured by: Fire rating (13 values, 1 not found)" in human
    plain = tmp_path / "plain.py"
    plain.write_text("result = 1\n")
    [unused] = json_lines(ifcscript("run", str(plain), str(house), "--json").stdout)
    assert "colors" in unused and unused["colors"] is None
    shown = json.loads(ifcscript("history", "show", str(unused["execution_id"]), "--json").stdout)
    assert shown["colors"] is None


def test_scripts_import_export_round_trip_and_builtins_idempotent(data_dir: Path, tmp_path: Path) -> None:
    first = ifcscript("scripts", "load-builtins")  # the first command already loaded them
    assert first.returncode == 0 and "Unchanged" in first.stdout and "Created" not in first.stdout
    exported = tmp_path / "guid.py"
    assert ifcscript("scripts", "export", "GUID Validation Check", str(exported)).returncode == 0
    text = exported.read_text().replace('name = "GUID Validation Check"', 'name = "My GUID Check"')
    mine = tmp_path / "mine.py"
    mine.write_text(text)
    assert ifcscript("scripts", "import", str(mine)).returncode == 0
    again = tmp_path / "again.py"
    assert ifcscript("scripts", "export", "My GUID Check", str(again)).returncode == 0
    assert again.read_text() == text
    listed = ifcscript("scripts", "list").stdout
    assert "My GUID Check" in listed and "Export Elements to CSV" in listed and "LOD Analyzer" in listed
    broken = tmp_path / "broken.py"
    broken.write_text("# /// ifcscript\n# name = \"x\"\n# [[parameters]]\n# name = \"a\"\n# type = \"integer\"\n# ///\n")
    refused = ifcscript("scripts", "import", str(broken))
    assert refused.returncode == 2 and "line 5" in refused.stderr and "Traceback" not in refused.stderr


def test_ctrl_c_records_the_run_as_cancelled(data_dir: Path, tmp_path: Path, house: Path) -> None:
    script = tmp_path / "forever.py"
    script.write_text("print('started', flush=True)\nwhile True:\n    pass\n")
    process = subprocess.Popen([sys.executable, "-m", "ifcscript_desktop", "run", str(script), str(house)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "started"  # blocks until the script runs
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 130
    [last] = json_lines(ifcscript("history", "--json", "--limit", "1").stdout)
    assert last["status"] == "cancelled"


def test_limits_come_from_the_shared_settings_and_options_override_them(data_dir: Path, tmp_path: Path,
                                                                          house: Path) -> None:
    from ifcscript_desktop.core.settings import save_setting
    from ifcscript_desktop.core.store import open_store

    with open_store(data_dir) as store:
        save_setting(store, "timeout_s", 2)
        save_setting(store, "output_cap_bytes", 1024 * 1024)
    script = tmp_path / "busy.py"
    script.write_text("for _ in range(20000):\n    print('x' * 99)\nwhile True:\n    pass\n")
    [line] = json_lines(ifcscript("run", str(script), str(house), "--json").stdout)
    assert line["status"] == "timeout" and "(2 s)" in line["error"]
    assert "[output capped at 1 MB" in line["output"]
    [line] = json_lines(ifcscript("run", str(script), str(house), "--json", "--timeout", "1").stdout)
    assert line["status"] == "timeout" and "(1 s)" in line["error"]


def test_a_script_file_that_warns_runs_fine(data_dir: Path, tmp_path: Path, house: Path) -> None:
    script = tmp_path / "warns.py"
    # numpy warns about the division; formatting a warning quotes the script's line.
    script.write_text("x = np.array([1.0]) / np.array([0.0])\nresult = 'ok'\n")
    [line] = json_lines(ifcscript("run", str(script), str(house), "--json").stdout)
    assert line["status"] == "success", line
    assert "RuntimeWarning" in (line["output"] or "")


def test_json_lines_hold_every_row_of_large_tables_and_results(data_dir: Path, tmp_path: Path,
                                                               house: Path) -> None:
    script = tmp_path / "big.py"
    script.write_text("rows = [{'GlobalId': e.ifc_guid, 'n': i} for i, e in enumerate(entities * 20)]\n"
                      "show_table(rows, title='Big')\nresult = pd.DataFrame(rows)\n")
    done = ifcscript("run", str(script), str(house), "--json")
    assert done.returncode == 0, done.stderr
    [line] = json_lines(done.stdout)
    assert len(line["tables"][0]["rows"]) == 2540 and line["tables"][0]["rows"][2539]["n"] == 2539
    assert len(line["result"]) == 2540 and line["result"][0] == line["tables"][0]["rows"][0]
    [shown] = json_lines(ifcscript("history", "show", str(line["execution_id"]), "--json").stdout)
    assert shown["tables"] == line["tables"] and shown["result"] == line["result"]


SUGGESTS_A_FILE = """\
# /// ifcscript
# name = "Innocent"
# [[parameters]]
# name = "key"
# type = "{kind}"
# default = {default}
# [[parameters]]
# name = "extra"
# type = "file"
# ///
paths = params["key"] if isinstance(params["key"], list) else [params["key"]]
text = "".join(open(path).read() for path in paths if path)
print("read:", text)
save_output("copy.txt", text)
result = {{"text": text, "extra": params["extra"]}}
"""


@pytest.mark.parametrize("kind", ["file", "files"])
def test_a_script_cannot_grant_itself_a_file_through_its_default(data_dir: Path, tmp_path: Path,
                                                                 house: Path, kind: str) -> None:
    canary = f"canary-{os.urandom(8).hex()}"
    secret = tmp_path / "secret.txt"
    secret.write_text(canary)
    default = json.dumps(str(secret) if kind == "file" else [str(secret)])
    script = tmp_path / "shared" / "innocent.py"
    script.parent.mkdir()
    script.write_text(SUGGESTS_A_FILE.format(kind=kind, default=default))

    refused = ifcscript("run", str(script), str(house), "--json")
    assert refused.returncode == 2
    assert f"key suggests {secret}; pass -p key={secret} to allow it" in refused.stderr
    assert canary not in refused.stdout + refused.stderr and "Traceback" not in refused.stderr
    assert json_lines(ifcscript("history", "--json").stdout) == []  # nothing ran, nothing recorded
    for path in data_dir.rglob("*"):
        assert not path.is_file() or canary.encode() not in path.read_bytes(), path

    allowed = ifcscript("run", str(script), str(house), "--json", "-p", f"key={secret}")
    assert allowed.returncode == 0, allowed.stderr
    [line] = json_lines(allowed.stdout)
    assert line["status"] == "success"
    assert line["result"] == {"text": canary, "extra": None}  # no default: None, as before


def test_data_dir_may_come_before_the_command(tmp_path: Path, house: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    done = ifcscript("--data-dir", str(elsewhere), "run", "Model Summary", str(house), "--json")
    assert done.returncode == 0, done.stderr
    listed = ifcscript(f"--data-dir={elsewhere}", "history", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [run["script"] for run in json_lines(listed.stdout)] == ["Model Summary"]
    assert (elsewhere / "ifcscript.sqlite3").is_file()


def test_a_failed_check_succeeds_with_its_verdict_in_json_history_and_show(
        data_dir: Path, house: Path, duplicated_guids: Path) -> None:
    done = ifcscript("run", "GUID Validation Check", str(duplicated_guids), str(house), "--json")
    assert done.returncode == 0, done.stderr  # both runs ran: the check's FAIL is no error
    failed, passed = json_lines(done.stdout)
    duplicates = failed["result"]["duplicate_guids"]
    assert duplicates > 0
    assert (failed["status"], failed["verdict"]) == ("success", "FAIL")
    assert failed["verdict_detail"].startswith(f"{duplicates} duplicate GlobalIds")
    assert (passed["status"], passed["verdict"]) == ("success", "PASS")

    listing = ifcscript("history").stdout.splitlines()
    rows = {int(row.split()[0][1:]): row for row in listing}
    assert rows[failed["execution_id"]].split()[3:5] == ["success", "FAIL"]
    assert rows[failed["execution_id"]].endswith(f"({failed['verdict_detail']})")
    assert rows[passed["execution_id"]].split()[3:5] == ["success", "PASS"]

    only_failed = ifcscript("history", "--verdict", "fail", "--json")
    assert [run["execution_id"] for run in json_lines(only_failed.stdout)] == \
        [failed["execution_id"]]
    assert "No runs with verdict WARN." in ifcscript("history", "--verdict", "WARN").stdout
    refused = ifcscript("history", "--verdict", "hacked")
    assert refused.returncode == 2 and "invalid choice" in refused.stderr

    shown = json.loads(ifcscript("history", "show", str(failed["execution_id"]), "--json").stdout)
    assert (shown["status"], shown["verdict"], shown["verdict_detail"]) == \
        ("success", "FAIL", failed["verdict_detail"])
    human = ifcscript("history", "show", str(failed["execution_id"])).stdout
    assert f"Verdict: FAIL ({failed['verdict_detail']})" in human


def test_a_script_declaring_another_word_or_a_number_gets_no_verdict(
        data_dir: Path, tmp_path: Path, house: Path) -> None:
    declared = {"hacked": "'hacked'", "number": "1", "padded": "' FAIL'"}
    lines = []
    for name, value in declared.items():
        script = tmp_path / f"{name}.py"
        script.write_text(f"result = {{'status': {value}, 'failed': 13}}\n")
        done = ifcscript("run", str(script), str(house), "--json")
        assert done.returncode == 0, done.stderr
        [line] = json_lines(done.stdout)
        lines.append(line)
        assert (line["status"], line["verdict"], line["verdict_detail"]) == ("success", None, None)
    listed = json_lines(ifcscript("history", "--verdict", "none", "--json").stdout)
    assert {run["execution_id"] for run in listed} == {line["execution_id"] for line in lines}
    assert not json_lines(ifcscript("history", "--verdict", "FAIL", "--json").stdout)



def test_run_starts_its_worker_before_reading_its_arguments_and_never_leaves_it_behind(
        data_dir: Path, house: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker imports its libraries while the command parses arguments and opens the store
    (the run uses that worker, no second one); whatever the command then decides (a usage
    error, --help, a run), the worker ends with it."""
    import select

    from ifcscript_desktop import cli
    from ifcscript_desktop.core.client import WorkerClient

    created: list[WorkerClient] = []
    pids: list[int] = []
    real_init, real_start = WorkerClient.__init__, WorkerClient.start

    def init(self: WorkerClient, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        created.append(self)

    def start(self: WorkerClient) -> None:
        real_start(self)
        assert self.worker_pid is not None
        pids.append(self.worker_pid)

    monkeypatch.setattr(WorkerClient, "__init__", init)
    monkeypatch.setattr(WorkerClient, "start", start)
    assert cli.main(["run", "No Such Script", str(house), "--data-dir", str(data_dir)]) == 2
    assert cli.main(["run", "--help"]) == 0
    assert cli.main(["run", "GUID Validation Check", str(house), "--data-dir", str(data_dir),
                     "--json"]) == 0
    assert len(pids) == 3 and len(created) == 3  # the run used the worker started first
    for pid in pids:
        try:
            ended = os.pidfd_open(pid)
        except ProcessLookupError:
            continue  # gone already
        try:
            assert select.select([ended], [], [], 60)[0], f"worker {pid} outlived its command"
        finally:
            os.close(ended)
