"""Large tables kept as files: what is written is what is read back, damage gets a sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from ifcscript_desktop.core.tablefile import (BLOCK_ROWS, TableFileError, TableRows, expand_tables,
                                              is_table_file_name, row_count, table_rows,
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
    lines[2] = lines[2][: len(lines[2]) // 2]  # the second block cut in half
    path.write_bytes(b"\n".join(lines))
    back = TableRows(path)
    assert back[0]["GlobalId"] == "g000000" and not back.damaged
    assert back[BLOCK_ROWS] == {} and back.damaged
    assert len(list(back)) == 2 * BLOCK_ROWS


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
