"""``table`` parameters: rows of named columns, edited as a grid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ifcscript_desktop.core.params import ParamSpec
from ifcscript_desktop.ui.params.dialogs import ParamsDialogs
from ifcscript_desktop.ui.params.fields import ParamField

#: Cell types kept as they are (a number stays a number); anything else is shown as text.
CELL_TYPES = (str, int, float, bool)
#: The grid takes the height of this many rows at most; beyond, it scrolls.
MAX_GRID_ROWS = 10
MIN_GRID_ROWS = 4


def _columns(rows: Any) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows if isinstance(rows, (list, tuple)) else ():
        if isinstance(row, Mapping):
            columns.update((str(key), None) for key in row)
    return list(columns)


class TableField(ParamField):
    """The columns come from the default rows; Add column names more. Empty rows are dropped."""

    def __init__(self, spec: ParamSpec, dialogs: ParamsDialogs,
                 parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._dialogs = dialogs
        self.editor = QTableWidget(0, 0)
        self.editor.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Its size hint is its columns' width: the pane widens to it (ui.params.dock) and the
        # grid scrolls sideways only when the pane cannot.
        self.editor.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.editor.horizontalHeader().setStretchLastSection(True)
        self.editor.horizontalHeader().setToolTip("Double-click a column name to rename it")
        self.editor.horizontalHeader().sectionDoubleClicked.connect(self._on_header_clicked)
        self.editor.verticalHeader().setDefaultSectionSize(
            self.editor.fontMetrics().height() + 8)
        self.editor.itemChanged.connect(self._fit)
        self.editor.itemChanged.connect(self.changed)
        self.editor.itemSelectionChanged.connect(self._on_selection_changed)
        self.add_row_button = QPushButton("Add row")
        self.add_row_button.setToolTip("Add a row (add a column first when there is none)")
        self.add_row_button.clicked.connect(self.add_row)
        self.remove_row_button = QPushButton("Remove rows")
        self.remove_row_button.clicked.connect(self._on_remove_rows)
        self.add_column_button = QPushButton("Add column…")
        self.add_column_button.clicked.connect(self._on_add_column)
        buttons = QHBoxLayout()
        for button in (self.add_row_button, self.remove_row_button, self.add_column_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(self.editor, 1)
        column.addLayout(buttons)
        self._layout.addLayout(column)
        self.set_value(spec.default)

    def columns(self) -> list[str]:
        return [self._header(c) for c in range(self.editor.columnCount())]

    def value(self) -> list[dict[str, Any]]:
        columns = self.columns()
        rows = []
        for row in range(self.editor.rowCount()):
            cells = {name: self._cell(row, col) for col, name in enumerate(columns)}
            if any(cell not in ("", None) for cell in cells.values()):
                rows.append(cells)
        return rows

    def set_value(self, value: Any) -> bool:
        value = [] if value is None else value
        if not isinstance(value, (list, tuple)) or not all(isinstance(r, Mapping) for r in value):
            return False
        columns = list(dict.fromkeys(self.columns() + _columns(value)))
        self.editor.blockSignals(True)
        try:
            self.editor.setRowCount(0)
            self.editor.setColumnCount(len(columns))
            self.editor.setHorizontalHeaderLabels(columns)
            self.editor.setRowCount(len(value))
            for row, cells in enumerate(value):
                for col, name in enumerate(columns):
                    self._set_cell(row, col, cells.get(name, ""))
        finally:
            self.editor.blockSignals(False)
        self._fit()
        self._on_selection_changed()
        self.changed.emit()
        return True

    def add_row(self) -> None:
        row = self.editor.rowCount()
        self.editor.insertRow(row)
        for col in range(self.editor.columnCount()):
            self._set_cell(row, col, "")
        if self.editor.columnCount():
            self.editor.setCurrentCell(row, 0)
        self._fit()
        self.changed.emit()

    def add_column(self, name: str) -> None:
        name = name.strip()
        if not name or name in self.columns():
            return
        col = self.editor.columnCount()
        self.editor.insertColumn(col)
        self.editor.setHorizontalHeaderItem(col, QTableWidgetItem(name))
        for row in range(self.editor.rowCount()):
            self._set_cell(row, col, "")
        self._fit()
        self._on_selection_changed()
        self.changed.emit()

    def _fit(self) -> None:
        """Columns as wide as their contents; rows shown whole up to a limit, then scrolled."""
        grid = self.editor
        grid.resizeColumnsToContents()
        frame = 2 * grid.frameWidth()
        rows = min(max(grid.rowCount(), MIN_GRID_ROWS), MAX_GRID_ROWS)
        height = grid.horizontalHeader().sizeHint().height() + frame
        height += rows * grid.verticalHeader().defaultSectionSize()
        grid.setMinimumHeight(height + grid.horizontalScrollBar().sizeHint().height())

    def _header(self, col: int) -> str:
        item = self.editor.horizontalHeaderItem(col)
        return item.text() if item is not None else str(col + 1)

    def _cell(self, row: int, col: int) -> Any:
        item = self.editor.item(row, col)
        return "" if item is None else item.data(Qt.ItemDataRole.EditRole)

    def _set_cell(self, row: int, col: int, value: Any) -> None:
        item = QTableWidgetItem()
        # EditRole keeps a number a number (and gives it a number editor).
        item.setData(Qt.ItemDataRole.EditRole, value if isinstance(value, CELL_TYPES)
                     else str(value))
        self.editor.setItem(row, col, item)

    def _on_remove_rows(self) -> None:
        rows = sorted({index.row() for index in self.editor.selectedIndexes()}, reverse=True)
        for row in rows:
            self.editor.removeRow(row)
        if rows:
            self.changed.emit()

    def _on_add_column(self) -> None:
        name = self._dialogs.ask_text(self, "Add column", "Column name:", "")
        if name:
            self.add_column(name)

    def _on_header_clicked(self, col: int) -> None:
        old = self._header(col)
        name = self._dialogs.ask_text(self, "Rename column", "Column name:", old)
        if name and name.strip() and name.strip() not in self.columns():
            self.editor.setHorizontalHeaderItem(col, QTableWidgetItem(name.strip()))
            self.changed.emit()

    def _on_selection_changed(self) -> None:
        self.remove_row_button.setEnabled(bool(self.editor.selectedIndexes()))
        self.add_row_button.setEnabled(self.editor.columnCount() > 0)
