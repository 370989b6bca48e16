"""The model tree pane: a view selector, a filter box and the lazy tree of one model."""

from __future__ import annotations

import re

from PySide6.QtCore import (QItemSelection, QItemSelectionModel, QModelIndex, QPersistentModelIndex,
                            QSortFilterProxyModel, Qt, QTimer, Signal)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from ifcscript_desktop.ui.tree.model import FILTER_ROLE, STEP_ID_ROLE, ModelTreeModel
from ifcscript_desktop.ui.worker_handle import WorkerHandle

VIEW_LABELS = {"spatial": "Spatial structure", "class": "By class", "type": "By type",
               "system": "By system", "material": "By material"}
FILTER_DELAY_MS = 300
#: Opacity of a `color_by` tint behind a row's text (of 255).
COLOR_ALPHA = 140
#: Rows that revealing elements may make visible by expanding their parents. Each layout of the
#: view visits every visible row (a few Python calls each), so a tree with tens of thousands of
#: rows open stalls the window; elements past the budget are selected under collapsed parents.
EXPAND_BUDGET = 5000
#: Selection ranges (runs of adjacent rows) `select_elements` makes at most. Painting a row asks
#: the selection model about every range (a few Python calls each): 1000 scattered elements on a
#: 100k model cost 300 ms per repaint, 100 about 50 ms. Elements past the limit are left unselected, and said so.
RANGE_LIMIT = 100
# What makes the filter text a selector query for the worker rather than a plain search.
_SELECTOR = re.compile(r"^\s*!?\s*Ifc[A-Z]|[=/!<>]")


def is_selector_query(text: str) -> bool:
    """`IfcWall`, `IfcWall, /Pset_WallCommon/.FireRating=EI60`, `Name=Foo`: the worker filters."""
    return bool(_SELECTOR.search(text))


class ModelTreeView(QWidget):
    """Browse one model; selecting elements emits their STEP ids."""

    #: The current element changed (a user click, or `select_elements`).
    element_selected = Signal(int)
    #: The selected elements changed: their STEP ids.
    elements_selected = Signal(list)
    #: `select_elements` finished: the ids it found and selected in the current view.
    elements_revealed = Signal(list)

    def __init__(self, handle: WorkerHandle | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view_box = QComboBox()
        for view, label in VIEW_LABELS.items():
            self.view_box.addItem(label, view)
        self.filter_box = QLineEdit()
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setPlaceholderText("Filter by name, class, GlobalId, or a selector such as "
                                           "IfcWall, /Pset_WallCommon/.FireRating=EI60")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.hide()
        self.model = ModelTreeModel(handle, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setAutoAcceptChildRows(True)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterRole(FILTER_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)

        top = QHBoxLayout()
        top.addWidget(self.view_box)
        top.addWidget(self.filter_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.tree, 1)

        self.view_box.currentIndexChanged.connect(self._on_view_changed)
        self.filter_box.textChanged.connect(self._filter_timer.start)
        self.filter_box.returnPressed.connect(self._on_filter_settled)
        self._filter_timer.timeout.connect(self._on_filter_settled)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.model.children_loaded.connect(self._on_children_loaded)
        self.model.query_failed.connect(self._on_query_failed)

    # -- API ---------------------------------------------------------------------------------
    def set_handle(self, handle: WorkerHandle | None) -> None:
        """Show another open model (one handle per model)."""
        self.model.set_handle(handle)

    def set_view(self, view: str) -> None:
        self.view_box.setCurrentIndex(list(VIEW_LABELS).index(view))

    def selected_ids(self) -> list[int]:
        rows = self.tree.selectionModel().selectedRows(0)
        ids = (self.proxy.data(index, STEP_ID_ROLE) for index in rows)
        return [step_id for step_id in ids if isinstance(step_id, int)]

    def select_elements(self, step_ids: list[int]) -> None:
        """Select these elements, loading and expanding the tree down to them."""
        self.model.locate(list(step_ids), self._on_located)

    def highlight(self, step_ids: list[int], color: str | QColor = "#ffd54f") -> None:
        """Give these elements a background colour (as a script's `highlight()` asks)."""
        self.model.set_highlight(list(step_ids), QColor(color))

    def clear_highlights(self) -> None:
        self.model.clear_highlights()

    def color_elements(self, colors: dict[int, str]) -> None:
        """Tint elements' rows, `{STEP id: "#RRGGBB"}` (a `color_by`: see
        `core.colors.element_colors`); an empty dict clears the tints. Half transparent, so the
        text stays readable on dark colours."""
        tints = {}
        for step_id, color in colors.items():
            tint = QColor(color)
            tint.setAlpha(COLOR_ALPHA)
            tints[step_id] = tint
        self.model.set_colors(tints)

    # -- slots -------------------------------------------------------------------------------
    def _on_view_changed(self) -> None:
        self._apply(self.view_box.currentData(), self.filter_box.text().strip())

    def _on_filter_settled(self) -> None:
        self._filter_timer.stop()
        self._apply(self.view_box.currentData(), self.filter_box.text().strip())

    def _apply(self, view: str, text: str) -> None:
        self.status.hide()
        if text and is_selector_query(text):
            self.proxy.setFilterFixedString("")
            self.model.show(view, text)
            self._say("Filtering…")
        else:
            self.model.show(view)
            self.proxy.setFilterFixedString(text)

    def _on_children_loaded(self, key: object) -> None:
        if key is None and self.model.query is not None:
            count = self.model.rowCount() + len(self.model.node(QModelIndex()).pending)
            self._say(f"{count} element{'s' if count != 1 else ''} match {self.model.query}")

    def _on_query_failed(self, sentence: str) -> None:
        self._say(sentence)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()

    def _on_located(self, indexes: list[QModelIndex]) -> None:
        rows: dict[QPersistentModelIndex, list[int]] = {}
        found: list[int] = []
        first = QModelIndex()
        budget = EXPAND_BUDGET
        # With a layout pending, expand() only records the index: one layout for all of them
        # instead of one per parent (each of which walks every visible row).
        self.tree.scheduleDelayedItemsLayout()
        for index in indexes:
            shown = self.proxy.mapFromSource(index)
            if not shown.isValid():
                continue  # hidden by the plain-text filter
            rows.setdefault(QPersistentModelIndex(shown.parent()), []).append(shown.row())
            found.append(int(self.model.data(index, STEP_ID_ROLE)))
            closed = []
            parent = shown.parent()
            while parent.isValid() and not self.tree.isExpanded(parent):
                closed.append(parent)
                parent = parent.parent()
            cost = sum(self.proxy.rowCount(p) for p in closed)
            if not first.isValid() or cost <= budget:
                budget -= cost
                for parent in reversed(closed):
                    self.tree.expand(parent)
            first = first if first.isValid() else shown
        flags = QItemSelectionModel.SelectionFlag
        selection = self._ranges(rows)
        selected = len(selection.indexes())
        if selected < len(found):
            self._say(f"Selected {selected} of the {len(found)} elements: more scattered rows would "
                      f"make the tree slow. A selector filter lists them all.")
        if first.isValid():
            self.tree.selectionModel().setCurrentIndex(first, flags.NoUpdate)
            self.tree.scrollTo(first, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.tree.selectionModel().select(selection, flags.ClearAndSelect | flags.Rows)
        self.elements_revealed.emit(found if selected == len(found) else self.selected_ids())

    def _ranges(self, rows: dict[QPersistentModelIndex, list[int]]) -> QItemSelection:
        """Runs of adjacent rows as one range each, at most RANGE_LIMIT of them."""
        selection = QItemSelection()
        for parent, numbers in rows.items():
            numbers = sorted(set(numbers))
            start = previous = numbers[0]
            for row in numbers[1:] + [-1]:
                if row != previous + 1:
                    if selection.size() >= RANGE_LIMIT:
                        return selection
                    selection.select(self.proxy.index(start, 0, parent), self.proxy.index(previous, 0, parent))
                    start = row
                previous = row
        return selection

    def _on_selection_changed(self) -> None:
        ids = self.selected_ids()
        self.elements_selected.emit(ids)
        current = self.proxy.data(self.tree.currentIndex(), STEP_ID_ROLE)
        if isinstance(current, int) and current in ids:
            self.element_selected.emit(current)
        elif ids:
            self.element_selected.emit(ids[0])
