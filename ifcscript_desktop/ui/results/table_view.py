"""A titled table with a filter box, row count, copy (Ctrl+C as TSV) and CSV/XLSX export."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionRange, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import (QAction, QGuiApplication, QHelpEvent, QKeyEvent, QKeySequence,
                           QResizeEvent)
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QMenu, QMessageBox, QStyle, QTableView, QToolButton,
                               QToolTip, QVBoxLayout, QWidget)
from shiboken6 import isValid

from ifcscript_desktop.ui.background import BackgroundRunner
from ifcscript_desktop.ui.plaintext import tooltip
from ifcscript_desktop.ui.results import export
from ifcscript_desktop.ui.results.table_model import TableModel


class _Grid(QTableView):
    """QTableView whose Ctrl+C copies every selected cell, not only the current one, and whose
    cells show their full text as a tooltip only when the column cuts it."""

    copy_requested = Signal()

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.indexAt(event.pos())
            text = index.data(Qt.ItemDataRole.ToolTipRole) if index.isValid() else None
            shown = index.data() if index.isValid() else ""
            cut = isinstance(text, str) and (text != shown or self.fontMetrics().horizontalAdvance(
                str(shown)) + 12 > self.visualRect(index).width())
            if cut and isinstance(text, str):
                QToolTip.showText(event.globalPos(), tooltip(text), self, self.visualRect(index))
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


WIDEST_COLUMN = 360  # a column sized to its text stops here; its tooltip has the rest
NARROWED_COLUMN = 140  # in a narrow pane long text columns shrink to this (not below)


class TableView(QWidget):
    """One result table. Selecting rows that link to elements emits `elements_activated`."""

    rows_activated = Signal(list)  # list[dict]: the selected rows
    elements_activated = Signal(list)  # list[int | str]: their STEP ids or GlobalIds
    elements_zoom_requested = Signal(list)  # a double-click: the same refs, to zoom to in 3D
    export_finished = Signal(str, int)  # path, rows written
    export_failed = Signal(str, str)  # path, why
    #: "Colour model by this column": (the column's name, {GlobalId: cell} over every row).
    color_by_requested = Signal(str, dict)

    FILTER_DELAY_MS = 200
    runner: BackgroundRunner = BackgroundRunner()  # tests may set a SynchronousRunner

    def __init__(self, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
                 title: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TableModel(rows, columns, self)
        self.title = title or "Table"

        self.title_label = QLabel(f"<b>{_escape(self.title)}</b>")
        self.filter_edit = QLineEdit(placeholderText="Filter rows…", clearButtonEnabled=True)
        self.filter_edit.setMaximumWidth(260)
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)  # it names the script's columns
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setToolTip("Save the rows shown as a CSV file or an Excel workbook")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        menu.addAction("CSV file…", lambda: self._export_dialog("csv"))
        menu.addAction("Excel workbook (XLSX)…", lambda: self._export_dialog("xlsx"))
        self.export_button.setMenu(menu)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.title_label)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.filter_edit)
        bar.addWidget(self.export_button)

        self.table = _Grid(self)
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        # Ids and names differ at their ends (Revit GlobalIds share a prefix): cut the middle.
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.table.horizontalHeader()
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setSortIndicatorClearable(True)
        header.setResizeContentsPrecision(60)  # size columns from the first rows only
        header.setHighlightSections(False)
        header.setStretchLastSection(True)  # spare width goes to the last column, not to grey
        vertical = self.table.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_header_menu)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        # Sized from the first rows, but wide enough for the numbers sorting may bring up top.
        narrowest = self.fontMetrics().horizontalAdvance("00000000") + 12
        guid = self.model.link[0] if self.model.link and self.model.link[1] == "guid" else None
        whole_guid = self.fontMetrics().horizontalAdvance("3vB2YO$MX4xv5uCqZZG05x") + 16  # no id cut
        for column in range(self.model.columnCount()):
            size = min(max(header.sectionSize(column), narrowest), WIDEST_COLUMN)
            if self.model.columns[column] == guid:
                size = max(size, min(whole_guid, WIDEST_COLUMN))
            header.resizeSection(column, size)
        self.table.copy_requested.connect(self.copy_selection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        copy = QAction("Copy", self.table)
        copy.triggered.connect(lambda: self.copy_selection())
        with_headers = QAction("Copy with column names", self.table)
        with_headers.triggered.connect(lambda: self.copy_selection(headers=True))
        self.table.addActions([copy, with_headers])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table)

        # Text columns fit the table's width until the user drags one (the first widths a
        # table gets inside tabs and splitters are passing ones).
        self._natural = [header.sectionSize(c) for c in range(self.model.columnCount())]
        self._user_sized = False
        self._fitting = False
        header.sectionResized.connect(self._on_section_resized)
        self._filter_timer = QTimer(self, singleShot=True, interval=self.FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.doubleClicked.connect(self._on_double_clicked)
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)  # a page read: damage shows up here
        self.export_finished.connect(self._on_exported)
        self.export_failed.connect(self._on_export_failed)
        self._update_count()

    # --- API ----------------------------------------------------------------------------
    def apply_filter(self) -> None:
        """Apply the filter box's text now (it is otherwise applied shortly after typing)."""
        self._filter_timer.stop()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.model.set_filter(self.filter_edit.text())
        finally:
            QGuiApplication.restoreOverrideCursor()

    def selected_rows(self) -> list[int]:
        """View rows with at least one selected cell, top to bottom."""
        rows: set[int] = set()
        for selected in _ranges(self.table.selectionModel().selection()):
            rows.update(range(selected.top(), selected.bottom() + 1))
        return sorted(rows)

    def copy_selection(self, headers: bool = False) -> str:
        """Copy the selected cells as TSV (what spreadsheets paste); returns the text."""
        indexes = self.table.selectionModel().selection()
        rows = self.selected_rows()
        if not rows:
            return ""
        columns: set[int] = set()
        for selected in _ranges(indexes):
            columns.update(range(selected.left(), selected.right() + 1))
        names = [self.model.columns[c] for c in sorted(columns)]
        lines: list[Sequence[Any]] = [names] if headers else []
        lines += [[self.model.row(r).get(n) for n in names] for r in rows]
        text = export.tsv(lines)
        QGuiApplication.clipboard().setText(text)
        return text

    def header_menu(self, column: int) -> QMenu | None:
        """The menu of a column's header, or None when it offers nothing."""
        if self.model.color_source(column) is None:
            return None
        menu = QMenu(self)
        menu.addAction("Colour model by this column", lambda: self.color_by_column(column))
        return menu

    def color_by_column(self, column: int) -> None:
        """Read `column` of every row on a background thread (a table file may hold 100k rows),
        then emit `color_by_requested`."""
        name = self.model.columns[column]
        self.count_label.setText(f"Reading {name!r} for the model's colours…")

        def done(values: dict[str, Any]) -> None:
            if isValid(self):
                self._update_count()
                self.color_by_requested.emit(name, values)

        def failed(exc: Exception) -> None:
            if isValid(self):
                self._update_count()
                self.count_label.setText(f"The model could not be coloured by {name!r}: {_why(exc)}")

        self.runner.submit(self.model.column_values(column), done, failed)

    def export_csv(self, path: str | Path) -> int:
        """Write the shown rows (filtered, sorted, all of them, loaded or not) to a CSV file."""
        return export.write_csv(path, self.model.columns, self.model.iter_rows())

    def export_xlsx(self, path: str | Path) -> int:
        """Write the shown rows to an XLSX workbook."""
        return export.write_xlsx(path, self.model.columns, self.model.iter_rows(), self.title)

    def save_as(self, path: str, kind: str) -> None:
        """Export the shown rows ("csv" or "xlsx") on a background thread (100k rows of XLSX
        take seconds); `export_finished(path, rows)` or `export_failed(path, why)` follows."""
        write = export.write_csv if kind == "csv" else partial(export.write_xlsx, title=self.title)
        rows = self.model.snapshot()  # filtering or sorting on meanwhile is harmless
        self.export_button.setEnabled(False)
        self.count_label.setText(f"Saving {len(rows):,} rows…")

        def done(count: int) -> None:
            if isValid(self):  # the table may have been replaced by the next run meanwhile
                self.export_finished.emit(path, count)

        def failed(exc: Exception) -> None:
            if isValid(self):
                self.export_failed.emit(path, _why(exc))

        self.runner.submit(partial(write, path, self.model.columns, rows), done, failed)

    # --- internals ----------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._user_sized and event.size().width() > 0:
            bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
            vertical = self.table.verticalHeader().sizeHint().width()
            self._fit_columns(event.size().width() - vertical - bar - 4)

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        # The last column stretches by itself: only a drag of another one is the user's.
        if not self._fitting and column < self.model.columnCount() - 1:
            self._user_sized = True

    def _fit_columns(self, room: int) -> None:
        """In a narrow pane, long text columns give up width so the columns after them (sums,
        counts) come into view; in a wide one they have their natural width again."""
        header = self.table.horizontalHeader()
        sizes = self._natural
        count = len(sizes)
        if count < 2:
            return
        # The last column may be cut (its text elides, its tooltip is whole): narrowing the ones
        # before it for it would bring nothing new into view (Model Summary's "Item" was cut).
        fits = sum(sizes[:-1]) + min(sizes[-1], NARROWED_COLUMN) <= room
        guid = self.model.link[0] if self.model.link and self.model.link[1] == "guid" else None
        cap = max(NARROWED_COLUMN, room // count)
        self._fitting = True
        try:
            for column, size in enumerate(sizes[:-1]):
                narrowed = not fits and size > cap and self.model.columns[column] != guid
                header.resizeSection(column, cap if narrowed else size)
        finally:
            self._fitting = False

    def _update_count(self) -> None:
        total, shown = self.model.total_rows, self.model.shown_rows
        noun = "row" if total == 1 else "rows"
        text = f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}"
        if self.model.damaged:
            text += " (part of the table's file is damaged: those rows show empty)"
        self.count_label.setText(text)

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.selected_rows()
        if not rows:
            return
        self.rows_activated.emit([self.model.row(r) for r in rows])
        refs = self.model.element_refs(rows)
        if refs:
            self.elements_activated.emit(refs)

    def _on_double_clicked(self, _index: object) -> None:
        refs = self.model.element_refs(self.selected_rows())
        if refs:
            self.elements_zoom_requested.emit(refs)

    def _on_header_menu(self, pos: QPoint) -> None:
        header = self.table.horizontalHeader()
        menu = self.header_menu(header.logicalIndexAt(pos))
        if menu is not None:
            menu.exec(header.mapToGlobal(pos))
            menu.deleteLater()

    def _export_dialog(self, kind: str) -> None:
        name = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in self.title).strip()
        label = "CSV files (*.csv)" if kind == "csv" else "Excel workbooks (*.xlsx)"
        path, _ = QFileDialog.getSaveFileName(self, f"Export {self.title}",
                                              f"{name or 'table'}.{kind}", label)
        if not path:
            return
        if not path.lower().endswith(f".{kind}"):
            path += f".{kind}"
        self.save_as(path, kind)

    def _on_exported(self, path: str, count: int) -> None:
        self.export_button.setEnabled(True)
        self.count_label.setText(f"{count:,} rows saved to {Path(path).name}")
        QTimer.singleShot(5000, self._update_count)

    def _on_export_failed(self, path: str, message: str) -> None:
        self.export_button.setEnabled(True)
        self._update_count()
        QMessageBox.warning(self, "Export failed", f"The table could not be saved to {path}: "
                                                   f"{message}")


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"{type(exc).__name__}: {exc}"


def _ranges(selection: QItemSelection) -> list[QItemSelectionRange]:
    return [selection.at(i) for i in range(selection.count())]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
