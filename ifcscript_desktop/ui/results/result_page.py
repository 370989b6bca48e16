"""The Result tab of a run: its `result` value and its tables, laid out so the tables get the room.

Used by the live results pane and by History (a past run looks as it did). The `result` of a
run that also showed tables is usually a summary of them: it shrinks to one line that opens the
tree on a click, and the tables take the space, one at a time behind tabs when there are several.
A tree opened beside tables sits in a splitter whose sizes are remembered (`save`/`restore`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (QLabel, QSizePolicy, QSplitter, QTabWidget, QToolButton,
                               QVBoxLayout, QWidget)

from ifcscript_desktop.core.reply import RunReply, Table
from ifcscript_desktop.core.tablefile import TableFileError, is_records
from ifcscript_desktop.ui.plaintext import tooltip
from ifcscript_desktop.ui.results.placeholder import placeholder
from ifcscript_desktop.ui.results.result_tree import ResultTree, summary
from ifcscript_desktop.ui.results.table_view import TableView

NO_RESULT = ("The run set no result and showed no table. Scripts set result = … "
             "or call show_table(rows, title=\"…\").")
SPLIT_KEY = "results/result_split"
SUMMARY_CHARS = 300


def summary_line(value: Any) -> str:
    """The result in one line: "rows: 13 · columns: [1,287 items] · file: walls.csv"."""
    if isinstance(value, dict):
        text = " · ".join(f"{key}: {summary(item)}" for key, item in value.items())
    else:
        text = summary(value)
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1] + "…"


class SummaryButton(QToolButton):
    """A one-line toggle whose text is cut to the width it gets (a long result must not widen
    the window); the tooltip has it whole."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full_text = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        room = max(0, self.width() - self.iconSize().width() - 24)
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight,
                                                   room))


class ResultPage(QWidget):
    """A run's `result` and tables. `show_reply(reply)` fills it, `clear(sentence)` empties it."""

    elements_activated = Signal(list)  # list[int | str]
    elements_zoom_requested = Signal(list)
    color_by_requested = Signal(str, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.tables: list[TableView] = []
        self.result_tree: ResultTree | None = None
        #: The one-line result beside tables; clicking it shows the tree (None without one).
        self.summary_button: SummaryButton | None = None
        #: Several tables: one at a time, chosen by their tabs (None for one or no table).
        self.table_tabs: QTabWidget | None = None
        self.splitter: QSplitter | None = None
        self._split_sizes: list[int] = []
        self.clear(NO_RESULT)

    # --- API ----------------------------------------------------------------------------
    def clear(self, sentence: str) -> None:
        """No result: `sentence` says why and what to do."""
        self._replace([placeholder(sentence)], stretch=False)

    def show_reply(self, reply: RunReply) -> None:
        top, tables = self._result_widget(reply), self._table_widgets(reply)
        if top is not None and (reply.result_table is not None or is_records(reply.result)):
            tables, top = [top, *tables], None  # rows set as `result`: a table among tables
        if top is None and not tables:
            self.clear(NO_RESULT)
            return
        widgets: list[QWidget] = []
        body: QWidget | None = self._tables_holder(tables) if tables else None
        if isinstance(top, ResultTree) and body is not None:
            top.hide()  # a summary of the tables: one line until asked for
            self.summary_button = self._summary_button(reply.result, top)
            self.splitter = QSplitter(Qt.Orientation.Vertical)
            self.splitter.setChildrenCollapsible(False)
            self.splitter.addWidget(top)
            self.splitter.addWidget(body)
            self.splitter.splitterMoved.connect(self._remember_split)
            widgets += [self.summary_button]
            body = self.splitter
        elif top is not None and body is None:
            body = top if isinstance(top, ResultTree) else None
            if body is None:
                widgets.append(top)
        elif top is not None:
            widgets.append(top)
        if body is not None:
            widgets.append(body)
        self._replace(widgets, stretch=body is None)

    def save(self, settings: QSettings) -> None:
        if self._split_sizes:
            settings.setValue(SPLIT_KEY, self._split_sizes)

    def restore(self, settings: QSettings) -> None:
        value = settings.value(SPLIT_KEY)
        if isinstance(value, list) and len(value) == 2:
            try:
                self._split_sizes = [max(1, int(v)) for v in value]
            except (TypeError, ValueError):
                self._split_sizes = []

    # --- internals ----------------------------------------------------------------------
    def _result_widget(self, reply: RunReply) -> QWidget | None:
        result = reply.result
        spilled = reply.result_table
        if spilled is not None:
            return self._table_from(spilled, "Result")
        if is_records(result):
            return self._table(result, None, "Result")
        if isinstance(result, (dict, list)):
            self.result_tree = ResultTree()
            self.result_tree.set_value(result)
            return self.result_tree
        if result is not None:
            label = QLabel(f"<b>Result:</b> {html.escape(summary(result))}")
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            return label
        return None

    def _table_widgets(self, reply: RunReply) -> list[QWidget]:
        return [self._table_from(table, table.title or f"Table {number}")
                for number, table in enumerate(reply.tables, 1)]

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

    def _tables_holder(self, tables: list[QWidget]) -> QWidget:
        """One table as it is; several behind tabs named by their titles, one at a time."""
        if len(tables) == 1:
            return tables[0]
        self.table_tabs = QTabWidget()
        self.table_tabs.setDocumentMode(True)
        self.table_tabs.setUsesScrollButtons(True)
        for widget in tables:
            title = getattr(widget, "title", "Table")
            index = self.table_tabs.addTab(widget, title)
            if isinstance(widget, TableView):
                widget.title_label.hide()  # its tab names it
                rows = widget.model.total_rows
                self.table_tabs.setTabToolTip(index, tooltip(f"{title}: {rows:,} row"
                                                             f"{'' if rows == 1 else 's'}"))
        return self.table_tabs

    def _summary_button(self, value: Any, tree: ResultTree) -> SummaryButton:
        button = SummaryButton(f"Result: {summary_line(value)}")
        button.setCheckable(True)
        button.setAutoRaise(True)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setArrowType(Qt.ArrowType.RightArrow)
        button.setToolTip(tooltip(f"{button.full_text}\n\nClick to show the result as a tree of "
                                  "keys and values"))

        def toggled(shown: bool) -> None:
            button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
            tree.setVisible(shown)
            if shown and self.splitter is not None:
                total = max(2, sum(self.splitter.sizes()))
                sizes = self._split_sizes or [total // 3, total - total // 3]
                self.splitter.setSizes(sizes)

        button.toggled.connect(toggled)
        return button

    def _remember_split(self, _pos: int, _index: int) -> None:
        if self.splitter is not None and self.result_tree is not None \
                and self.result_tree.isVisible():
            self._split_sizes = self.splitter.sizes()

    def _replace(self, widgets: list[QWidget], stretch: bool) -> None:
        while self._layout.count():
            item = self._layout.takeAt(0)
            old = item.widget() if item is not None else None
            if old is not None:
                old.hide()  # now: deletion waits for the event loop
                old.deleteLater()
        keep = widgets
        self.tables = [t for t in self.tables if any(_contains(w, t) for w in keep)]
        if self.result_tree is not None and not any(_contains(w, self.result_tree) for w in keep):
            self.result_tree = None
        if self.summary_button is not None and not any(w is self.summary_button for w in keep):
            self.summary_button = None
        if self.table_tabs is not None and not any(_contains(w, self.table_tabs) for w in keep):
            self.table_tabs = None
        if self.splitter is not None and not any(w is self.splitter for w in keep):
            self.splitter = None
        for widget in widgets[:-1]:
            self._layout.addWidget(widget)
        if widgets:
            self._layout.addWidget(widgets[-1], 0 if stretch else 1)
        if stretch:
            self._layout.addStretch(1)


def _contains(holder: QWidget, widget: QWidget) -> bool:
    """`widget` is `holder` or inside it (tables sit in tabs or a splitter)."""
    return holder is widget or holder.isAncestorOf(widget)
