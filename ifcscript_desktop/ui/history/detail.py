"""One past run in full: its parameters, the exact code that ran, output, result, files, error.

Its result, tables, charts and files are shown by the same widgets as a live run's (tables paged
from their files, charts redrawn), so a past run looks as it did.
"""

from __future__ import annotations

import html
import json
import os
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QTabWidget,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from ifcscript_desktop.core import colors
from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.ui.history.rows import KEPT_HELP, STATUS_HELP, duration_text, local_time
from ifcscript_desktop.ui.statuscolors import STATUS_COLORS
from ifcscript_desktop.ui.plaintext import tooltip
from ifcscript_desktop.ui.results.chart import ChartPane
from ifcscript_desktop.ui.results.files import FilesPane
from ifcscript_desktop.ui.results.result_page import ResultPage

PARAMETERS, CODE, OUTPUT, RESULT, CHART, FILES, ERROR = range(7)
_FAILED = frozenset({"error", "timeout", "interrupted"})
#: Output longer than this shows its start and its end (drawing 10 MB of text stalls the window).
MAX_OUTPUT_CHARS = 1_000_000


def _shown_output(output: str, execution_id: int) -> str:
    if len(output) <= MAX_OUTPUT_CHARS:
        return output
    tail = MAX_OUTPUT_CHARS // 10
    hidden = len(output) - MAX_OUTPUT_CHARS
    return (f"{output[:MAX_OUTPUT_CHARS - tail]}\n[… {hidden:,} characters not shown here; "
            f"`ifcscript history show {execution_id}` prints the whole log …]\n"
            f"{output[-tail:]}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _time(iso: str | None) -> str:
    return local_time(datetime.fromisoformat(iso)) if iso else ""


def _text_box(placeholder: str) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setReadOnly(True)
    box.setUndoRedoEnabled(False)
    box.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    box.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    box.setPlaceholderText(placeholder)
    return box


class RunDetail(QWidget):
    """Shows a run as :func:`core.runs.execution_as_dict` gives it."""

    #: The user wants to run this run's script again with the same model and parameters.
    rerun_requested = Signal(int)
    #: The user wants the exact code of this run in the editor.
    open_code_requested = Signal(int)
    #: The user pressed Keep: keep this run's output files (True) or stop keeping them.
    keep_toggled = Signal(int, bool)
    #: The user wants the model coloured again as the run did: its `color_by` records.
    show_colors_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._id: int | None = None
        self._status = ""
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rerun_button = QPushButton("Run again")
        self.rerun_button.setToolTip("Run this script again on the same model with the same "
                                     "parameters")
        self.rerun_button.clicked.connect(lambda: self._emit(self.rerun_requested))
        self.open_code_button = QPushButton("Open code in editor")
        self.open_code_button.setToolTip("Open the exact code of this run in the editor")
        self.open_code_button.clicked.connect(lambda: self._emit(self.open_code_requested))
        self.keep_button = QPushButton("Keep")
        self.keep_button.setCheckable(True)
        self.keep_button.setToolTip("Keep this run's output files: retention (Settings) never "
                                    "removes them")
        self.keep_button.clicked.connect(self._on_keep_clicked)
        self.colors_button = QPushButton("Show colours")
        self.colors_button.setToolTip("Colour the model again as this run's color_by did")
        self.colors_button.clicked.connect(self._on_colors_clicked)
        self._colors: list[dict[str, Any]] = []
        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {STATUS_COLORS['error']};")
        self.problem.hide()

        self.parameters = QTreeWidget()
        self.parameters.setColumnCount(2)
        self.parameters.setHeaderLabels(["Parameter", "Value"])
        self.parameters.setRootIsDecorated(False)
        self.parameters.setAlternatingRowColors(True)
        self.code = _text_box("")
        self.output = _text_box("The run printed nothing.")
        self.result = ResultPage()
        self.chart = ChartPane()
        self.files = FilesPane()
        self.error = QLabel()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # the script's exception message
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet(f"color: {STATUS_COLORS['error']}; font-weight: bold;")
        self.traceback = _text_box("No traceback.")
        error_page = QWidget()
        error_layout = QVBoxLayout(error_page)
        error_layout.setContentsMargins(0, 4, 0, 0)
        error_layout.addWidget(self.error)
        error_layout.addWidget(self.traceback, 1)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for page, title in ((self.parameters, "Parameters"), (self.code, "Code"),
                            (self.output, "Output"), (self.result, "Result"),
                            (self.chart, "Chart"), (self.files, "Files"), (error_page, "Error")):
            self.tabs.addTab(page, title)
        self.tabs.setCurrentIndex(RESULT)

        # The title has the whole width (beside four buttons, in the bottom tab of a 1366 px
        # window, it wrapped a word per line); the buttons are a row of their own.
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.rerun_button, self.open_code_button, self.keep_button,
                       self.colors_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addLayout(buttons)
        layout.addWidget(self.problem)
        layout.addWidget(self.tabs, 1)
        self.clear()

    @property
    def execution_id(self) -> int | None:
        """The run shown, or None."""
        return self._id

    @property
    def status(self) -> str:
        """The status of the run shown, as it was when shown ("" when none is)."""
        return self._status

    def clear(self, message: str = "Select a run to see its code, output and result.") -> None:
        self._id, self._status = None, ""
        self.title.setText(html.escape(message))
        for box in (self.code, self.output, self.traceback):
            box.clear()
        self.parameters.clear()
        self.result.clear(message)
        self.chart.set_charts([], empty=message)
        self.files.set_files([], empty=message)
        self.error.clear()
        self.tabs.setEnabled(False)
        self.rerun_button.setEnabled(False)
        self.open_code_button.setEnabled(False)
        self.keep_button.setChecked(False)
        self.keep_button.setEnabled(False)
        self._colors = []
        self.colors_button.hide()
        self.show_problem("")

    def show_problem(self, message: str) -> None:
        """Say what went wrong with an action on the run shown ("" hides it)."""
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    def show_run(self, run: dict[str, Any]) -> None:
        """Show a run given as `execution_as_dict` data."""
        self._id = int(run["execution_id"])
        status = self._status = str(run.get("status") or "")
        self.title.setText(self._title(run, status))
        self.parameters.clear()
        for name, value in (run.get("parameters") or {}).items():
            text = value if isinstance(value, str) else _json(value)
            item = QTreeWidgetItem(self.parameters, [str(name), text])
            item.setToolTip(1, tooltip(text))
        self.parameters.resizeColumnToContents(0)
        self.code.setPlainText(run.get("code") or "")
        self.output.setPlainText(_shown_output(run.get("output") or "", self._id))
        reply = RunReply.from_record(run)
        self.result.show_reply(reply)
        self.chart.set_charts(list(reply.charts))
        self.files.set_files(list(reply.outputs), reply.output_dir)
        error = run.get("error") or ""
        self.error.setText(error)
        self.error.setVisible(bool(error))
        self.traceback.setPlainText(run.get("traceback") or "")
        self._label_tabs(run, error)
        self.tabs.setEnabled(True)
        self.rerun_button.setEnabled(True)
        self.open_code_button.setEnabled(bool(run.get("code")))
        self.keep_button.setChecked(bool(run.get("kept")))
        self.keep_button.setText("Kept" if run.get("kept") else "Keep")
        self.keep_button.setEnabled(True)
        self._colors = [c for c in run.get("colors") or [] if isinstance(c, dict)]
        self.colors_button.setVisible(bool(self._colors))
        self.show_problem("")
        if error and status in _FAILED:
            self.tabs.setCurrentIndex(ERROR)
        elif self.tabs.currentIndex() == ERROR and not error:
            self.tabs.setCurrentIndex(RESULT)

    # -- internals ------------------------------------------------------------------------
    def _emit(self, signal: Any) -> None:
        if self._id is not None:
            signal.emit(self._id)

    def _on_colors_clicked(self) -> None:
        if self._colors:
            self.show_colors_requested.emit(list(self._colors))

    def _on_keep_clicked(self, checked: bool) -> None:
        if self._id is not None:
            self.keep_toggled.emit(self._id, checked)

    @staticmethod
    def _title(run: dict[str, Any], status: str) -> str:
        e = html.escape
        color = STATUS_COLORS.get(status, "#808080")
        model = run.get("model") or ""
        duration = duration_text(run.get("duration_s"), status)
        first = (f"<b>{e(run.get('script_name') or run.get('script') or '')}</b> on "
                 f"<b title='{e(model)}'>{e(os.path.basename(model))}</b> &nbsp; "
                 f"<span style='color:{color}; font-weight:bold'>{e(status)}</span>"
                 + (f" &nbsp; {e(duration)}" if duration else ""))
        facts = [f"Run {run['execution_id']}", _time(run.get("started_at") or run.get("queued_at")),
                 f"from {run.get('source')}" if run.get("source") else "",
                 run.get("model_schema") or "",
                 f"SHA-256 {run['model_sha256'][:12]}…" if run.get("model_sha256") else ""]
        second = " · ".join(e(f) for f in facts if f)
        note = ""
        if status == "interrupted":
            note = f"<br><span style='color:{color}'>{e(STATUS_HELP['interrupted'])}</span>"
        for lit in run.get("highlights") or []:
            if isinstance(lit, dict):
                note += f"<br>Highlighted {e(_count(len(lit.get('ids') or []), 'element'))} in " \
                        f"{e(str(lit.get('color') or ''))}"
        for colored in run.get("colors") or []:
            if isinstance(colored, dict):
                note += f"<br>Coloured by: {e(colors.describe(colored))}"
        if run.get("kept"):
            note += f"<br><b>{e(KEPT_HELP)}</b>"
        elif run.get("outputs_note"):
            note += f"<br><span style='color:{STATUS_COLORS['timeout']}'>" \
                    f"{e(run['outputs_note'])}</span>"
        return (f"{first}<br><span style='color:gray'>{second}</span>{note}"
                f"<br><span style='color:gray'>{e(model)}</span>")

    def _label_tabs(self, run: dict[str, Any], error: str) -> None:
        count = len(run.get("parameters") or {})
        files = len(run.get("outputs") or [])
        results = len(run.get("tables") or []) + (run.get("result") is not None)
        charts = len(run.get("charts") or [])
        self.tabs.setTabText(PARAMETERS, f"Parameters ({count})" if count else "Parameters")
        self.tabs.setTabText(RESULT, f"Result ({results})" if results else "Result")
        self.tabs.setTabText(CHART, f"Chart ({charts})" if charts else "Chart")
        removed = " removed" if run.get("outputs_note") else ""
        self.tabs.setTabText(FILES, f"Files ({files}{removed})" if files else "Files")
        self.tabs.setTabEnabled(ERROR, bool(error or run.get("traceback")))
        # An invalid colour gives the tab back its normal (or disabled) look.
        self.tabs.tabBar().setTabTextColor(
            ERROR, QColor(STATUS_COLORS["error"]) if error else QColor())
