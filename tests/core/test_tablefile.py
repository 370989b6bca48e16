"""Large tables kept as files: what is written is what is read back, damage gets a sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ifcscript_desktop.core.tablefile import (BLOCK_ROWS, RESULT_KEY, TableFileError, TableRows, expand_tables,
                                              is_table_file_name, read_result, row_count,
                                              spill_result, table_file_path, table_rows,
                                              write_table_file)

COLUMNS = ["GlobalId", "name", "area", "tags"]


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
    [table] = expand_tables([{"columns": COLUMNS, "row_count": 2 * BLOCK_ROWS, "file": str(path)}]) or []
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
    inline = {"title": "Few", "columns": ["a", "b"], "rows": [[1, 2], [3, 4]]}
    assert list(table_rows(spilled)) == rows and row_count(spilled) == 3000
    assert table_rows(inline) == [{"a": 1, "b": 2}, {"a": 3, "b": 4}] and row_count(inline) == 2
    expanded = expand_tables([spilled, inline])
    assert expanded is not None and expanded[0]["rows"] == rows and expanded[1] is inline
    path.unlink()
    gone = expand_tables([spilled])
    assert gone is not None and gone[0]["rows"] == [] and "gone" in gone[0]["error"]


def test_only_the_names_the_run_child_gives_are_trusted() -> None:
    assert is_table_file_name("table-12.jsonl")
    for name in ("../table-1.jsonl", "/etc/passwd", "table-1.jsonl/..", "x.jsonl", 5, None):
        assert not is_table_file_name(name)
