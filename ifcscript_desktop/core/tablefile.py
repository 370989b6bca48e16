"""Large `show_table` tables kept as a file in the run's output folder, read back page by page.

A table of more than `SPILL_ROWS` rows does not travel inside the run's reply: the run child
writes it to `<output folder>/.tables/table-N.jsonl` and the reply (and the run record) carry
`{"title", "columns", "row_count", "file"}` instead of `"rows"`. The window then decodes only the
blocks of rows it shows, so a 100k-row table never stalls it; the command reads the whole file
back when it prints the run.

File format: JSON Lines. The first line is `{"columns": [...], "rows": N, "block": B}`; each next
line is a JSON array of up to B rows, each row an array of cells in column order.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

#: Tables with more rows than this are written to a file instead of the reply.
SPILL_ROWS = 1000
#: Rows per line of the file: what the window decodes at a time.
BLOCK_ROWS = 1000
#: More rows than a table file may claim (a guard against a forged header).
MAX_ROWS = 100_000_000
TABLES_DIR = ".tables"
#: A `result` kept in a table file is recorded as `{RESULT_KEY: {"columns", "row_count", "file"}}`.
RESULT_KEY = "ifcscript_table_file"
_NAME = re.compile(r"table-\d{1,6}\.jsonl")
DAMAGED = "Part of this table's file is damaged: those rows read as empty."


class TableFileError(ValueError):
    """A table file cannot be read; the message is a sentence for the user."""


class _Rows(Sequence[dict[str, Any]]):
    """A read-only list of row dicts of a known length; subclasses make one row at a time."""

    _count: int

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("table row out of range")
        return self._row(index)

    def _row(self, index: int) -> dict[str, Any]:
        raise NotImplementedError


class ColumnTable(_Rows):
    """A table held column by column (how a DataFrame converts fastest); reads as row dicts."""

    def __init__(self, names: list[str], columns: list[list[Any]], count: int) -> None:
        self.names, self.columns, self._count = names, columns, count

    def _row(self, index: int) -> dict[str, Any]:
        return {name: column[index] for name, column in zip(self.names, self.columns)}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = self.names
        if not names:
            return iter([{} for _ in range(self._count)])
        return (dict(zip(names, row)) for row in zip(*self.columns))

    def cell_rows(self, start: int, stop: int) -> list[tuple[Any, ...]]:
        """Rows `start:stop` as tuples of cells in column order."""
        return list(zip(*(column[start:stop] for column in self.columns)))


def write_table_file(path: Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """Write `rows` (dicts of JSON-able cells, or a ColumnTable) as a table file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(columns)
    dump = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    by_column = rows if isinstance(rows, ColumnTable) and rows.names == names and names else None
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(dump({"columns": names, "rows": len(rows), "block": BLOCK_ROWS}) + "\n")
        for start in range(0, len(rows), BLOCK_ROWS):
            stop = start + BLOCK_ROWS
            block = by_column.cell_rows(start, stop) if by_column is not None else \
                [[row.get(c) for c in names] for row in rows[start:stop]]
            stream.write(dump(block) + "\n")


def is_records(value: Any) -> bool:
    """True for a non-empty list of dicts: what a table is made of."""
    return isinstance(value, list) and bool(value) and all(type(r) is dict for r in value)


def spill_result(value: Any, output_dir: str | os.PathLike[str]) -> Any:
    """A JSON-able `result`: a list of more than SPILL_ROWS dicts is written to `table-0.jsonl`
    and replaced by its reference; anything else is returned as it is."""
    if not (isinstance(value, list) and len(value) > SPILL_ROWS and is_records(value)):
        return value
    if len({tuple(row) for row in value}) != 1:
        return value  # rows with different keys: read back, they would all get every key
    columns = list(value[0])
    name = "table-0.jsonl"
    write_table_file(table_file_path(output_dir, name), columns, value)
    return {RESULT_KEY: {"columns": columns, "row_count": len(value), "file": name}}


def result_table(value: Any) -> dict[str, Any] | None:
    """The table reference a spilled `result` holds, or None for any other value."""
    if isinstance(value, dict) and len(value) == 1 and isinstance(value.get(RESULT_KEY), dict):
        return value[RESULT_KEY]
    return None


def read_result(value: Any) -> tuple[Any, str | None]:
    """A `result` as the script set it (a spilled table read back into its rows), and a
    sentence when its rows cannot be read (the value is then None)."""
    table = result_table(value)
    if table is None:
        return value, None
    try:
        rows = table_rows(table)
        value = list(rows)
    except TableFileError as exc:
        return None, str(exc)
    return value, DAMAGED if getattr(rows, "damaged", False) else None


def is_table_file_name(name: Any) -> bool:
    """True for the base names the run child gives table files (nothing else is trusted)."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def table_file_path(output_dir: str | os.PathLike[str], name: str) -> Path:
    return Path(output_dir) / TABLES_DIR / name


class TableRows(_Rows):
    """The rows of a table file as a read-only list of dicts, decoded a block at a time.

    Reading the file is one read and one split; a block is decoded the first time one of its
    rows is asked for. A damaged block reads as empty rows and sets `damaged`.
    """

    def __init__(self, path: str | os.PathLike[str], expected_rows: int | None = None) -> None:
        self.path = Path(path)
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise TableFileError(f"The rows of this table are gone: {self.path} was deleted "
                                 "(old runs' files are removed after the retention period).") from None
        except OSError as exc:
            raise TableFileError(f"The rows of this table cannot be read from {self.path}: "
                                 f"{exc.strerror or exc}.") from None
        lines = data.split(b"\n")
        if lines and not lines[-1]:
            lines.pop()  # the newline that ends the last block
        try:
            header = json.loads(lines[0])
            self.columns = [c for c in header["columns"] if isinstance(c, str)]
            self._count = header["rows"]
            self._block = header["block"]
            if len(self.columns) != len(header["columns"]) or type(self._count) is not int \
                    or self._block != BLOCK_ROWS or not 0 <= self._count <= MAX_ROWS:
                raise ValueError
        except Exception:  # noqa: BLE001 - anything in a foreign file means the same
            raise TableFileError(f"{self.path} is not a table file of this program.") from None
        blocks = lines[1:]
        # The file lies in a folder the script could write to: it must still be what the run
        # recorded, whole (each block one JSON array on its line).
        if (expected_rows is not None and expected_rows != self._count) \
                or len(blocks) != -(-self._count // self._block) \
                or not all(b.startswith(b"[") and b.endswith(b"]") for b in blocks):
            raise TableFileError(f"The rows of this table cannot be shown: {self.path} was "
                                 "changed or cut short after the run wrote it.")
        self._lines = blocks
        self._blocks: dict[int, list[dict[str, Any]]] = {}
        self.damaged = False

    def _row(self, index: int) -> dict[str, Any]:
        number, offset = divmod(index, self._block)
        block = self._blocks.get(number)
        if block is None:
            block = self._blocks[number] = self._decode(number)
        return block[offset] if offset < len(block) else {}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for number in range((self._count + self._block - 1) // self._block):
            if number not in self._blocks:
                self._blocks[number] = self._decode(number)
            yield from self._blocks[number]

    def _decode(self, number: int) -> list[dict[str, Any]]:
        columns = self.columns
        expected = min(self._block, self._count - number * self._block)
        try:
            cells = json.loads(self._lines[number])
            rows = [dict(zip(columns, row)) for row in cells]
            if len(rows) != expected:
                raise ValueError
        except Exception:  # noqa: BLE001 - a damaged block reads as empty rows, flagged
            self.damaged = True
            rows = [{} for _ in range(expected)]
        return rows


def table_rows(table: dict[str, Any]) -> Sequence[dict[str, Any]]:
    """The rows of a table as the reply or the run record holds it: inline or in its file."""
    if table.get("file"):
        count = table.get("row_count")
        return TableRows(table["file"], count if type(count) is int else None)
    rows = table.get("rows") or []
    columns = table.get("columns")
    if columns and rows and isinstance(rows[0], list):  # rows given as lists of cells
        return [dict(zip(columns, row)) for row in rows]
    return rows


def row_count(table: dict[str, Any]) -> int:
    """How many rows a table has, without reading its file."""
    if table.get("file"):
        return int(table.get("row_count") or 0)
    return len(table.get("rows") or [])


def expand_tables(tables: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """Tables with their rows inline (for printing a run); a vanished file gives no rows and a note."""
    if not tables:
        return tables
    expanded = []
    for table in tables:
        if isinstance(table, dict) and table.get("file"):
            table = dict(table)
            try:
                rows = table_rows(table)
                table["rows"] = list(rows)
            except TableFileError as exc:
                table["rows"], table["error"] = [], str(exc)
            else:
                if getattr(rows, "damaged", False):
                    table["error"] = DAMAGED
        expanded.append(table)
    return expanded
