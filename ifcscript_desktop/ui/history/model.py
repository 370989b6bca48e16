"""The history table: runs newest first, read from the store a page at a time.

Only the first page is read when the filters change; the view asks for more pages as the user
scrolls (`canFetchMore`/`fetchMore`). `refresh()` brings the table up to date after another
process (or this one) wrote runs: newer runs are inserted at the top and runs still queued or
running are read again, so the rows the user is looking at stay where they are.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap

from ifcscript_desktop.core.runs import ExecutionNotFoundError, get_execution, list_executions
from ifcscript_desktop.core.store import Store
from ifcscript_desktop.ui.plaintext import tooltip
from ifcscript_desktop.ui.history.rows import (
    KEPT_HELP, REMOVED_HELP, STATUS_HELP, VERDICT_HELP, RunRow, duration_text, local_time)
from ifcscript_desktop.ui.statuscolors import STATUS_COLORS, UNKNOWN_COLOR, VERDICT_COLORS

_Index = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

#: The run's id (int) in every column.
EXECUTION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
# Status and verdict right after the script: in a narrow pane they are what must be in view.
COLUMNS = ("ID", "When", "Script", "Status", "Verdict", "Model", "Duration", "Source", "Files")
ID, WHEN, SCRIPT, STATUS, VERDICT, MODEL, DURATION, SOURCE, FILES = range(len(COLUMNS))


class HistoryModel(QAbstractTableModel):
    """Runs of the store, filtered by script (name or path), model path, status and verdict."""

    page_size = 200

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._rows: list[RunRow] = []
        self._exhausted = False
        self._script: str | None = None
        self._model: str | None = None
        self._status: str | None = None
        self._verdict: str | None = None
        self._icons: dict[str, QIcon] = {}
        self.reload()

    # -- what the view asks ---------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted:
            return
        # Runs added since the top rows were read shift the offsets: skip what is shown.
        last = self._rows[-1].id if self._rows else None
        offset = len(self._rows)
        while True:
            fetched = self._query(self.page_size, offset=offset)
            self._exhausted = len(fetched) < self.page_size
            page = [row for row in fetched if last is None or row.id < last]
            if page or self._exhausted:
                break
            offset += len(fetched)
        if page:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == EXECUTION_ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS:
            return QBrush(QColor(STATUS_COLORS.get(row.status, UNKNOWN_COLOR)))
        if role == Qt.ItemDataRole.ForegroundRole and column == VERDICT and row.verdict:
            return QBrush(QColor(VERDICT_COLORS[row.verdict]))
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return self._icon(row.status)
        bold = column in (STATUS, VERDICT) or (column == FILES and row.kept)
        if role == Qt.ItemDataRole.FontRole and (bold or row.status == "interrupted"):
            font = QFont()
            font.setBold(bold)
            font.setItalic(row.status == "interrupted")
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (ID, DURATION):
            return _RIGHT
        return None

    # -- our API --------------------------------------------------------------------------
    @property
    def filters(self) -> dict[str, str | None]:
        return {"script": self._script, "model": self._model, "status": self._status,
                "verdict": self._verdict}

    def set_filters(self, script: str | None = None, model: str | None = None,
                    status: str | None = None, verdict: str | None = None) -> None:
        """Show only runs of this script (name or path), model (path), status and verdict
        ("PASS", "FAIL", "WARN" or `core.runs.NO_VERDICT`); None: any."""
        wanted = (script or None, model or None, status or None, verdict or None)
        if wanted != (self._script, self._model, self._status, self._verdict):
            self._script, self._model, self._status, self._verdict = wanted
            self.reload()

    def reload(self, at_least: int = 0) -> None:
        """Read the first page again (or `at_least` rows) and forget the rest."""
        rows = self._query(max(self.page_size, at_least))
        self.beginResetModel()
        self._rows = rows
        self._exhausted = len(rows) < max(self.page_size, at_least)
        self.endResetModel()

    def refresh(self) -> None:
        """Catch up with what was written since the rows were read."""
        if self._status is not None or self._verdict is not None:
            # A run that finished may now match the filter, or no longer: read the rows again.
            self.reload(at_least=len(self._rows))
            return
        newer = self._newer_rows()
        if newer is None:
            self.reload()
            return
        if newer:
            self.beginInsertRows(QModelIndex(), 0, len(newer) - 1)
            self._rows[:0] = newer
            self.endInsertRows()
        self._reread_active()

    def row(self, row: int) -> RunRow:
        """The run shown at `row`."""
        return self._rows[row]

    def row_of(self, execution_id: int) -> int | None:
        """Where the run with this id is shown, or None when it is not loaded."""
        for i, row in enumerate(self._rows):
            if row.id == execution_id:
                return i
        return None

    def reread(self, execution_id: int) -> None:
        """Read one loaded run again (kept or unkept, say)."""
        row = self.row_of(execution_id)
        if row is not None:
            self._reread_row(row)

    def has_active_rows(self) -> bool:
        """Whether a loaded run is still queued or running."""
        return any(row.is_active for row in self._rows)

    def loaded_rows(self) -> list[RunRow]:
        return list(self._rows)

    # -- internals ------------------------------------------------------------------------
    def _query(self, limit: int, offset: int = 0) -> list[RunRow]:
        executions = list_executions(self._store, limit=limit, summary=True, script=self._script,
                                     model=self._model, status=self._status, offset=offset,
                                     verdict=self._verdict)
        return [RunRow.of(e) for e in executions]

    def _newer_rows(self) -> list[RunRow] | None:
        """Runs newer than the top row; None when there are more than a page of them."""
        top = self._rows[0].id if self._rows else 0
        page = self._query(self.page_size)
        newer = [row for row in page if row.id > top]
        if len(newer) == len(page) == self.page_size:
            return None
        if not self._rows:
            self._exhausted = len(page) < self.page_size
        return newer

    def _reread_active(self) -> None:
        for i, row in enumerate(self._rows):
            if row.is_active:
                self._reread_row(i)

    def _reread_row(self, i: int) -> None:
        row = self._rows[i]
        try:
            fresh = RunRow.of(get_execution(self._store, row.id, summary=True))
        except ExecutionNotFoundError:
            return
        if fresh != row:
            self._rows[i] = fresh
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    @staticmethod
    def _text(row: RunRow, column: int) -> str:
        if column == ID:
            return str(row.id)
        if column == WHEN:
            return local_time(row.queued_at)
        if column == SCRIPT:
            return row.script
        if column == MODEL:
            return row.model_name
        if column == STATUS:
            return row.status
        if column == VERDICT:
            return row.verdict_label
        if column == DURATION:
            return duration_text(row.duration_s, row.status)
        if column == SOURCE:
            return row.source
        return "kept" if row.kept else "removed" if row.outputs_removed else ""

    @staticmethod
    def _tooltip(row: RunRow, column: int) -> str | None:
        text = HistoryModel._tooltip_text(row, column)
        return tooltip(text) if text else None  # names and errors are a user's or a script's

    @staticmethod
    def _tooltip_text(row: RunRow, column: int) -> str | None:
        if column == SCRIPT:
            return row.script_path or row.script
        if column == MODEL:
            return row.model_path
        if column == STATUS:
            help_text = STATUS_HELP.get(row.status, row.status)
            return f"{help_text}\n{row.error}" if row.error else help_text
        if column == VERDICT:
            return f"{row.verdict_label}\n{VERDICT_HELP}" if row.verdict else VERDICT_HELP
        if column == WHEN and row.queued_at is not None:
            return f"Queued {local_time(row.queued_at)} (local time)"
        if column == FILES and (row.kept or row.outputs_removed):
            return KEPT_HELP if row.kept else REMOVED_HELP
        return None

    def _icon(self, status: str) -> QIcon:
        if status not in self._icons:
            pixmap = QPixmap(12, 12)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(STATUS_COLORS.get(status, UNKNOWN_COLOR)))
            painter.drawEllipse(1, 1, 10, 10)
            painter.end()
            self._icons[status] = QIcon(pixmap)
        return self._icons[status]
