"""The results area: a header naming the run, then Output, Result, Chart and Files tabs.

The header says which script ran on which model, the run number, time and status (and the
check's verdict), so results are never read against the wrong model. The pane keeps each model's
last reply: making another model active shows that model's last run, or says it has none yet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.ui.results.chart import ChartPane
from ifcscript_desktop.ui.results.files import FilesPane
from ifcscript_desktop.ui.results.header import RunHeader
from ifcscript_desktop.ui.results.output import OutputPane
from ifcscript_desktop.ui.results.result_page import ResultPage
from ifcscript_desktop.ui.results.result_tree import ResultTree
from ifcscript_desktop.ui.results.table_view import TableView

_FAILED = {"error": "The run failed.",
           "timeout": "The run was stopped: it took longer than the time limit.",
           "interrupted": "The run was interrupted: the app or the worker stopped during it."}
_ENDINGS = {"success": "Finished", "error": "Failed", "timeout": "Timed out",
            "cancelled": "Cancelled by the user", "interrupted": "Interrupted"}
NO_MODEL = "No model open: drop an IFC file on the window, then pick a script and press F5."
PRINTS = "What the script prints appears here."
RUNNING = "Running… the result and tables appear here when the run ends."
RUNNING_CHARTS = "Running… the charts it draws appear here when the run ends."
RUNNING_FILES = "Running… the files it saves are listed here when the run ends."


def no_run_on(model: str) -> str:
    return f"No run on {Path(model).name} yet: pick a script and press F5."


class ResultsPane(QWidget):
    """What a run produced. `start_run()`, then `append_output()` as output streams, then
    `show_reply()` with the run's final reply; `show_model(path)` when the active model changes.
    Selecting table rows that carry a GlobalId or a STEP id emits `elements_activated` with
    those ids; "Colour model by this column" on a column header of a table with a GlobalId
    column emits `color_by_requested`."""

    elements_activated = Signal(list)  # list[int | str]
    #: A row with element references was double-clicked: zoom to them (list[int | str]).
    elements_zoom_requested = Signal(list)
    #: A table's "Colour model by this column": (column name, {GlobalId: value} of every row).
    color_by_requested = Signal(str, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = RunHeader()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.output = OutputPane()
        self.result_page = ResultPage()
        self.result_page.elements_activated.connect(self.elements_activated)
        self.result_page.elements_zoom_requested.connect(self.elements_zoom_requested)
        self.result_page.color_by_requested.connect(self.color_by_requested)
        self.chart = ChartPane()
        self.files = FilesPane()
        self.tabs.addTab(self.output, "Output")
        self.tabs.addTab(self.result_page, "Result")
        self.tabs.addTab(self.chart, "Chart")
        self.tabs.addTab(self.files, "Files")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        self._reply = RunReply(status="")
        #: Each model's last reply (by path), shown again when that model becomes active.
        self._last: dict[str, RunReply] = {}
        self._model: str | None = None  # the active model's path
        self._running: str | None = None  # the model a run is going on, while it goes
        #: A model's last finished run from the history, for a model this window has not run
        #: anything on yet (yesterday's run); set by the window, None: nothing is recalled.
        self.recall: Callable[[str], RunReply | None] | None = None
        self.show_model(None)

    # --- tabs ---------------------------------------------------------------------------
    def currentWidget(self) -> QWidget:
        return self.tabs.currentWidget()

    def setCurrentWidget(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(widget)

    def tabText(self, index: int) -> str:
        return self.tabs.tabText(index)

    @property
    def tables(self) -> list[TableView]:
        """The tables shown in the Result tab."""
        return self.result_page.tables

    @property
    def result_tree(self) -> ResultTree | None:
        return self.result_page.result_tree

    # --- API ----------------------------------------------------------------------------
    def start_run(self, script: str = "", model: str = "", execution_id: int | None = None,
                  started: datetime | None = None) -> None:
        """Clear every tab for a new run, name it in the header and show the Output tab."""
        self._running = model or self._model or ""
        self._clear(RUNNING)
        self.header.show_running(script, model, execution_id, started)
        self.tabs.setCurrentWidget(self.output)

    def append_output(self, text: str) -> None:
        """Add streamed stdout/stderr text (drawn in batches, capped)."""
        self.output.append_output(text)

    def show_reply(self, reply: RunReply) -> None:
        """Fill every tab from a run's reply (its log streamed in already), and keep it as its
        model's last run."""
        self._running = None
        if reply.model:
            self._last[reply.model] = reply
        self._fill(reply, streamed=True)

    def show_model(self, path: str | None) -> None:
        """The active model changed: show its last run here, or say it has none. A run going
        on stays in view (the header names its model) until it ends."""
        self._model = path
        if self._running is not None:
            return
        last = self._last.get(path) if path else None
        if last is None and path and self.recall is not None:
            last = self.recall(path)
            if last is not None:
                self._last[path] = last
        if last is not None:
            self._fill(last, streamed=False)
            return
        self._clear(no_run_on(path) if path else NO_MODEL)
        self.header.show_note(no_run_on(path) if path else NO_MODEL)
        self.tabs.setCurrentWidget(self.output)

    def forget_model(self, path: str) -> None:
        """A closed model's last run is not shown again (History keeps it)."""
        self._last.pop(path, None)

    def highlights(self) -> list[dict[str, Any]]:
        """The run's `highlight()` calls: `[{ids: [STEP ids], color: "#RRGGBB"}]`."""
        return list(self._reply.highlights)

    def colors(self) -> list[dict[str, Any]]:
        """The run's `color_by()` calls (`core.colors` records, in order: the last is the one to
        show): `[{title, kind, values: {"STEP id": value}, legend: [{label, color, count}]}]`."""
        return list(self._reply.colors)

    def save(self, settings: QSettings) -> None:
        """Window state: the size given to an opened result tree beside tables."""
        self.result_page.save(settings)

    def restore(self, settings: QSettings) -> None:
        self.result_page.restore(settings)

    # --- internals ----------------------------------------------------------------------
    def _clear(self, sentence: str) -> None:
        """Every tab empty; a tab without a run says `sentence` (a run going on: what comes)."""
        running = sentence == RUNNING
        self.output.clear()
        self.output.setPlaceholderText(PRINTS if running else sentence)
        self._reply = RunReply(status="")
        self.result_page.clear(sentence)
        self.chart.set_charts([], empty=RUNNING_CHARTS if running else sentence)
        self.files.set_files([], empty=RUNNING_FILES if running else sentence)
        self._update_titles()

    def _fill(self, reply: RunReply, streamed: bool) -> None:
        """Every tab from `reply`; `streamed`: its output is in the Output tab already."""
        self.output.setPlaceholderText(PRINTS)
        if not streamed:
            self.output.clear()
            self.output.append_output(reply.output)
        self._reply = reply
        self.output.flush()
        status = reply.status
        if status != "cancelled" and (reply.error or status in _FAILED):  # the user stopped: no red
            self.output.show_error(reply.error or _FAILED[status], reply.traceback)
        if status:
            took = f" after {reply.duration_s:.2f} s" if reply.duration_s is not None else ""
            self.output.show_note(f"{_ENDINGS.get(status, status.capitalize())}{took}")
        self.header.show_reply(reply, elsewhere=bool(reply.model and self._model
                                                     and reply.model != self._model))
        self.result_page.show_reply(reply)
        self.chart.set_charts(list(reply.charts))
        self.files.set_files(list(reply.outputs), reply.output_dir)
        self._update_titles()
        self.tabs.setCurrentWidget(self._best_tab())

    def _update_titles(self) -> None:
        reply = self._reply
        counted = ((self.result_page, "Result", len(reply.tables) + (reply.result is not None)),
                   (self.chart, "Chart", len(reply.charts)),
                   (self.files, "Files", len(reply.outputs)))
        for widget, name, count in counted:
            self.tabs.setTabText(self.tabs.indexOf(widget), f"{name} ({count})" if count else name)
        self.tabs.tabBar().setTabTextColor(self.tabs.indexOf(self.output),
                                           QColor("#D0312D") if self._failed() else QColor())

    def _failed(self) -> bool:
        status = self._reply.status
        return status in _FAILED or (bool(self._reply.error) and status != "cancelled")

    def _best_tab(self) -> QWidget:
        reply = self._reply
        if self._failed():
            return self.output
        if reply.tables or reply.result is not None:
            return self.result_page
        if reply.charts:
            return self.chart
        if reply.outputs:
            return self.files
        return self.output
