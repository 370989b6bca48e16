"""Large `show_table` tables kept as a file in the run's output folder, read back page by page.

A table of more than `SPILL_ROWS` rows does not travel inside the run's reply: the run child
writes it to `<output folder>/.tables/table-N.jsonl` and the reply (and the run record) carry
`{"title", "columns", "row_count", "file"}` instead of `"rows"`. The window then decodes only the
blocks of rows it shows, so a 100k-row table never stalls it; the command's `--json` writes the
rows out a block at a time (`core.reply.Table`). Every reader treats the file as written by the
script (see `TableRows`).

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

from ifcscript_desktop.core.runfiles import RunFileError, open_run_file, read_at, size_text

#: Tables with more rows than this are written to a file instead of the reply.
SPILL_ROWS = 1000
#: Rows per line of the file: what the window decodes at a time.
BLOCK_ROWS = 1000
#: More rows than a table file may claim (a guard against a forged header).
MAX_ROWS = 100_000_000
# What a reader accepts from a file the script could have replaced after the run. A row of an
# IFC table is a few hundred bytes (a hundred pset columns: a few KB); 32 KB a row on average
# over a block leaves room for long texts while a block's line stays at most 32 MB to decode.
# No table file is read past 2 GB (the run's output quota is 1 GB by default): a sparse file
# claiming a terabyte is refused from its size alone, before a byte is read.
#: The most bytes one row may take on average over its block.
MAX_ROW_BYTES = 32 * 1024
#: The most bytes the header line (the column names) may take.
MAX_HEADER_BYTES = 1024 * 1024
#: No table file larger than this is read, whatever its row count.
MAX_FILE_BYTES = 2 * 1024 ** 3
#: The deepest a cell's lists and objects may nest (a block holding a deeper one is damaged).
MAX_CELL_DEPTH = 32
_CHUNK = 1024 * 1024  # bytes read at a time while indexing
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


def is_table_file_name(name: Any) -> bool:
    """True for the base names the run child gives table files (nothing else is trusted)."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def table_file_path(output_dir: str | os.PathLike[str], name: str) -> Path:
    return Path(output_dir) / TABLES_DIR / name


class TableRows(_Rows):
    """The rows of a table file as a read-only list of dicts, decoded a block at a time.

    The file lies in a folder the script could write to, so it is read as hostile: opened
    without following links or blocking (`core.runfiles`), refused unless it is a regular file
    no larger than its row count allows (`max_file_bytes`), and indexed by scanning it in
    chunks for where each block's line starts and ends; only those offsets are kept. A block
    is read and decoded the first time one of its rows is asked for. A damaged block (or a
    file swapped since it was indexed) reads as empty rows and sets `damaged`.
    """

    def __init__(self, path: str | os.PathLike[str], expected_rows: int | None = None) -> None:
        self.path = Path(path)
        fd, info = self._open()
        try:
            if info.st_size > MAX_FILE_BYTES:
                raise self._too_large(info.st_size, MAX_FILE_BYTES, None)
            header_end = self._read_header(fd, info.st_size)
            if expected_rows is not None and expected_rows != self._count:
                raise self._changed()
            limit = max_file_bytes(self._count)
            if info.st_size > limit:
                raise self._too_large(info.st_size, limit, self._count)
            self._spans = self._index(fd, header_end, info.st_size)
        finally:
            os.close(fd)
        self._identity = (info.st_dev, info.st_ino, info.st_size)
        self._blocks: dict[int, list[dict[str, Any]]] = {}
        self.damaged = False

    def _row(self, index: int) -> dict[str, Any]:
        number, offset = divmod(index, self._block)
        block = self._blocks.get(number)
        if block is None:
            block = self._blocks[number] = self._decode(number)
        return block[offset] if offset < len(block) else {}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for block in self.blocks():
            yield from block

    def blocks(self) -> Iterator[list[dict[str, Any]]]:
        """Every block of rows in order, read one at a time (and not kept)."""
        try:
            fd: int | None = self._reopen()
        except (OSError, RunFileError):
            fd = None
        try:
            for number in range(len(self._spans)):
                cached = self._blocks.get(number)
                yield cached if cached is not None else self._decode(number, fd)
        finally:
            if fd is not None:
                os.close(fd)

    # -- reading ---------------------------------------------------------------------------
    def _open(self) -> tuple[int, os.stat_result]:
        try:
            return open_run_file(self.path)
        except FileNotFoundError:
            raise TableFileError(f"The rows of this table are gone: {self.path} was deleted "
                                 "(a run's output files are removed once it is older than the "
                                 "retention period in Settings, unless the run is kept).") from None
        except RunFileError as exc:
            raise TableFileError(f"The rows of this table cannot be read from {self.path}: "
                                 f"{exc}.") from None
        except OSError as exc:
            raise TableFileError(f"The rows of this table cannot be read from {self.path}: "
                                 f"{exc.strerror or exc}.") from None

    def _read_header(self, fd: int, size: int) -> int:
        """Read and check the first line; return where the blocks start."""
        head = read_at(fd, 0, min(size, MAX_HEADER_BYTES + 1))
        end = head.find(b"\n")
        if end < 0:
            end = len(head)  # a table of no rows may end without a newline
        try:
            if end > MAX_HEADER_BYTES:
                raise ValueError
            header = json.loads(head[:end])
            self.columns = [c for c in header["columns"] if isinstance(c, str)]
            self._count = header["rows"]
            self._block = header["block"]
            if len(self.columns) != len(header["columns"]) or type(self._count) is not int \
                    or self._block != BLOCK_ROWS or not 0 <= self._count <= MAX_ROWS:
                raise ValueError
        except Exception:  # noqa: BLE001 - anything in a foreign file means the same
            raise TableFileError(f"{self.path} is not a table file of this program.") from None
        return end + 1

    def _index(self, fd: int, start: int, size: int) -> list[tuple[int, int]]:
        """Where each block's line starts and ends, found by scanning `start:size` in chunks.

        The file must still be what the run wrote, whole: one line per block, each a JSON
        array, none longer than its rows allow.
        """
        blocks = -(-self._count // self._block)
        spans: list[tuple[int, int]] = []
        position = start
        while position < size:
            chunk = read_at(fd, position, min(_CHUNK, size - position))
            if not chunk:
                break  # cut short since it was measured
            at = 0
            while (newline := chunk.find(b"\n", at)) >= 0:
                spans.append((start, position + newline))
                start, at = position + newline + 1, newline + 1
                if len(spans) > blocks:
                    raise self._changed()
            position += len(chunk)
            if position - start > self._line_limit(len(spans)):
                break  # a line longer than its rows allow: no need to read to its end
        if start < position:
            spans.append((start, position))  # the last line, without its newline
        if len(spans) != blocks or any(end - begin > self._line_limit(number)
                                       for number, (begin, end) in enumerate(spans)):
            raise self._changed()
        for begin, end in spans:
            if end - begin < 2 or read_at(fd, begin, 1) != b"[" or read_at(fd, end - 1, 1) != b"]":
                raise self._changed()
        return spans

    def _line_limit(self, number: int) -> int:
        """The most bytes block `number`'s line may take."""
        return max(0, min(self._block, self._count - number * self._block)) * MAX_ROW_BYTES + 2

    def _reopen(self) -> int:
        """The file again, only if it is still the one indexed (not replaced or cut)."""
        fd, info = open_run_file(self.path)
        if (info.st_dev, info.st_ino) != self._identity[:2] or info.st_size < self._identity[2]:
            os.close(fd)
            raise RunFileError("it was replaced")
        return fd

    def _decode(self, number: int, fd: int | None = None) -> list[dict[str, Any]]:
        columns = self.columns
        expected = min(self._block, self._count - number * self._block)
        begin, end = self._spans[number]
        try:
            if fd is None:
                own = self._reopen()
                try:
                    data = read_at(own, begin, end - begin)
                finally:
                    os.close(own)
            else:
                data = read_at(fd, begin, end - begin)
            cells = json.loads(data)
            rows = [dict(zip(columns, row)) for row in cells]
            if len(rows) != expected or any(_too_deep(cell) for row in cells for cell in row):
                raise ValueError
        except Exception:  # noqa: BLE001 - a damaged block reads as empty rows, flagged
            self.damaged = True
            rows = [{} for _ in range(expected)]
        return rows

    # -- sentences -------------------------------------------------------------------------
    def _changed(self) -> TableFileError:
        return TableFileError(f"The rows of this table cannot be shown: {self.path} was "
                              "changed or cut short after the run wrote it.")

    def _too_large(self, size: int, limit: int, rows: int | None) -> TableFileError:
        allowed = f"a table of {rows:,} rows takes at most {size_text(limit)}" if rows is not None \
            else f"no table file of this program is larger than {size_text(limit)}"
        return TableFileError(f"The rows of this table cannot be read from {self.path}: it is "
                              f"{size_text(size)}, and {allowed}.")


def _too_deep(cell: Any, depth: int = MAX_CELL_DEPTH) -> bool:
    """A cell of lists in lists deeper than `depth` (writing it back would exhaust the stack)."""
    if not isinstance(cell, (list, dict)) or not cell:
        return False
    if depth == 0:
        return True
    return any(_too_deep(item, depth - 1) for item in (cell.values() if isinstance(cell, dict) else cell))


def max_file_bytes(rows: int) -> int:
    """The largest a table file of `rows` rows may be: MAX_ROW_BYTES a row, at most MAX_FILE_BYTES."""
    blocks = -(-rows // BLOCK_ROWS)  # each block adds its brackets and a newline
    return min(MAX_FILE_BYTES, MAX_HEADER_BYTES + 1 + rows * MAX_ROW_BYTES + 3 * blocks)
