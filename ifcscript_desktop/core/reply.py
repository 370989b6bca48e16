"""What a run gave back, typed: `RunReply` (status, error, result, tables, ...) and `Table`.

Both are built in one place each: `RunReply.from_message` from the worker's final `run` message
(`core.protocol.run_reply`) and the text the run printed, `RunReply.from_execution` from a run
record; `Table.from_record` from a table as either holds it. A table's rows are inline (up to
`tablefile.SPILL_ROWS`) or in a table file the run child wrote; `Table.rows()` reads either, the
file a block at a time and as hostile input (`core.tablefile.TableRows`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ifcscript_desktop.core.jsonline import Streamed, encode
from ifcscript_desktop.core.store import ScriptExecution
from ifcscript_desktop.core.tablefile import DAMAGED, TableFileError, TableRows, result_table
from ifcscript_desktop.core.verdict import Verdict, read_verdict, stored_verdict

#: The keys of a run's JSON line (DESIGN.md: every key always present).
RUN_KEYS = ("execution_id", "script", "model", "status", "duration_s", "result", "output", "error",
            "traceback", "outputs", "tables", "charts", "highlights", "colors", "verdict",
            "verdict_detail")


@dataclass(frozen=True)
class Table(Streamed):
    """A table a run showed (or its `result` when that was a list of rows).

    In a run's JSON line it writes itself with its rows inline, read a block at a time.
    """

    title: str | None
    columns: list[str]
    row_count: int
    file: str | None = None  # the table file holding the rows, or None when they are inline
    inline: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_record(cls, value: Any) -> "Table | None":
        """The table a reply or a run record holds (`{title, columns, rows}` or `{title,
        columns, row_count, file}`); None for anything else."""
        if not isinstance(value, dict):
            return None
        title = value.get("title") if isinstance(value.get("title"), str) else None
        columns = [str(c) for c in value.get("columns") or [] if isinstance(c, str)]
        if isinstance(value.get("file"), str):
            count = value.get("row_count")
            return cls(title, columns, count if type(count) is int and count >= 0 else 0,
                       file=value["file"])
        rows = [row for row in value.get("rows") or [] if isinstance(row, dict)]
        return cls(title, columns or (list(rows[0]) if rows else []), len(rows), inline=rows)

    def rows(self) -> Sequence[dict[str, Any]]:
        """The rows, each a dict by column; a file's rows are decoded only as they are read.

        Raises TableFileError (a sentence) when the file is gone or not the one the run wrote;
        a damaged block reads as empty rows and sets `damaged` on the sequence returned.
        """
        if self.file is None:
            return self.inline
        return TableRows(self.file, self.row_count)

    def page(self, start: int, stop: int) -> list[dict[str, Any]]:
        """Rows `start:stop` (fewer at the end)."""
        return list(self.rows()[start:stop])

    def record(self) -> dict[str, Any]:
        """The table as a reply and the run record hold it."""
        if self.file is not None:
            return {"title": self.title, "columns": self.columns, "row_count": self.row_count,
                    "file": self.file}
        return {"title": self.title, "columns": self.columns, "rows": self.inline}

    def json_chunks(self) -> Iterator[str]:
        """The table with its `rows` inline (and an `error` when they cannot all be read)."""
        head = self.record()
        head.pop("rows", None)
        try:
            rows = self.rows()
        except TableFileError as exc:
            yield encode({**head, "rows": [], "error": str(exc)})
            return
        yield encode(head)[:-1] + ', "rows": ['
        first = True
        for block in rows.blocks() if isinstance(rows, TableRows) else [list(rows)]:
            if block:
                yield ("" if first else ", ") + encode(block)[1:-1]
                first = False
        yield "]"
        if getattr(rows, "damaged", False):
            yield f', "error": {encode(DAMAGED)}'
        yield "}"


@dataclass(frozen=True)
class RunReply:
    """How one run ended and what it produced, as the worker observed it and the store keeps it."""

    status: str
    error: str | None = None
    traceback: str | None = None
    error_line: int | None = None
    #: The `result` as recorded: a list of many rows stands as a reference to its table file
    #: (see `result_table`, `result_value`).
    result: Any = None
    tables: tuple[Table, ...] = ()
    charts: tuple[dict[str, Any], ...] = ()
    highlights: tuple[dict[str, Any], ...] = ()
    #: The run's `color_by` calls, in order (`core.colors`: the last is what the window shows).
    colors: tuple[dict[str, Any], ...] = ()
    outputs: tuple[str, ...] = ()
    output: str = ""  # what the run printed (capped by the worker at the `output_cap` setting)
    output_truncated: bool = False
    duration_s: float | None = None
    execution_id: int | None = None
    output_dir: str | None = None
    script: str = ""  # the script as the user named it (a stored script's name, or a path)
    model: str = ""
    #: "PASS", "FAIL" or "WARN" as the script's `result["status"]` declared it, read strictly
    #: (`core.verdict`); None for no verdict. A label only: `status` says how the run ended.
    verdict: str | None = None
    #: The counts behind the verdict ("13 failed"), or None.
    verdict_detail: str | None = None
    #: When the run started (queued, if it never started): what the results header says.
    started_at: datetime | None = None

    @classmethod
    def from_message(cls, message: dict[str, Any], output: str = "",
                     execution: ScriptExecution | None = None, script: str | None = None) -> "RunReply":
        """The reply of the worker's final `run` message (`core.protocol.run_reply`)."""
        status = message.get("status")
        status = status if isinstance(status, str) and status else "error"
        line = message.get("error_line")
        verdict = read_verdict(message.get("result"), status)
        return cls(
            status=status,
            error=_text(message.get("error")),
            traceback=_text(message.get("traceback")),
            error_line=line if type(line) is int and line > 0 else None,
            result=message.get("result"),
            tables=tuple(t for t in map(Table.from_record, message.get("tables") or []) if t),
            charts=tuple(c for c in message.get("charts") or [] if isinstance(c, dict)),
            highlights=tuple(h for h in message.get("highlights") or [] if isinstance(h, dict)),
            colors=tuple(c for c in message.get("colors") or [] if isinstance(c, dict)),
            outputs=tuple(p for p in message.get("outputs") or [] if isinstance(p, str)),
            output=output,
            output_truncated=bool(message.get("output_truncated")),
            duration_s=_number(message.get("duration_s")),
            execution_id=execution.id if execution is not None else None,
            output_dir=execution.output_dir if execution is not None else None,
            script=script or (execution.script_name if execution is not None else ""),
            model=execution.model_path if execution is not None else "",
            verdict=verdict.word if verdict is not None else None,
            verdict_detail=verdict.detail if verdict is not None else None,
            started_at=(execution.started_at or execution.queued_at) if execution is not None
            else None,
        )

    @classmethod
    def from_execution(cls, execution: ScriptExecution, script: str | None = None) -> "RunReply":
        """A finished run as its record keeps it."""
        message = {"status": str(execution.status), "error": execution.error,
                   "traceback": execution.traceback, "result": execution.result,
                   "tables": execution.tables, "charts": execution.charts,
                   "highlights": execution.highlights, "colors": execution.colors,
                   "outputs": execution.outputs,
                   "output_truncated": execution.output_truncated,
                   "duration_s": execution.duration_s}
        reply = cls.from_message(message, execution.output or "", execution, script)
        # The record's own columns (set when the run was recorded, or by the migration).
        verdict = stored_verdict(execution.verdict, execution.verdict_detail)
        return replace(reply, verdict=verdict.word if verdict is not None else None,
                       verdict_detail=verdict.detail if verdict is not None else None)

    @classmethod
    def from_record(cls, run: dict[str, Any]) -> "RunReply":
        """A run as `core.runs.execution_as_dict` gives it (History shows a past run with the
        same panes as a live one)."""
        reply = cls.from_message(run, run.get("output") or "")
        verdict = stored_verdict(run.get("verdict"), run.get("verdict_detail"))
        moment = run.get("started_at") or run.get("queued_at")
        try:
            started = datetime.fromisoformat(moment) if isinstance(moment, str) else None
        except ValueError:
            started = None
        run_id, folder = run.get("execution_id"), run.get("output_dir")
        return replace(reply, execution_id=run_id if type(run_id) is int else None,
                       output_dir=folder if isinstance(folder, str) else None,
                       script=str(run.get("script_name") or run.get("script") or ""),
                       model=str(run.get("model") or ""), started_at=started,
                       verdict=verdict.word if verdict is not None else None,
                       verdict_detail=verdict.detail if verdict is not None else None)

    @property
    def verdict_label(self) -> str | None:
        """"FAIL: 13 failed" (or "PASS"), None without a verdict."""
        return Verdict(self.verdict, self.verdict_detail).label() if self.verdict else None

    @property
    def result_table(self) -> Table | None:
        """The table file a long list of rows set as `result` was kept in, or None."""
        return Table.from_record(result_table(self.result))

    def result_value(self) -> tuple[Any, str | None]:
        """The `result` as the script set it (rows kept in a file read back whole), and a
        sentence when those rows cannot all be read."""
        table = self.result_table
        if table is None:
            return self.result, None
        try:
            rows = table.rows()
            value = list(rows)
        except TableFileError as exc:
            return None, str(exc)
        return value, DAMAGED if getattr(rows, "damaged", False) else None

    def json_line(self) -> dict[str, Any]:
        """The DESIGN.md JSON object of the run, every key present (empty values null).

        Tables stand as `Table`s: `core.jsonline.write_json_line` writes their rows a block at a
        time. A `result` kept in a file is read back whole.
        """
        result, problem = self.result_value()
        line: dict[str, Any] = {
            "execution_id": self.execution_id, "script": self.script, "model": self.model,
            "status": self.status, "duration_s": self.duration_s, "result": result,
            "output": self.output, "error": self.error or problem, "traceback": self.traceback,
            "outputs": list(self.outputs), "tables": list(self.tables),
            "charts": list(self.charts), "highlights": list(self.highlights),
            "colors": list(self.colors), "verdict": self.verdict,
            "verdict_detail": self.verdict_detail}
        for key in ("outputs", "tables", "charts", "highlights", "colors", "output", "result",
                    "traceback", "error"):
            if line[key] in ("", [], {}):
                line[key] = None
        return line


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
