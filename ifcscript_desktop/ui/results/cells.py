"""Plain-Python helpers for table cells: display text, sort order, filter text and element links.

No Qt here; these run over every row when the user sorts or filters, so they take fast paths
for the common cell types (text and numbers) and avoid a Python call per cell where they can.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

GUID_COLUMNS = ("globalid", "ifc_guid", "guid", "global_id")
ID_COLUMNS = ("id", "entity_id", "step_id")
_DIGITS = re.compile(r"\d+")
_NUMBER_START = frozenset("0123456789+-.")


def cell_text(value: Any) -> str:
    """What a cell shows: text as is, numbers compactly, lists and dicts as JSON, None empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return f"{value:.10g}" if math.isfinite(value) else str(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def cell_raw(value: Any) -> str:
    """A cell as exported text: full precision, lists and dicts as JSON, None empty."""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return cell_text(value)


def _pad(match: re.Match[str]) -> str:
    return match.group().rjust(24, "0")


def text_key(text: str, natural: bool = True) -> float | str:
    """A number for text that reads as one, else the text in natural order ("L2" < "L10")."""
    if text and text[0] in _NUMBER_START:
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            if number == number:  # not NaN
                return number
    return _DIGITS.sub(_pad, text.casefold()) if natural else text.casefold()


def sorted_rows(order: Sequence[int], rows: Sequence[dict[str, Any]], column: str,
                descending: bool, natural: bool = True) -> list[int]:
    """Row indices of `order` sorted by `column`: numbers before text, empty cells always last.

    `natural=False` orders text plainly (GlobalIds: natural order means nothing there and costs).
    """
    num_rows: list[int] = []
    num_keys: list[float] = []
    text_rows: list[int] = []
    text_keys: list[str] = []
    empty: list[int] = []
    known: dict[str, float | str] = {}  # columns repeat values (storeys, types): key each once
    for i in order:
        value = rows[i].get(column)
        kind = type(value)
        if kind is int or kind is float:  # not bool: True is no number here
            num_rows.append(i)
            num_keys.append(value)  # type: ignore[arg-type]
            continue
        if value is None or value == "":
            empty.append(i)
            continue
        text = value if kind is str else cell_text(value)
        key = known.get(text)
        if key is None:
            key = known[text] = text_key(text, natural)
        if isinstance(key, str):
            text_rows.append(i)
            text_keys.append(key)
        else:
            num_rows.append(i)
            num_keys.append(key)
    numbers = [num_rows[p] for p in sorted(range(len(num_rows)), key=num_keys.__getitem__,
                                            reverse=descending)]
    texts = [text_rows[p] for p in sorted(range(len(text_rows)), key=text_keys.__getitem__,
                                          reverse=descending)]
    return (texts + numbers if descending else numbers + texts) + empty


def haystacks(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[str]:
    """One lower-case string per row joining its cells' text, for the filter box."""
    text = cell_text
    per_column = [[v if type(v) is str else text(v) for v in [r.get(c) for r in rows]]
                  for c in columns]
    return [s.casefold() for s in map("\x1f".join, zip(*per_column))] if per_column \
        else ["" for _ in rows]


def link_column(columns: Iterable[str]) -> tuple[str, str] | None:
    """(column, "guid" | "id") naming the column that links rows to elements, GlobalId first."""
    by_name = {c.casefold(): c for c in columns}
    for names, kind in ((GUID_COLUMNS, "guid"), (ID_COLUMNS, "id")):
        for name in names:
            if name in by_name:
                return by_name[name], kind
    return None


def element_ref(value: Any, kind: str) -> int | str | None:
    """A STEP id (int) or a GlobalId (str) from a link cell, None when the cell holds neither."""
    if kind == "guid":
        return value.strip() if isinstance(value, str) and value.strip() else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("#").isdigit():
        return int(value.strip().lstrip("#"))
    return None


def values_by_guid(rows: Iterable[dict[str, Any]], guid_column: str, column: str) -> dict[str, Any]:
    """`{GlobalId: cell}` of `column` over `rows` (a later row of the same GlobalId wins); cells
    that are not plain text, numbers or booleans as their text."""
    values: dict[str, Any] = {}
    for row in rows:
        guid = element_ref(row.get(guid_column), "guid")
        if guid is not None:
            value = row.get(column)
            values[str(guid)] = value if value is None or isinstance(value, (str, int, float)) \
                else cell_text(value)
    return values


def columns_of(rows: Sequence[Any]) -> list[str]:
    """Columns of a list of dicts in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        if isinstance(row, dict):
            seen.update(dict.fromkeys(row))
    return [str(c) for c in seen]
