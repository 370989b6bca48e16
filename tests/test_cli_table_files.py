"""`ifcscript run --json` and `ifcscript history show --json` read a run's table files as hostile.

Real commands, real worker, real files: a table file replaced by a named pipe, a link to
/dev/zero, a 1 TiB sparse file, a folder or an endless line gives that table a sentence in its
`error`, the command ends normally and never hangs; a large table is written a block at a time,
byte for byte what `json.dumps` of the whole line gives.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

from tests.core.test_tablefile import HAZARDS, _replace_with
from tests.test_cli import ifcscript, json_lines

BIG_RESULT = 4 << 20  # more than a pipe holds: the command waits on its stdout mid-line


def test_table_files_replaced_after_the_run_get_a_sentence_in_run_and_history_show(
        data_dir: Path, tmp_path: Path, house: Path) -> None:
    hazards = sorted(HAZARDS)
    script = tmp_path / "tables.py"
    script.write_text(
        "rows = [{'GlobalId': e.ifc_guid, 'n': i} for i, e in enumerate(entities * 20)]\n"
        f"for title in {hazards!r}:\n    show_table(rows, title=title)\n"
        "show_table(rows, title='kept')\n"
        f"result = 'x' * {BIG_RESULT}\n")
    command = subprocess.Popen([sys.executable, "-m", "ifcscript_desktop", "run", str(script), str(house),
                                "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=os.environ.copy())
    try:
        assert command.stdout is not None
        # The first byte of the line: the run is over and recorded, its tables not yet read
        # (they come after the result, which the pipe cannot hold).
        ready, _, _ = select.select([command.stdout], [], [], 120)
        assert ready, "the command wrote nothing within 120 s"
        first = os.read(command.stdout.fileno(), 1)  # not through the buffer communicate reads
        [tables_dir] = list(data_dir.glob("runs/*/.tables"))
        for number, hazard in enumerate(hazards, 1):
            _replace_with(tables_dir / f"table-{number}.jsonl", hazard)
        rest, errors = command.communicate(timeout=60)
    finally:
        command.kill()
        command.wait()
    assert command.returncode == 0, errors
    [line] = json_lines((first + rest).decode())
    assert line["status"] == "success" and len(line["result"]) == BIG_RESULT
    _check_tables(line["tables"], hazards)
    assert b"Traceback" not in errors

    shown = ifcscript("history", "show", str(line["execution_id"]), "--json", timeout=60)
    assert shown.returncode == 0 and "Traceback" not in shown.stderr
    [again] = json_lines(shown.stdout)
    _check_tables(again["tables"], hazards)
    human = ifcscript("history", "show", str(line["execution_id"]), timeout=60)
    assert human.returncode == 0 and "Traceback" not in human.stderr


def _check_tables(tables: list[dict], hazards: list[str]) -> None:
    assert [t["title"] for t in tables] == [*hazards, "kept"]
    for table, hazard in zip(tables, hazards):
        assert table["rows"] == [] and HAZARDS[hazard] in table["error"], table
        assert table["error"].startswith("The rows of this table cannot be")
    assert len(tables[-1]["rows"]) == 2540 and "error" not in tables[-1]


def test_a_100k_row_table_in_json_lines_is_what_json_dumps_gives(data_dir: Path, tmp_path: Path,
                                                                  house: Path) -> None:
    from ifcscript_desktop.core.reply import RunReply
    from ifcscript_desktop.core.runs import get_execution
    from ifcscript_desktop.core.store import open_store
    from tests.core.test_tablefile import expand_tables

    script = tmp_path / "big.py"
    script.write_text("show_table([{'n': i, 'name': f'Wand {i} ü', 'area': i / 8} for i in range(100_000)],"
                      " title='Big')\nshow_table([{'a': 1}], title='Small')\n")
    done = ifcscript("run", str(script), str(house), "--json", timeout=300)
    assert done.returncode == 0, done.stderr
    [line] = json_lines(done.stdout)
    with open_store(data_dir) as store:
        execution = get_execution(store, line["execution_id"])
        expected = RunReply.from_execution(execution, str(script)).json_line()
        expected["tables"] = expand_tables(execution.tables)
    assert len(expected["tables"][0]["rows"]) == 100_000
    assert done.stdout == json.dumps(expected, ensure_ascii=False, default=str) + "\n"
    shown = ifcscript("history", "show", str(line["execution_id"]), "--json", timeout=300)
    assert json.loads(shown.stdout)["tables"] == expected["tables"]
