"""A lazy table model over the rows a run produced (a list of dicts), fast at 100k rows.

Nothing is built per cell up front: rows stay the dicts the reply carried, the view sees them in
pages of `PAGE_SIZE` (canFetchMore/fetchMore), and cell text is made only when a cell is drawn.
Sorting and filtering work on a list of row numbers over all rows, not only the loaded page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from ifcscript_desktop.core.tablefile import TableRows
from ifcscript_desktop.ui.results import cells

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class TableModel(QAbstractTableModel):
    """Rows of named columns; `columns` defaults to the keys of the rows in first-seen order."""

    PAGE_SIZE = 1000

    def __init__(self, rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self._rows = rows
        self._source = rows  # kept when the rows are decoded into a list, for `damaged`
        self._columns = list(columns) if columns is not None else cells.columns_of(rows)
        self._order: Sequence[int] = range(len(rows))
        self._loaded = min(self.PAGE_SIZE, len(rows))
        self._filter = ""
        self._haystacks: list[str] | None = None
        self._sort: tuple[int, bool] | None = None  # (column, descending)
        self.link = cells.link_column(self._columns)

    # --- what the view asks -------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._loaded < len(self._order)

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        end = min(self._loaded + self.PAGE_SIZE, len(self._order))
        if end > self._loaded:
            self.beginInsertRows(QModelIndex(), self._loaded, end - 1)
            self._loaded = end
            self.endInsertRows()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                        Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.EditRole):
            return None
        value = self._rows[self._order[index.row()]].get(self._columns[index.column()])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            return _RIGHT if number else _LEFT
        text = cells.cell_text(value)
        if role == Qt.ItemDataRole.ToolTipRole:  # the view shows it when the cell cuts the text
            return text[:2000] or None
        return text

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self._columns):
            hint = "\nRight-click: colour the model by this column" \
                if self.color_source(section) else ""
            return f"{self._columns[section]}\nClick to sort{hint}"
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section] if 0 <= section < len(self._columns) else None
        return str(section + 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort every row (not only the loaded page); column -1 restores the original order."""
        descending = order == Qt.SortOrder.DescendingOrder
        wanted = (column, descending) if 0 <= column < len(self._columns) else None
        if wanted is None and self._sort is None:
            return  # the view resets its indicator: nothing to reorder (or to decode)
        self._sort = wanted
        self._rebuild()

    # --- our API ------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    @property
    def total_rows(self) -> int:
        """Rows in the table, before filtering."""
        return len(self._rows)

    @property
    def damaged(self) -> bool:
        """Some rows came from a damaged part of their table file (they show empty)."""
        return bool(getattr(self._source, "damaged", False))

    @property
    def shown_rows(self) -> int:
        """Rows that pass the filter (loaded into the view or not)."""
        return len(self._order)

    def set_filter(self, text: str) -> None:
        """Keep rows with a cell containing `text` (case-insensitive); empty shows all."""
        text = text.strip().casefold()
        if text == self._filter:
            return
        self._filter = text
        self._rebuild()

    def row(self, view_row: int) -> dict[str, Any]:
        """The row dict shown at `view_row`."""
        return self._rows[self._order[view_row]]

    def snapshot(self) -> Sequence[dict[str, Any]]:
        """The rows shown, in order, for another thread to read: rows still in their table file
        are handed over undecoded (the other thread decodes them), the rest as a list."""
        if isinstance(self._order, range) and not isinstance(self._rows, list):
            return self._rows
        rows = self._rows
        return [rows[i] for i in self._order]

    def iter_rows(self) -> Iterator[dict[str, Any]]:
        """Every row that passes the filter, in the shown order (loaded or not)."""
        rows = self._rows
        return (rows[i] for i in self._order)

    def color_source(self, column: int) -> tuple[str, str] | None:
        """(GlobalId column, column) when the model can be coloured by `column`: the table has
        a GlobalId column and `column` is another one."""
        if self.link is None or self.link[1] != "guid" or not 0 <= column < len(self._columns):
            return None
        name = self._columns[column]
        return None if name == self.link[0] else (self.link[0], name)

    def column_values(self, column: int) -> Callable[[], dict[str, Any]]:
        """A job for another thread: `{GlobalId: cell}` of `column` over every row of the table
        (filtered out or not), rows still in their table file read a block at a time."""
        source = self.color_source(column)
        if source is None:
            raise ValueError(f"column {column} cannot colour the model: the table has no GlobalId "
                             "column, or it is that column")
        rows = self._rows

        def read() -> dict[str, Any]:
            blocks: Iterable[Iterable[dict[str, Any]]] = \
                rows.blocks() if isinstance(rows, TableRows) else [rows]
            values: dict[str, Any] = {}
            for block in blocks:
                values.update(cells.values_by_guid(block, *source))
            return values

        return read

    def element_refs(self, view_rows: Sequence[int]) -> list[int | str]:
        """STEP ids or GlobalIds of the rows at `view_rows`, in order, without repeats."""
        if self.link is None:
            return []
        column, kind = self.link
        refs = (cells.element_ref(self.row(r).get(column), kind) for r in view_rows)
        return list(dict.fromkeys(ref for ref in refs if ref is not None))

    # --- internals ----------------------------------------------------------------------
    def _rebuild(self) -> None:
        if (self._filter or self._sort) and not isinstance(self._rows, list):
            self._rows = list(self._rows)  # rows read from a table file: decode them all once
        self.beginResetModel()
        order: Sequence[int] = range(len(self._rows))
        if self._filter:
            if self._haystacks is None:
                self._haystacks = cells.haystacks(self._rows, self._columns)
            needle = self._filter
            order = [i for i, text in enumerate(self._haystacks) if needle in text]
        if self._sort is not None:
            column, descending = self._sort
            name = self._columns[column]
            natural = self.link != (name, "guid")
            order = cells.sorted_rows(order, self._rows, name, descending, natural)
        self._order = order
        self._loaded = min(self.PAGE_SIZE, len(order))
        self.endResetModel()
