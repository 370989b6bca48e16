"""The combined report of a workflow batch: one row per model and step, as CSV and JSON.

Columns: `model`, `step`, `status`, `duration_s`, `error`, `execution_id`, then the result's
`status` (as `result_status`) and its count keys (top-level whole-number values, such as
`checked` or `below_target`; a name that clashes with a fixed column is prefixed `result_`).
Qt-free.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterable

BASE_COLUMNS = ("model", "step", "status", "duration_s", "error", "execution_id", "result_status")
CSV_NAME, JSON_NAME = "report.csv", "report.json"


def report_row(model: str, step: str, status: str, duration_s: float | None = None,
               error: str | None = None, execution_id: int | None = None,
               result: Any = None) -> dict[str, Any]:
    """One row; the result contributes its `status` and its count keys."""
    row: dict[str, Any] = {"model": model, "step": step, "status": status,
                           "duration_s": duration_s, "error": _one_line(error),
                           "execution_id": execution_id, "result_status": None}
    if isinstance(result, dict):
        if isinstance(result.get("status"), str):
            row["result_status"] = result["status"]
        for key, value in result.items():
            if isinstance(value, int) and not isinstance(value, bool):
                row[f"result_{key}" if key in BASE_COLUMNS else key] = value
    return row


def columns_of(rows: Iterable[dict[str, Any]]) -> list[str]:
    columns = list(BASE_COLUMNS)
    for row in rows:
        columns += [key for key in row if key not in columns]
    return columns


def write_report(rows: list[dict[str, Any]], folder: str | Path) -> tuple[Path, Path]:
    """Save `report.csv` and `report.json` into `folder` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    columns = columns_of(rows)
    csv_path, json_path = folder / CSV_NAME, folder / JSON_NAME
    with open(csv_path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if row.get(key) is None else row[key] for key in columns})
    full = [{key: row.get(key) for key in columns} for row in rows]
    json_path.write_text(json.dumps(full, ensure_ascii=False, indent=1, default=str) + "\n",
                         encoding="utf-8")
    return csv_path, json_path


def _one_line(text: str | None) -> str | None:
    if not text:
        return None
    return " ".join(text.split())
