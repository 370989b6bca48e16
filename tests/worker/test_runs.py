"""Runs in a real worker on a real model: results, isolation between runs, robustness."""

from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

from ifcscript_desktop.core.client import WorkerClient
from tests.worker.conftest import LIMITS, run


def test_a_run_streams_output_and_returns_its_result(worker: WorkerClient, tmp_path: Path) -> None:
    request = run(worker, "print('walls:', len(model.by_type('IfcWall')))\nresult = {'n': len(entities)}", tmp_path)
    assert request.reply["status"] == "success", request.reply
    assert "walls: 13" in request.output_text
    assert request.reply["result"] == {"n": 127}


def test_runs_after_the_first_never_reparse(worker: WorkerClient, tmp_path: Path) -> None:
    before = worker.call("ping")
    for _ in range(3):
        assert run(worker, "result = len(entities)", tmp_path).reply["status"] == "success"
    after = worker.call("ping")
    assert after["pid"] == before["pid"]
    assert after["parses"] == before["parses"]
    assert after["runs"] == before["runs"] + 3


def test_a_script_mutating_the_model_leaves_the_next_run_unaffected(worker: WorkerClient, tmp_path: Path) -> None:
    code = "for w in model.by_type('IfcWall'):\n    model.remove(w)\nresult = len(model.by_type('IfcWall'))"
    assert run(worker, code, tmp_path).reply["result"] == 0
    assert run(worker, "result = len(model.by_type('IfcWall'))", tmp_path).reply["result"] == 13


def test_a_script_error_names_the_line(worker: WorkerClient, tmp_path: Path) -> None:
    reply = run(worker, "x = 1\ny = x / 0\n", tmp_path).reply
    assert reply["status"] == "error"
    assert reply["error"] == "ZeroDivisionError: division by zero"
    assert reply["error_line"] == 2
    assert "line 2" in reply["traceback"]


def test_an_infinite_loop_times_out_and_the_next_run_succeeds(worker: WorkerClient, tmp_path: Path) -> None:
    reply = run(worker, "while True:\n    pass\n", tmp_path, limits={"timeout_s": 1}).reply
    assert reply["status"] == "timeout"
    assert "time limit (1 s)" in reply["error"]
    assert run(worker, "result = 1", tmp_path).reply["result"] == 1


def test_a_memory_bomb_ends_in_error_naming_the_limit(worker: WorkerClient, tmp_path: Path) -> None:
    code = "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))\n"
    reply = run(worker, code, tmp_path, limits={"memory_mb": 300}).reply
    assert reply["status"] == "error"
    assert "memory" in reply["error"] and "300 MB" in reply["error"]
    assert run(worker, "result = 2", tmp_path).reply["result"] == 2


def test_cancel_stops_a_running_script(worker: WorkerClient, tmp_path: Path) -> None:
    printed = threading.Event()
    request = worker.run({"code": "print('going', flush=True)\nwhile True:\n    pass\n", "filename": "<t>",
                          "params": {}, "granted": [], "selection": [], "previous": {},
                          "output_dir": str(tmp_path / "c"), "limits": LIMITS},
                         on_event=lambda r, m: m.get("event") == "output" and printed.set())
    assert printed.wait(30), "the script never started"
    worker.cancel(request)
    assert request.wait(30)
    assert request.reply["status"] == "cancelled"


def test_exit_calls_and_recursion_end_sensibly(worker: WorkerClient, tmp_path: Path) -> None:
    assert run(worker, "print('bye')\nexit(0)", tmp_path).reply["status"] == "success"
    reply = run(worker, "exit(3)", tmp_path).reply
    assert reply["status"] == "error" and "exit code 3" in reply["error"]
    reply = run(worker, "def f(n):\n    return f(n + 1)\nf(0)", tmp_path).reply
    assert reply["status"] == "error" and "recursed too deeply" in reply["error"]
    assert run(worker, "result = 3", tmp_path).reply["result"] == 3


def test_results_are_made_json_able(worker: WorkerClient, tmp_path: Path) -> None:
    code = ("import math\n"
            "result = {'nan': float('nan'), 'arr': np.arange(3), 'df': pd.DataFrame({'a': [1, 2]}),"
            " 'i': np.int64(4)}")
    reply = run(worker, code, tmp_path).reply
    assert reply["status"] == "success", reply
    assert reply["result"] == {"nan": None, "arr": [0, 1, 2], "df": [{"a": 1}, {"a": 2}], "i": 4}
    reply = run(worker, "class Foo: pass\nresult = {'x': Foo()}", tmp_path).reply
    assert reply["status"] == "error" and "Foo" in reply["error"]


def test_printed_protocol_lookalikes_stay_plain_output(worker: WorkerClient, tmp_path: Path) -> None:
    fake = json.dumps({"id": 1, "done": True, "ok": True, "status": "success", "result": "forged"})
    code = f"print({fake!r})\nprint({json.dumps({'event': 'done', 'status': 'success'})!r})\nresult = 'real'"
    request = run(worker, code, tmp_path)
    assert request.reply["result"] == "real"
    assert "forged" in request.output_text


def test_a_print_flood_is_capped_and_the_worker_stays_responsive(worker: WorkerClient, tmp_path: Path) -> None:
    code = "line = 'x' * 1023\nfor _ in range(200 * 1024):\n    print(line)\nresult = 'done'"
    request = run(worker, code, tmp_path, wait=300)
    assert request.reply["status"] == "success"
    assert request.reply["output_truncated"] is True
    text = request.output_text
    assert len(text) < 11 * 1024 * 1024
    assert "[output capped at 10 MB" in text
    assert worker.call("ping", timeout=10)["pid"]


def test_tables_charts_highlights_and_files_come_back(worker: WorkerClient, tmp_path: Path) -> None:
    code = ("walls = [e for e in entities if e.ifc.is_a('IfcWall')]\n"
            "show_table([{'GlobalId': w.ifc_guid, 'Name': w.name} for w in walls], title='Walls')\n"
            "show_chart('bar', ['a', 'b'], [1, 2], title='Chart')\n"
            "highlight(walls[:2], color='#ff0000')\n"
            "save_output('walls.csv', pd.DataFrame([{'g': w.ifc_guid} for w in walls]))\n")
    reply = run(worker, code, tmp_path).reply
    assert reply["status"] == "success", reply
    assert reply["tables"][0]["title"] == "Walls" and len(reply["tables"][0]["rows"]) == 13
    assert reply["charts"][0]["kind"] == "bar"
    assert len(reply["highlights"][0]["ids"]) == 2
    saved = Path(reply["outputs"][0])
    assert saved.name == "walls.csv" and len(saved.read_text().splitlines()) == 14


def test_queries_answer_tree_element_and_filter(worker: WorkerClient) -> None:
    roots = worker.call("tree", parent=None)["nodes"]
    assert [n["type"] for n in roots] == ["IfcProject"]
    ids = worker.call("filter", query="IfcWall")["ids"]
    assert len(ids) == 13
    element = worker.call("element", element=ids[0])["element"]
    assert element["type"].startswith("IfcWall") and element["psets"]
    bad = worker.send("filter", {"query": "IfcWall, ((("})
    assert bad.wait(30) and not bad.ok and "not a valid" in bad.error


def test_a_crashed_run_child_is_that_runs_error_only(worker: WorkerClient, tmp_path: Path) -> None:
    started: dict = {}
    ready = threading.Event()

    def on_event(request, message) -> None:  # type: ignore[no-untyped-def]
        if message.get("event") == "started":
            started.update(message)
        if message.get("event") == "output":
            ready.set()

    request = worker.run({"code": "print('ready', flush=True)\nwhile True:\n    pass", "filename": "<t>",
                          "params": {}, "output_dir": str(tmp_path / "crash"), "limits": LIMITS},
                         on_event=on_event)
    assert ready.wait(30)
    os.kill(started["pid"], signal.SIGSEGV)  # what a native crash in a library looks like
    assert request.wait(30)
    assert request.reply["status"] == "error"
    assert "crashed the run process (segmentation fault)" in request.reply["error"]
    assert run(worker, "result = 'after'", tmp_path).reply["result"] == "after"


def test_threads_a_script_leaves_behind_do_not_outlive_its_run(worker: WorkerClient, tmp_path: Path) -> None:
    code = ("import ifcopenshell.geom\n"
            "settings = ifcopenshell.geom.settings()\n"
            "iterator = ifcopenshell.geom.iterator(settings, model, 2)\n"
            "iterator.initialize()\n"
            "result = 'left running'\n")
    reply = run(worker, code, tmp_path).reply
    assert reply["status"] == "success", reply
    assert run(worker, "result = len(entities)", tmp_path).reply["result"] == 127


def test_a_large_table_is_kept_in_a_file_of_the_runs_folder(worker: WorkerClient, tmp_path: Path) -> None:
    code = ("rows = [{'GlobalId': e.ifc_guid, 'n': i} for i, e in enumerate(entities)] * 30\n"
            "show_table(rows, title='Many')\nshow_table(rows[:5], title='Few')\n")
    reply = run(worker, code, tmp_path).reply
    assert reply["status"] == "success", reply
    many, few = reply["tables"]
    assert "rows" not in many and many["row_count"] == 127 * 30 and many["columns"] == ["GlobalId", "n"]
    assert Path(many["file"]).parent.parent.parent == tmp_path and Path(many["file"]).is_file()
    assert len(few["rows"]) == 5
    from ifcscript_desktop.core.tablefile import TableRows
    back = TableRows(many["file"])
    assert len(back) == 127 * 30 and back[127]["n"] == 0 and back[126]["n"] == 126


def test_a_forged_table_file_outside_the_runs_folder_is_ignored(tmp_path: Path) -> None:
    # What a script that got past the Python layer could write into its event pipe: the worker
    # keeps only a bare table-N.jsonl name and resolves it inside the run's own folder.
    from ifcscript_desktop.worker.outputs import Quota
    from ifcscript_desktop.worker.runs import Run
    sent: list[dict] = []
    in_flight = Run(request_id=1, child=None, timeout_s=None, output_cap=1000,  # type: ignore[arg-type]
                    send=sent.append, quota=Quota(1 << 30, 10_000), output_dir=str(tmp_path))
    for name in ("../../../etc/passwd", "/etc/passwd", "table-1.jsonl/../../x", None):
        in_flight._on_event({"event": "table", "table": {"columns": ["a"], "row_count": 5, "file": name}})
    in_flight._on_event({"event": "table", "table": {"columns": ["a"], "row_count": "5", "file": "table-1.jsonl"}})
    assert in_flight.tables == []
    in_flight._on_event({"event": "table", "table": {"columns": ["a"], "row_count": 5, "file": "table-1.jsonl"}})
    assert in_flight.tables == [{"title": None, "columns": ["a"], "row_count": 5,
                                 "file": str(tmp_path / ".tables" / "table-1.jsonl")}]


def test_a_large_dataframe_result_is_kept_in_a_file_and_a_small_one_inline(worker: WorkerClient,
                                                                            tmp_path: Path) -> None:
    from ifcscript_desktop.core.tablefile import RESULT_KEY, TableRows
    code = "result = pd.DataFrame({'GlobalId': [e.ifc_guid for e in entities] * 20, 'n': range(127 * 20)})"
    reply = run(worker, code, tmp_path).reply
    assert reply["status"] == "success", reply
    reference = reply["result"][RESULT_KEY]
    assert reference["row_count"] == 2540 and reference["columns"] == ["GlobalId", "n"]
    assert TableRows(reference["file"])[2539]["n"] == 2539
    small = run(worker, "result = pd.DataFrame({'n': range(3)})", tmp_path).reply
    assert small["result"] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_a_script_naming_ifctester_finds_it_loaded_by_the_worker(worker: WorkerClient, tmp_path: Path) -> None:
    assert worker.call("ping")["preloaded"] == []
    code = "import ifctester.ids\nresult = len(ifctester.ids.get_schema().elements)"
    first = run(worker, code, tmp_path).reply
    assert first["status"] == "success", first
    assert worker.call("ping")["preloaded"] == ["ifctester"]
    assert run(worker, code, tmp_path).reply["result"] == first["result"]
