"""The one colour per run status and per check verdict, used by History, the results' header
and workflow reports alike (a status shown in two colours reads as two different things).

Readable on light and dark backgrounds. Qt-free: plain "#RRGGBB" strings.
"""

from __future__ import annotations

STATUS_COLORS = {
    "queued": "#607D8B",
    "running": "#1E88E5",
    "success": "#2E7D32",
    "error": "#D0312D",
    "timeout": "#E07B00",
    "cancelled": "#808080",
    "interrupted": "#8E24AA",
}
#: What a check found (`core.verdict`), beside whether the run ran.
VERDICT_COLORS = {"PASS": "#2E7D32", "FAIL": "#D0312D", "WARN": "#E07B00"}
#: A status or verdict the tables above do not know.
UNKNOWN_COLOR = "#808080"
