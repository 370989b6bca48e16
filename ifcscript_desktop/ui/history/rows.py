"""What one history row shows, kept small: the table holds these, not whole run records.

Qt-free helpers (text for times, durations and statuses) so they are easy to test and reuse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from ifcscript_desktop.core.store import ScriptExecution
from ifcscript_desktop.core.verdict import Verdict, stored_verdict
# The colours live in one table for every pane; re-exported for History's modules.

#: What each status means, for tooltips.
STATUS_HELP = {
    "queued": "Waiting to start.",
    "running": "Running now.",
    "success": "Finished without an error.",
    "error": "The script raised an error or was refused by the sandbox.",
    "timeout": "Stopped at the time limit.",
    "cancelled": "Stopped by the user.",
    "interrupted": "The app or the worker stopped before this run finished.",
}

ACTIVE = frozenset({"queued", "running"})

#: Why the Verdict column is not the Status column, for tooltips.
VERDICT_HELP = ("The check's verdict, as the script declared it in result[\"status\"]; the "
                "Status column says whether the script itself ran.")

#: What the Files column says of a kept run and of one whose files retention removed.
KEPT_HELP = "Kept: its output files are never removed by retention (Settings)."
REMOVED_HELP = "Its output files were removed by retention (Settings); the record stays."


@dataclass(frozen=True, slots=True)
class RunRow:
    """The columns of one run in the history table."""

    id: int
    queued_at: datetime | None
    script: str
    script_path: str | None
    model_path: str
    status: str
    duration_s: float | None
    source: str
    error: str | None
    kept: bool = False
    outputs_removed: bool = False
    verdict: str | None = None  # PASS, FAIL or WARN (`core.verdict`), None without one
    verdict_detail: str | None = None  # "13 failed"

    @classmethod
    def of(cls, execution: ScriptExecution) -> RunRow:
        verdict = stored_verdict(execution.verdict, execution.verdict_detail)
        return cls(
            id=int(execution.id),
            queued_at=execution.queued_at,
            script=execution.script_name or execution.script_path or "",
            script_path=execution.script_path,
            model_path=execution.model_path or "",
            status=str(execution.status),
            duration_s=execution.duration_s,
            source=execution.source or "",
            error=execution.error,
            kept=bool(execution.kept),
            outputs_removed=execution.outputs_removed_at is not None,
            verdict=verdict.word if verdict is not None else None,
            verdict_detail=verdict.detail if verdict is not None else None,
        )

    @property
    def model_name(self) -> str:
        return os.path.basename(self.model_path) or self.model_path

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def verdict_label(self) -> str:
        """"FAIL: 13 failed", "PASS", or "" without a verdict."""
        return Verdict(self.verdict, self.verdict_detail).label() if self.verdict else ""


def local_time(value: datetime | None) -> str:
    """A stored UTC time as the user's local time, to the second."""
    if value is None:
        return ""
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def duration_text(seconds: float | None, status: str = "") -> str:
    """A run's duration as a person reads it: 0.42 s, 12.3 s, 2 min 05 s, 1 h 02 min."""
    if seconds is None:
        return "…" if status in ACTIVE else ""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
