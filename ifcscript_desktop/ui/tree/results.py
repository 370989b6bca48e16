"""The flat list of what the tree's search box found (the worker's `search` reply)."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from ifcscript_desktop.ui.tree.model import STEP_ID_ROLE
from ifcscript_desktop.ui.tree.node import element_tooltip

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Class", "Storey", "GlobalId")
_FIELDS = ("name", "type", "storey", "guid")
_FOUND_BY = {"name": "its name", "guid": "its GlobalId", "class": "its class",
             "selector": "the selector query"}


class SearchResultsModel(QAbstractTableModel):
    """One row per element found: Name, Class, Storey, GlobalId; STEP id under STEP_ID_ROLE."""

    def __init__(self, background: Callable[[int], QColor | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[dict[str, Any]] = []
        self._background = background  # the tree's highlight or `color_by` tint of an element

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._rows = [row for row in rows if isinstance(row.get("id"), int)]
        self.endResetModel()

    def refresh(self) -> None:
        """Highlights or tints changed: repaint the rows' backgrounds."""
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1),
                                  [Qt.ItemDataRole.BackgroundRole])

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = row.get(_FIELDS[index.column()])
            if index.column() == 0 and not value:
                return f"#{row['id']}"
            return "" if value is None else str(value)
        if role == STEP_ID_ROLE:
            return row["id"]
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._background(row["id"])
        if role == Qt.ItemDataRole.ToolTipRole:
            return element_tooltip(row.get("name"), str(row.get("type") or ""), row["id"],
                                   row.get("guid"), row.get("storey"),
                                   _FOUND_BY.get(str(row.get("match"))))
        return None

