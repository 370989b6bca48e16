"""Writing table rows out: TSV for the clipboard, CSV and XLSX files (no Qt)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ifcscript_desktop.ui.results.cells import cell_raw

XLSX_CELL_LIMIT = 32767  # characters Excel accepts in one cell


def tsv(lines: Iterable[Sequence[Any]]) -> str:
    """Tab-separated text as spreadsheets paste it; tabs and line breaks in cells become spaces."""
    out = []
    for line in lines:
        cells = (cell_raw(v) for v in line)
        out.append("\t".join(c.replace("\t", " ").replace("\r", " ").replace("\n", " ")
                             for c in cells))
    return "\n".join(out) + ("\n" if out else "")


def write_csv(path: str | Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> int:
    """Write a UTF-8 CSV (with BOM, so Excel reads accents right); returns the rows written."""
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell_raw(row.get(c)) for c in columns])
            count += 1
    return count


def write_xlsx(path: str | Path, columns: Sequence[str], rows: Iterable[dict[str, Any]],
               title: str = "Table") -> int:
    """Write an XLSX workbook in openpyxl's streaming mode; returns the rows written.

    Numbers and booleans stay numbers and booleans; text is always text (never a formula, even
    when it starts with "="), cleaned of characters XLSX cannot hold and cut at Excel's limit.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_sheet_title(title))
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(name)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    def value(v: Any) -> Any:
        if v is None or type(v) in (int, float, bool):
            return v
        text = ILLEGAL_CHARACTERS_RE.sub("", cell_raw(v))[:XLSX_CELL_LIMIT]
        if text.startswith("="):  # openpyxl would store it as a formula
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"
            return cell
        return text

    count = 0
    for row in rows:
        sheet.append([value(row.get(c)) for c in columns])
        count += 1
    book.save(str(path))
    return count


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in '[]:*?/\\' else ch for ch in title).strip("' ")
    return cleaned[:31] or "Table"
