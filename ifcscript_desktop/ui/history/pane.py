"""The History pane: every run (window, command line, workflows), filters, and one run in full.

It follows the store live: a timer asks the store's `data_version()` once a second (a cheap
pragma) and catches up when another process, such as `ifcscript run`, has committed. Runs this
process writes do not change that number; whoever records them calls :meth:`HistoryPane.refresh`.
"""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QMenu, QSplitter, QTableView, QVBoxLayout, QWidget)

from ifcscript_desktop.core.runs import NO_VERDICT, execution_as_dict, get_execution, set_kept
from ifcscript_desktop.core.store import RunStatus, Store, StoreError, mark_interrupted_runs
from ifcscript_desktop.ui.history.detail import RunDetail
from ifcscript_desktop.ui.history.model import (DURATION, EXECUTION_ID_ROLE, ID, MODEL, SCRIPT,
                                                SOURCE, STATUS, VERDICT, WHEN, HistoryModel)
from ifcscript_desktop.ui.plaintext import tooltip
from ifcscript_desktop.ui.history.rows import VERDICT_HELP, RunRow
from ifcscript_desktop.ui.statuscolors import VERDICT_COLORS

log = logging.getLogger(__name__)

ALL_SCRIPTS, ALL_MODELS, ALL_STATUSES = "All scripts", "All models", "All statuses"
ALL_VERDICTS, NO_VERDICT_TEXT = "All verdicts", "none"


class HistoryPane(QWidget):
    """A table of runs, newest first, filters above it and the selected run below."""

    #: Run this past run again (its script, model and parameters).
    rerun_requested = Signal(int)
    #: Open this past run's exact code in the editor.
    open_code_requested = Signal(int)
    #: Colour the model again as this past run did: its `color_by` records (`core.colors`), in
    #: order; the last is the one to show.
    show_colors_requested = Signal(list)
    #: Another process (the command, a workflow batch) wrote to the store.
    store_changed = Signal()

    POLL_MS = 1000

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._selected: int | None = None
        self._selected_before_reset: int | None = None
        self.model = HistoryModel(store, self)

        self.script_filter = QComboBox(editable=True, insertPolicy=QComboBox.InsertPolicy.NoInsert)
        script_edit = QLineEdit()
        self.script_filter.setLineEdit(script_edit)
        self.script_filter.setToolTip("Show the runs of one script (its name or file path)")
        self.script_filter.addItem(ALL_SCRIPTS)
        self.model_filter = QComboBox()
        self.model_filter.setToolTip("Show the runs on one model")
        self.status_filter = QComboBox()
        self.status_filter.addItem(ALL_STATUSES, None)
        for status in RunStatus:
            self.status_filter.addItem(str(status), str(status))
        for combo in (self.script_filter, self.model_filter, self.status_filter):
            # Sized by a few letters, not their longest entry: the History tab's width is the
            # least the centre of the window may take (a 1366 px screen fits every pane).
            combo.setMinimumContentsLength(6)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.script_filter.activated.connect(self._apply_filters)
        script_edit.editingFinished.connect(self._apply_filters)
        self.model_filter.activated.connect(self._apply_filters)
        self.status_filter.activated.connect(self._apply_filters)
        self.verdict_filter = QComboBox()
        self.verdict_filter.setToolTip(f"Show the runs of one verdict. {VERDICT_HELP}")
        self.verdict_filter.addItem(ALL_VERDICTS, None)
        for word, color in VERDICT_COLORS.items():
            self.verdict_filter.addItem(word, word)
            self.verdict_filter.setItemData(self.verdict_filter.count() - 1, QColor(color),
                                            Qt.ItemDataRole.ForegroundRole)
        self.verdict_filter.addItem(NO_VERDICT_TEXT, NO_VERDICT)
        self.verdict_filter.setItemData(self.verdict_filter.count() - 1,
                                        "Runs whose script declared no verdict",
                                        Qt.ItemDataRole.ToolTipRole)
        self.verdict_filter.activated.connect(self._apply_filters)
        self.verdict_filter.setMinimumContentsLength(6)
        self.verdict_filter.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.count_label = QLabel()
        self.count_label.setEnabled(False)
        self.count_label.setWordWrap(True)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)

        self.detail = RunDetail()
        self.detail.rerun_requested.connect(self.rerun_requested)
        self.detail.open_code_requested.connect(self.open_code_requested)
        self.detail.show_colors_requested.connect(self.show_colors_requested)
        self.detail.keep_toggled.connect(self.keep_run)

        filters = QHBoxLayout()
        filters.addWidget(QLabel("Filter:"))
        filters.addWidget(self.script_filter, 3)
        filters.addWidget(self.model_filter, 3)
        filters.addWidget(self.status_filter, 1)
        filters.addWidget(self.verdict_filter, 1)
        filters.addWidget(self.count_label, 0)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(4, 4, 4, 0)
        top_layout.addLayout(filters)
        top_layout.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)  # the run shown as it was gets the room
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.model.modelAboutToBeReset.connect(self._remember_selection)
        self.model.modelReset.connect(self._on_reset)
        self.model.rowsInserted.connect(self._on_rows_inserted)
        self._on_reset()
        for column, width in ((ID, 50), (WHEN, 140), (SCRIPT, 180), (STATUS, 90), (VERDICT, 140),
                              (MODEL, 180), (DURATION, 80), (SOURCE, 70)):
            self.table.setColumnWidth(column, width)

        self._version = self._read_version()
        self.poll_timer = QTimer(self, interval=self.POLL_MS)
        self.poll_timer.timeout.connect(self._on_poll)
        self.poll_timer.start()

    # -- our API --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Catch up with the store now (after this process recorded or finished a run)."""
        self._version = self._read_version()
        self.model.refresh()
        self._reshow_selected()

    def reload(self) -> None:
        """Read every loaded run again (retention or Keep changed old runs, not only new ones)."""
        self._version = self._read_version()
        self.model.reload(at_least=self.model.rowCount())
        if self._selected is not None and self.detail.execution_id == self._selected:
            self._show(self._selected)

    def keep_run(self, execution_id: int, kept: bool = True) -> None:
        """Keep a run's output files from retention (or stop keeping them)."""
        problem = ""
        try:
            set_kept(self._store, execution_id, kept)
        except StoreError as exc:
            problem = str(exc)
            log.warning("%s", problem)
        self.model.reread(execution_id)
        if self.detail.execution_id == execution_id:
            self._show(execution_id)
            self.detail.show_problem(problem)

    def context_menu(self, execution_id: int) -> QMenu:
        """The actions offered on a run (right click on its row)."""
        menu = QMenu(self)
        menu.addAction("Run again", lambda: self.rerun_requested.emit(execution_id))
        menu.addAction("Open code in editor", lambda: self.open_code_requested.emit(execution_id))
        menu.addSeparator()
        row = self.model.row_of(execution_id)
        keep = menu.addAction("Keep output files")
        keep.setCheckable(True)
        keep.setChecked(row is not None and self.model.row(row).kept)
        keep.setToolTip("Retention (Settings) never removes the output files of a kept run")
        keep.toggled.connect(lambda checked: self.keep_run(execution_id, checked))
        return menu

    def set_filters(self, script: str | None = None, model: str | None = None,
                    status: str | None = None, verdict: str | None = None) -> None:
        """Show only the runs of this script (name or path), model (path), status and verdict
        ("PASS", "FAIL", "WARN", or `core.runs.NO_VERDICT` for runs without one)."""
        if script:
            self.script_filter.setEditText(script)
        else:
            self.script_filter.setCurrentIndex(0)
        path = os.path.abspath(model) if model else None
        if path is not None and self.model_filter.findData(path) < 0:
            self.model_filter.addItem(os.path.basename(path), path)
        self.model_filter.setCurrentIndex(self.model_filter.findData(path) if path else 0)
        self.status_filter.setCurrentIndex(
            max(0, self.status_filter.findData(str(status))) if status else 0)
        self.verdict_filter.setCurrentIndex(
            max(0, self.verdict_filter.findData(verdict)) if verdict else 0)
        self._apply_filters()

    def select_run(self, execution_id: int) -> bool:
        """Select the run with this id if it is loaded; True when it is."""
        row = self.model.row_of(execution_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def selected_run(self) -> int | None:
        """The id of the selected run, or None."""
        rows = self.table.selectionModel().selectedRows()
        return int(rows[0].data(EXECUTION_ID_ROLE)) if rows else None

    # -- slots ----------------------------------------------------------------------------
    def _apply_filters(self) -> None:
        script = self.script_filter.currentText().strip()
        self.model.set_filters(script=None if script in ("", ALL_SCRIPTS) else script,
                               model=self.model_filter.currentData(),
                               status=self.status_filter.currentData(),
                               verdict=self.verdict_filter.currentData())

    def _on_poll(self) -> None:
        version = self._read_version()
        changed = version is not None and version != self._version
        if version is not None:
            self._version = version
        if self.model.has_active_rows():
            # A command killed mid-run leaves its run "running": say it was interrupted now,
            # not at the next start. Our own write does not move data_version: refresh below.
            try:
                changed = mark_interrupted_runs(self._store) > 0 or changed
            except StoreError as exc:
                log.warning("Cannot check for interrupted runs: %s", exc)
        if changed:
            self.model.refresh()
            self._reshow_selected()
            self.store_changed.emit()

    def _read_version(self) -> int | None:
        try:
            return self._store.data_version()
        except StoreError as exc:
            log.warning("Cannot check the history for new runs: %s", exc)
            return None

    def _on_selection_changed(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        execution_id = self.selected_run()
        if execution_id != self._selected:
            self._selected = execution_id
            self._show(execution_id)

    def _show(self, execution_id: int | None) -> None:
        if execution_id is None:
            self.detail.clear()
            return
        try:
            self.detail.show_run(execution_as_dict(get_execution(self._store, execution_id)))
        except StoreError as exc:
            self.detail.clear(str(exc))

    def _reshow_selected(self) -> None:
        """A selected run that was still going is shown again as it is now."""
        row = self.model.row_of(self._selected) if self._selected is not None else None
        if row is not None and self.detail.execution_id == self._selected:
            run = self.model.row(row)
            if run.is_active or self.detail.status != run.status:
                self._show(self._selected)

    def _remember_selection(self) -> None:
        self._selected_before_reset = self.selected_run()

    def _on_reset(self) -> None:
        previous, self._selected_before_reset = self._selected_before_reset, None
        if previous is not None and not self.select_run(previous):
            self._selected = None
            self.detail.clear()
        self._add_filter_choices(self.model.loaded_rows())
        self._update_count()

    def _on_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        self._add_filter_choices([self.model.row(r) for r in range(first, last + 1)])
        self._update_count()

    def _update_count(self) -> None:
        more = "+" if self.model.canFetchMore(QModelIndex()) else ""
        count = self.model.rowCount()
        self.count_label.setText(f"{count}{more} run{'' if count == 1 and not more else 's'}")

    def _add_filter_choices(self, runs: list[RunRow]) -> None:
        """Offer the scripts and models of the runs loaded so far in the filter boxes."""
        if self.model_filter.count() == 0:
            self.model_filter.addItem(ALL_MODELS, None)
        for run in runs:
            if run.script and self.script_filter.findText(run.script) < 0:
                self.script_filter.addItem(run.script)
            if run.model_path and self.model_filter.findData(run.model_path) < 0:
                self.model_filter.addItem(run.model_name, run.model_path)
                self.model_filter.setItemData(self.model_filter.count() - 1, tooltip(run.model_path),
                                              Qt.ItemDataRole.ToolTipRole)

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        menu = self.context_menu(int(index.data(EXECUTION_ID_ROLE)))
        menu.exec(self.table.viewport().mapToGlobal(pos))
        menu.deleteLater()
