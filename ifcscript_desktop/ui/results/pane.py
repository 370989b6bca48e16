"""The results area: Output, Result, Chart and Files tabs, filled from a run's reply."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from ifcscript_desktop.core.reply import RunReply, Table
from ifcscript_desktop.core.tablefile import TableFileError, is_records
from ifcscript_desktop.ui.results.chart import ChartPane
from ifcscript_desktop.ui.results.files import FilesPane
from ifcscript_desktop.ui.results.output import OutputPane
from ifcscript_desktop.ui.results.placeholder import placeholder
from ifcscript_desktop.ui.results.result_tree import ResultTree, summary
from ifcscript_desktop.ui.results.table_view import TableView

_FAILED = {"error": "The run failed.",
           "timeout": "The run was stopped: it took longer than the time limit.",
           "interrupted": "The run was interrupted: the app or the worker stopped during it."}
_ENDINGS = {"success": "Finished", "error": "Failed", "timeout": "Timed out",
            "cancelled": "Cancelled by the user", "interrupted": "Interrupted"}
SPLIT_AT_MOST = 3  # more tables than this are shown as tabs rather than stacked


class ResultsPane(QTabWidget):
    """What a run produced. `start_run()`, then `append_output()` as output streams, then
    `show_reply()` with the run's final reply. Selecting table rows that carry a GlobalId or
    a STEP id emits `elements_activated` with those ids; "Colour model by this column" on a
    column header of a table with a GlobalId column emits `color_by_requested`."""

    elements_activated = Signal(list)  # list[int | str]
    #: A row with element references was double-clicked: zoom to them (list[int | str]).
    elements_zoom_requested = Signal(list)
    #: A table's "Colour model by this column": (column name, {GlobalId: value} of every row).
    color_by_requested = Signal(str, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.output = OutputPane()
        self.result_page = QWidget()
        self._result_layout = QVBoxLayout(self.result_page)
        self._result_layout.setContentsMargins(4, 4, 4, 4)
        self.chart = ChartPane()
        self.files = FilesPane()
        self.addTab(self.output, "Output")
        self.addTab(self.result_page, "Result")
        self.addTab(self.chart, "Chart")
        self.addTab(self.files, "Files")
        self.tables: list[TableView] = []
        self.result_tree: ResultTree | None = None
        self._reply = RunReply(status="")
        self._show_result_widgets([])

    # --- API ----------------------------------------------------------------------------
    def start_run(self) -> None:
        """Clear every tab for a new run and show the Output tab."""
        self.output.clear()
        self._reply = RunReply(status="")
        self._show_result_widgets([])
        self.chart.set_charts([])
        self.files.set_files([])
        self._update_titles()
        self.setCurrentWidget(self.output)

    def append_output(self, text: str) -> None:
        """Add streamed stdout/stderr text (drawn in batches, capped)."""
        self.output.append_output(text)

    def show_reply(self, reply: RunReply) -> None:
        """Fill every tab from a run's reply (its log streamed in already)."""
        self._reply = reply
        self.output.flush()
        status = reply.status
        if status != "cancelled" and (reply.error or status in _FAILED):  # the user stopped: no red
            self.output.show_error(reply.error or _FAILED[status], reply.traceback)
        if status:
            took = f" after {reply.duration_s:.2f} s" if reply.duration_s is not None else ""
            self.output.show_note(f"{_ENDINGS.get(status, status.capitalize())}{took}")
        self._show_result_widgets(self._result_widgets(reply))
        self.chart.set_charts(list(reply.charts))
        self.files.set_files(list(reply.outputs), reply.output_dir)
        self._update_titles()
        self.setCurrentWidget(self._best_tab())

    def highlights(self) -> list[dict[str, Any]]:
        """The run's `highlight()` calls: `[{ids: [STEP ids], color: "#RRGGBB"}]`."""
        return list(self._reply.highlights)

    def colors(self) -> list[dict[str, Any]]:
        """The run's `color_by()` calls (`core.colors` records, in order: the last is the one to
        show): `[{title, kind, values: {"STEP id": value}, legend: [{label, color, count}]}]`."""
        return list(self._reply.colors)

    # --- internals ----------------------------------------------------------------------
    def _result_widgets(self, reply: RunReply) -> list[QWidget]:
        widgets: list[QWidget] = []
        result = reply.result
        spilled = reply.result_table
        if spilled is not None:
            widgets.append(self._table_from(spilled, "Result"))
        elif is_records(result):
            widgets.append(self._table(result, None, "Result"))
        elif isinstance(result, (dict, list)):
            self.result_tree = ResultTree()
            self.result_tree.set_value(result)
            widgets.append(self.result_tree)
        elif result is not None:
            label = QLabel(f"<b>Result:</b> {html.escape(summary(result))}")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            widgets.append(label)
        for number, table in enumerate(reply.tables, 1):
            widgets.append(self._table_from(table, table.title or f"Table {number}"))
        return widgets

    def _table_from(self, table: Table, title: str) -> QWidget:
        """A table of the reply, its rows inline or in a table file (a sentence if it is gone)."""
        try:
            rows = table.rows()
        except TableFileError as exc:
            return placeholder(f"{title}: {exc}")
        return self._table(rows, table.columns or None, title)

    def _table(self, rows: Sequence[dict[str, Any]], columns: list[str] | None,
               title: str) -> TableView:
        view = TableView(rows, columns, title)
        view.elements_activated.connect(self.elements_activated)
        view.color_by_requested.connect(self.color_by_requested)
        view.elements_zoom_requested.connect(self.elements_zoom_requested)
        self.tables.append(view)
        return view

    def _show_result_widgets(self, widgets: list[QWidget]) -> None:
        while self._result_layout.count():
            item = self._result_layout.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                old.hide()  # now: deletion waits for the event loop
                old.deleteLater()
        self.tables = [w for w in self.tables if any(w is n for n in widgets)]
        if self.result_tree is not None and not any(self.result_tree is w for w in widgets):
            self.result_tree = None
        if not widgets:
            self._result_layout.addWidget(placeholder(
                "The run set no result and showed no table. Scripts set result = … "
                "or call show_table(rows, title=\"…\")."))
            return
        big = [w for w in widgets if not isinstance(w, QLabel)]
        for label in (w for w in widgets if isinstance(w, QLabel)):
            self._result_layout.addWidget(label)
        if len(big) > SPLIT_AT_MOST:
            tabs = QTabWidget()
            for widget in big:
                tabs.addTab(widget, getattr(widget, "title", "Result"))
            holder: QWidget = tabs
        else:
            splitter = QSplitter(Qt.Orientation.Vertical)
            splitter.setChildrenCollapsible(False)
            for widget in big:
                splitter.addWidget(widget)
            holder = splitter
        if big:
            self._result_layout.addWidget(holder, 1)
        else:
            self._result_layout.addStretch(1)

    def _update_titles(self) -> None:
        reply = self._reply
        counted = ((self.result_page, "Result", len(reply.tables) + (reply.result is not None)),
                   (self.chart, "Chart", len(reply.charts)),
                   (self.files, "Files", len(reply.outputs)))
        for widget, name, count in counted:
            self.setTabText(self.indexOf(widget), f"{name} ({count})" if count else name)
        self.tabBar().setTabTextColor(self.indexOf(self.output),
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
