"""The line above a run's results naming what they belong to: script, model, run, time, status.

Results without a label get reported against the wrong model; this line is how a user tells
which run the tables below came from (and, with a check's verdict, what it found).
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.ui.plaintext import tooltip
from ifcscript_desktop.ui.statuscolors import STATUS_COLORS, UNKNOWN_COLOR, VERDICT_COLORS



def when(moment: datetime | None) -> str:
    """A run's time as the user reads it: "14:03:22" today, "2026-11-30 14:03" before."""
    if moment is None:
        return ""
    local = moment.astimezone() if moment.tzinfo else moment
    if local.date() == datetime.now(local.tzinfo).date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


class RunHeader(QWidget):
    """One line: "Model Summary on duplex.ifc · run #12 · 14:03:22 · success  [FAIL: 13 failed]",
    or a sentence saying why there is nothing to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Ignored: a long path must not widen the dock; the tooltip has it whole. Wrapped: in a
        # narrow pane the run's status (at the end) goes to a second line, never out of sight.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setWordWrap(True)
        self.badge = QLabel()
        self.badge.setTextFormat(Qt.TextFormat.PlainText)  # the counts are the script's text
        self.badge.setObjectName("verdict_badge")
        self.badge.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.badge)
        self.show_note("No run yet: open a model, pick a script and press F5.")

    def text(self) -> str:
        """What the line says, as plain text (the badge included)."""
        badge = f"  {self.badge.text()}" if self.badge.isVisibleTo(self) else ""
        return QTextDocumentFragment.fromHtml(self.label.text()).toPlainText() + badge

    def show_note(self, sentence: str) -> None:
        """A sentence instead of a run (no run on this model yet, no model open)."""
        self.label.setText(f"<span style='color:gray'>{html.escape(sentence)}</span>")
        self.label.setToolTip("")
        self.set_verdict(None)

    def show_running(self, script: str, model: str, execution_id: int | None,
                     started: datetime | None) -> None:
        self._show(script, model, execution_id, started, "running", None)
        self.set_verdict(None)

    def show_reply(self, reply: RunReply, elsewhere: bool = False) -> None:
        """`elsewhere`: the run was on a model that is no longer the active one."""
        self._show(reply.script, reply.model, reply.execution_id, reply.started_at, reply.status,
                   reply.duration_s)
        if elsewhere:
            self.label.setText(self.label.text() + " · <span style='color:#E07B00'>not the active "
                               "model</span>")
        self.set_verdict(reply.verdict, reply.verdict_detail)

    def set_verdict(self, text: str | None, counts: str | None = None) -> None:
        """The check's PASS/FAIL/WARN as a coloured badge with its counts; None hides it."""
        if not text:
            self.badge.clear()
            self.badge.hide()
            return
        color = VERDICT_COLORS.get(text.upper(), UNKNOWN_COLOR)
        self.badge.setText(f"{text}: {counts}" if counts else text)
        self.badge.setStyleSheet(f"color: white; background: {color}; font-weight: bold;"
                                 " border-radius: 3px; padding: 1px 6px;")
        self.badge.show()

    def _show(self, script: str, model: str, execution_id: int | None,
              started: datetime | None, status: str, duration: float | None) -> None:
        e = html.escape
        name = Path(model).name if model else "no model"
        script_name = script or "a script"
        color = STATUS_COLORS.get(status, UNKNOWN_COLOR)
        shown = "running…" if status == "running" else status
        took = f" in {duration:.2f} s" if duration is not None and status != "running" else ""
        facts = [f"run #{execution_id}" if execution_id is not None else "", when(started)]
        tail = "".join(f" · {e(f)}" for f in facts if f)
        self.label.setText(f"<b>{e(script_name)}</b> on <b>{e(name)}</b>{tail} · "
                           f"<span style='color:{color}; font-weight:bold'>{e(shown)}</span>"
                           f"{e(took)}")
        self.label.setToolTip(tooltip(f"{script_name}\n{model}"))
