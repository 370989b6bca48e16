"""Large tables kept as files: what is written is what is read back, damage gets a sentence."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ifcscript_desktop.core.jsonline import write_json_line
from ifcscript_desktop.core.reply import RunReply, Table
from ifcscript_desktop.core.tablefile import (BLOCK_ROWS, DAMAGED, RESULT_KEY, TableFileError, TableRows,
                                              is_table_file_name, max_file_bytes, spill_result,
                                              table_file_path, write_table_file)

COLUMNS = ["GlobalId", "name", "area", "tags"]


def table_rows(record: dict) -> Sequence[dict]:
    """The rows of a table as a reply or run record holds it."""
    table = Table.from_record(record)
    assert table is not None
    return table.rows()


def read_result(value: object) -> tuple[object, str | None]:
    return RunReply(status="success", result=value).result_value()


def expand_tables(tables: list[dict]) -> list[dict]:
    """Tables with their rows inline, as `--json` writes them (an `error` when they cannot be)."""
    expanded = []
    for record in tables:
        table = Table.from_record(record)
        assert table is not None
        head = {k: v for k, v in table.record().items() if k != "rows"}
        try:
            rows = table.rows()
            expanded.append({**head, "rows": list(rows)})
        except TableFileError as exc:
            expanded.append({**head, "rows": [], "error": str(exc)})
            continue
        if getattr(rows, "damaged", False):
            expanded[-1]["error"] = DAMAGED
    return expanded


def stream_tables(tables: list[dict]) -> list[Table]:
    return [table for table in map(Table.from_record, tables) if table is not None]


def _rows(count: int) -> list[dict]:
    return [{"GlobalId": f"g{i:06d}", "name": f"Wand {i} ü", "area": i / 4 if i % 3 else None,
             "tags": ["a", i] if i % 7 == 0 else None} for i in range(count)]


def test_rows_read_back_equal_what_was_written(tmp_path: Path) -> None:
    rows = _rows(2 * BLOCK_ROWS + 17)
    path = tmp_path / ".tables" / "table-1.jsonl"
    write_table_file(path, COLUMNS, rows)
    back = TableRows(path)
    assert len(back) == len(rows) and back.columns == COLUMNS
    assert back[0] == rows[0] and back[-1] == rows[-1] and back[BLOCK_ROWS] == rows[BLOCK_ROWS]
    assert list(back) == rows
    assert back[5:8] == rows[5:8]
    with pytest.raises(IndexError):
        back[len(rows)]


def test_only_the_blocks_asked_for_are_decoded(tmp_path: Path) -> None:
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, COLUMNS, _rows(10 * BLOCK_ROWS))
    back = TableRows(path)
    assert back[3 * BLOCK_ROWS + 5]["name"] == f"Wand {3 * BLOCK_ROWS + 5} ü"
    assert sorted(back._blocks) == [3]


def test_a_deleted_file_and_a_foreign_file_get_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(TableFileError, match="gone.*retention"):
        TableRows(tmp_path / "table-1.jsonl")
    foreign = tmp_path / "table-2.jsonl"
    foreign.write_text("hello\n")
    with pytest.raises(TableFileError, match="not a table file"):
        TableRows(foreign)


def test_a_damaged_block_reads_as_empty_rows_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, COLUMNS, _rows(2 * BLOCK_ROWS))
    lines = path.read_bytes().split(b"\n")
    lines[2] = b"[" + b"x" * 50 + b"]"  # the second block garbled, still one line
    path.write_bytes(b"\n".join(lines))
    back = TableRows(path)
    assert back[0]["GlobalId"] == "g000000" and not back.damaged
    assert back[BLOCK_ROWS] == {} and back.damaged
    assert len(list(back)) == 2 * BLOCK_ROWS
    [table] = expand_tables([{"columns": COLUMNS, "row_count": 2 * BLOCK_ROWS, "file": str(path)}])
    assert len(table["rows"]) == 2 * BLOCK_ROWS and "damaged" in table["error"]


@pytest.mark.parametrize("forge", [
    lambda lines: lines[:2],  # cut short: a block missing
    lambda lines: [lines[0], lines[1][: len(lines[1]) // 2], *lines[2:]],  # a block cut in half
    lambda lines: [b'{"columns": ["a"], "rows": 30000000, "block": 1}', *lines[1:]],
    lambda lines: [b'{"columns": ["a"], "rows": Infinity, "block": 1000}', *lines[1:]],
    lambda lines: [b'{"columns": [1, 2], "rows": 2000, "block": 1000}', *lines[1:]],
])
def test_a_file_changed_after_the_run_gets_a_sentence_not_a_freeze(tmp_path: Path, forge) -> None:  # type: ignore[no-untyped-def]
    # The run's folder is writable by the script: a forged header must not make readers
    # allocate millions of rows or raise something other than a sentence.
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, COLUMNS, _rows(2 * BLOCK_ROWS))
    path.write_bytes(b"\n".join(forge(path.read_bytes().split(b"\n"))))
    with pytest.raises(TableFileError):
        table_rows({"columns": COLUMNS, "row_count": 2 * BLOCK_ROWS, "file": str(path)})


def test_a_file_holding_other_rows_than_the_run_recorded_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, COLUMNS, _rows(1500))
    with pytest.raises(TableFileError, match="changed"):
        table_rows({"columns": COLUMNS, "row_count": 2500, "file": str(path)})


def test_a_large_result_is_spilled_only_when_it_reads_back_the_same(tmp_path: Path) -> None:
    same = [{"a": i, "b": str(i)} for i in range(3000)]
    spilled = spill_result(same, tmp_path)
    reference = spilled[RESULT_KEY]  # the child names the file; the worker resolves it
    reference["file"] = str(table_file_path(tmp_path, reference["file"]))
    assert read_result(spilled) == (same, None)
    mixed = same[:-1] + [{"a": 1, "c": 2}]
    assert spill_result(mixed, tmp_path) is mixed  # kept inline: no keys would be invented
    (tmp_path / ".tables" / "table-0.jsonl").unlink()
    value, problem = read_result(spilled)
    assert value is None and problem is not None and "gone" in problem


def test_inline_tables_and_file_tables_read_the_same_way(tmp_path: Path) -> None:
    rows = _rows(3000)
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, COLUMNS, rows)
    spilled = {"title": "Walls", "columns": COLUMNS, "row_count": 3000, "file": str(path)}
    inline = {"title": "Few", "columns": ["a", "b"], "rows": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}
    big, few = Table.from_record(spilled), Table.from_record(inline)
    assert big is not None and few is not None
    assert list(big.rows()) == rows and big.row_count == 3000 and big.page(2999, 3005) == rows[2999:]
    assert few.rows() == inline["rows"] and few.row_count == 2 and few.columns == ["a", "b"]
    assert big.record() == spilled and few.record() == inline
    expanded = expand_tables([spilled, inline])
    assert expanded[0]["rows"] == rows and expanded[1] == inline
    path.unlink()
    gone = expand_tables([spilled])
    assert gone[0]["rows"] == [] and "gone" in gone[0]["error"]


def test_only_the_names_the_run_child_gives_are_trusted() -> None:
    assert is_table_file_name("table-12.jsonl")
    for name in ("../table-1.jsonl", "/etc/passwd", "table-1.jsonl/..", "x.jsonl", 5, None):
        assert not is_table_file_name(name)


# -- a table file the script replaced: read as hostile, refused with a sentence, quickly ---------

@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail the test instead of hanging it when a reader blocks (a named pipe) or loops."""
    def expired(signum: int, frame: object) -> None:
        raise AssertionError("the reader did not return within 10 s")
    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, 10)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _replace_with(path: Path, hazard: str) -> None:
    """Put what a hostile script could leave at `path` in place of its table file."""
    if hazard == "fifo":
        path.unlink()
        os.mkfifo(path)
    elif hazard == "dev-zero":
        path.unlink()
        path.symlink_to("/dev/zero")
    elif hazard == "sparse-1tib":
        os.truncate(path, 1 << 40)
    elif hazard == "folder":
        path.unlink()
        path.mkdir()
    elif hazard == "huge-line":
        # A valid header, then one block's line of 60 MB (sparse: no disk used) never ending.
        header = path.read_bytes().split(b"\n")[0]
        path.write_bytes(header + b"\n[")
        os.truncate(path, 60 << 20)
    else:
        raise ValueError(hazard)


HAZARDS = {"fifo": "named pipe", "dev-zero": "link", "sparse-1tib": "it is 1.0 TB",
           "folder": "folder", "huge-line": "changed or cut short"}


@pytest.mark.parametrize("hazard", sorted(HAZARDS))
def test_a_table_file_replaced_by_something_hostile_gets_a_sentence_quickly(
        tmp_path: Path, hazard: str, deadline: None) -> None:
    path = tmp_path / ".tables" / "table-1.jsonl"
    write_table_file(path, COLUMNS, _rows(2500))
    _replace_with(path, hazard)
    started = time.monotonic()
    with pytest.raises(TableFileError, match=HAZARDS[hazard]) as caught:
        table_rows({"columns": COLUMNS, "row_count": 2500, "file": str(path)})
    assert time.monotonic() - started < 2
    assert str(caught.value).endswith(".") and str(path) in str(caught.value)
    value, problem = read_result({RESULT_KEY: {"columns": COLUMNS, "row_count": 2500, "file": str(path)}})
    assert value is None and problem == str(caught.value)


def test_a_tables_folder_replaced_by_a_link_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_table_file(elsewhere / "table-1.jsonl", COLUMNS, _rows(1500))
    run_folder = tmp_path / "run"
    run_folder.mkdir()
    (run_folder / ".tables").symlink_to(elsewhere)
    with pytest.raises(TableFileError, match="link"):
        TableRows(table_file_path(run_folder, "table-1.jsonl"), 1500)


def test_a_file_larger_than_its_rows_allow_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, COLUMNS, _rows(1500))
    os.truncate(path, max_file_bytes(1500) + 1)  # sparse: what a script can claim for free
    with pytest.raises(TableFileError, match="a table of 1,500 rows takes at most"):
        TableRows(path, 1500)


def test_a_file_still_growing_is_read_as_it_was_when_opened(tmp_path: Path, deadline: None) -> None:
    # A process left behind by the run keeps appending one endless line to the table file.
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, COLUMNS, _rows(2500))
    writer = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\nstream = open(sys.argv[1], 'ab', buffering=0)\nstream.write(b'[' * 65536)\n"
         "print('growing', flush=True)\nfor _ in range(4096):\n    stream.write(b'x' * 65536)\n",
         str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "growing\n"
        with pytest.raises(TableFileError, match="changed or cut short"):
            TableRows(path, 2500)
    finally:
        writer.kill()
        writer.wait()


def test_a_file_swapped_after_it_was_indexed_reads_as_damaged_not_as_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, COLUMNS, _rows(2000))
    rows = TableRows(path, 2000)
    assert rows[0]["GlobalId"] == "g000000"
    path.unlink()
    os.mkfifo(path)  # a reader that reopened it blindly would block here
    assert rows[BLOCK_ROWS] == {} and rows.damaged
    assert len(list(rows)) == 2000


# -- the command's JSON lines: tables written a block at a time, byte for byte the same ---------

def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str) + "\n"


def _streamed(line: dict) -> str:
    out = io.StringIO()
    write_json_line(line, out)
    return out.getvalue()


@pytest.mark.parametrize("hazard", [None, "damaged", "gone", "fifo"])
def test_a_streamed_line_is_what_json_dumps_writes_of_the_expanded_tables(tmp_path: Path,
                                                                         hazard: str | None) -> None:
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, COLUMNS, _rows(2 * BLOCK_ROWS + 3))
    if hazard == "damaged":
        lines = path.read_bytes().split(b"\n")
        lines[2] = b"[" + b"?" * 10 + b"]"
        path.write_bytes(b"\n".join(lines))
    elif hazard == "gone":
        path.unlink()
    elif hazard == "fifo":
        path.unlink()
        os.mkfifo(path)
    tables = [{"title": "Walls", "columns": COLUMNS, "row_count": 2 * BLOCK_ROWS + 3, "file": str(path)},
              {"title": "Few", "columns": ["a"], "rows": [{"a": "ä"}]},
              {"columns": ["a"], "row_count": 0, "file": str(tmp_path / "nothing.jsonl")}]
    write_table_file(tmp_path / "nothing.jsonl", ["a"], [])
    line = {"execution_id": 3, "result": [{"x": 1.5}], "tables": tables, "error": None}
    expected = _dumps({**line, "tables": expand_tables(tables)})
    assert _streamed({**line, "tables": stream_tables(tables)}) == expected
    assert _streamed(line) == _dumps(line)  # nothing streamed: one json.dumps


def test_a_100k_row_table_is_written_a_block_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "table-1.jsonl"
    rows = _rows(100_000)
    write_table_file(path, COLUMNS, rows)
    table = {"title": "Big", "columns": COLUMNS, "row_count": len(rows), "file": str(path)}
    pieces: list[str] = []

    class Recorder(io.StringIO):
        def write(self, text: str) -> int:
            pieces.append(text)
            return len(text)

    write_json_line({"tables": stream_tables([table])}, Recorder())
    assert "".join(pieces) == _dumps({"tables": [{**table, "rows": rows}]})
    assert max(map(len, pieces)) < len("".join(pieces)) // 50  # no piece holds the table


def test_cells_nested_too_deep_to_write_back_read_as_damaged_rows(tmp_path: Path) -> None:
    # Shown in the window or written into a JSON line, such a cell would exhaust the stack.
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, ["a"], [{"a": i} for i in range(1500)])
    lines = path.read_bytes().split(b"\n")
    deep = b"[" * 990 + b"]" * 990  # json.loads takes it; json.dumps a few frames deeper cannot
    fine = b"[" * 30 + b"1" + b"]" * 30
    lines[1] = b"[" + b",".join([b"[" + deep + b"]"] * BLOCK_ROWS) + b"]"
    lines[2] = lines[2].replace(b"[1000]", b"[" + fine + b"]")
    path.write_bytes(b"\n".join(lines))
    table = {"columns": ["a"], "row_count": 1500, "file": str(path)}
    assert TableRows(path)[BLOCK_ROWS]["a"] == json.loads(fine)
    [written] = json.loads(_streamed({"tables": stream_tables([table])}))["tables"]
    assert written["rows"][:2] == [{}, {}] and written["rows"][-1] == {"a": 1499}
    assert written["error"] == DAMAGED
