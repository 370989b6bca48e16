"""The model tree pane: a view selector, a search box and the lazy tree of one model.

Whatever is typed in the search box goes to the worker (`search`), which scans the whole model
(names, GlobalIds, classes, or a selector query): the pane shows the flat list of matches in
place of the tree, and the tree stays as it was behind it (expanded nodes, scroll position),
so clearing the box brings it back unchanged but for the elements picked in the list, which are
revealed in it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (QEvent, QItemSelection, QItemSelectionModel, QModelIndex, QObject,
                            QPersistentModelIndex, QSize, Qt, QTimer, Signal)
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QLineEdit,
                               QStackedWidget, QTreeView, QVBoxLayout, QWidget)

from ifcscript_desktop.ui.tree.columns import ColumnFitter
from ifcscript_desktop.ui.tree.model import STEP_ID_ROLE, ModelTreeModel
from ifcscript_desktop.ui.tree.results import SearchResultsModel
from ifcscript_desktop.ui.worker_handle import WorkerHandle

VIEW_LABELS = {"spatial": "Spatial structure", "class": "By class", "type": "By type",
               "system": "By system", "material": "By material"}
#: What an empty view says (the worker found nothing to group by).
EMPTY_VIEWS = {
    "spatial": "This model has no project (IfcProject), so it has no spatial structure. "
               "Choose \"By class\" to see its elements.",
    "class": "This model has no elements (IfcProduct).",
    "type": "This model has no element types (IfcTypeObject): its elements are not typed. "
            "Choose \"Spatial structure\" or \"By class\" to see them.",
    "system": "This model has no systems (IfcSystem): nothing groups its elements into "
              "distribution systems, circuits or zones. Choose \"Spatial structure\" or "
              "\"By class\" to see them.",
    "material": "This model has no materials (IfcMaterial): none of its elements says what it "
                "is made of. Choose \"Spatial structure\" or \"By class\" to see them.",
}
NO_MODEL = ("No model is open. Open an IFC file (File > Open model, Ctrl+O, or drop it on the "
            "window) to browse and search its elements here.")
SEARCH_HELP = (
    "Searches the whole model, expanded or not:\n"
    "• text: elements whose Name contains it (any case), whose GlobalId is it or starts with it "
    "(4 characters or more), or whose class is it (\"wall\" finds IfcWall and "
    "IfcWallStandardCase);\n"
    "• a selector query: IfcDoor, IfcWall, Name=\"Wand-01\", "
    "IfcWall, /Pset_WallCommon/.FireRating=EI60 (ifcopenshell.util.selector); text that is no "
    "valid selector, such as Fenster 80/120, is searched as a name.\n"
    "Down goes to the results; click one to select it; double-click or Enter shows it in the tree.")
FILTER_DELAY_MS = 300
#: Every column grows with its text (the view scrolls sideways) up to this many pixels; longer
#: names are elided in the middle and the tooltip has them whole (see `columns`).
NAME_MAX_PX = 700
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


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def search_summary(text: str, reply: dict[str, Any]) -> str:
    """What the status line says about a search's reply."""
    total, shown = int(reply.get("total") or 0), len(reply.get("rows") or ())
    if total == 0:
        if reply.get("kind") == "selector":
            return f"No element matches the selector {text!r}."
        return (f"No element matches {text!r} by name, GlobalId or class: try a class such as "
                f"IfcWall or a selector such as IfcWall, Name=\"...\".")
    said = f"{_plural(total, 'element matches', 'elements match')} {text!r}"
    if shown < total:
        said += f"; the first {shown:,} are listed: type more to narrow the search"
    return said + "."


def _configure(view: QTreeView) -> None:
    """What the tree and the result list share: row selection, names sized to their text."""
    view.setUniformRowHeights(True)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # GlobalIds differ at both ends
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    view.header().setStretchLastSection(False)
    ColumnFitter(view, NAME_MAX_PX)


class _Pages(QStackedWidget):
    """The tree, the result list or a sentence; sized as the tree whatever shows, so the pane
    (and the docks around it) keep their layout when a search or an empty view takes its place.
    (The sentence's word wrap made the stack a height-for-width widget of a few lines' height:
    the docks gave the pane less room than the tree alone had.)"""

    def __init__(self, tree: QTreeView, *pages: QWidget) -> None:
        super().__init__()
        self._tree = tree
        for page in (tree, *pages):
            self.addWidget(page)

    def sizeHint(self) -> QSize:
        return self._tree.sizeHint()

    def hasHeightForWidth(self) -> bool:
        return False


class ModelTreeView(QWidget):
    """Browse and search one model; selecting elements emits their STEP ids."""

    #: The current element changed (a user click, or `select_elements`).
    element_selected = Signal(int)
    #: The selected elements changed: their STEP ids.
    elements_selected = Signal(list)
    #: `select_elements` finished: the ids it found and selected in the current view.
    elements_revealed = Signal(list)
    #: A search's reply is shown (its text; tests wait on it).
    search_finished = Signal(str)

    def __init__(self, handle: WorkerHandle | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._handle: WorkerHandle | None = None
        self.view_box = QComboBox()
        for view, label in VIEW_LABELS.items():
            self.view_box.addItem(label, view)
        self.filter_box = QLineEdit()
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setPlaceholderText("Search names, GlobalIds, classes (wall) or a selector "
                                           "(IfcWall, Name=...)")
        self.filter_box.setToolTip(SEARCH_HELP)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # it quotes what was typed
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.hide()
        self.model = ModelTreeModel(None, self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        _configure(self.tree)
        self.results_model = SearchResultsModel(self.model.background, self)
        self.results = QTreeView()
        self.results.setRootIsDecorated(False)
        self.results.setModel(self.results_model)
        self.results.setToolTip("Click to select; double-click or Enter to show it in the tree.")
        _configure(self.results)
        self.empty = QLabel(NO_MODEL)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMargin(12)
        self.pages = _Pages(self.tree, self.results, self.empty)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._search_text = ""  # the search shown (or asked for); "" when the tree shows
        self._search_generation = 0
        self._echo: list[int] | None = None  # ids the result list emitted, revealed in the tree

        top = QHBoxLayout()
        top.addWidget(self.view_box)
        top.addWidget(self.filter_box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.pages, 1)

        self.view_box.currentIndexChanged.connect(self._on_view_changed)
        self.filter_box.textChanged.connect(self._filter_timer.start)
        self.filter_box.returnPressed.connect(self._on_filter_settled)
        self._filter_timer.timeout.connect(self._on_filter_settled)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.results.selectionModel().selectionChanged.connect(self._on_result_selection)
        self.results.activated.connect(self._show_in_tree)
        self.model.children_loaded.connect(self._on_children_loaded)
        self.model.query_failed.connect(self._on_query_failed)
        self.filter_box.installEventFilter(self)
        self.set_handle(handle)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search box moves to the first result, as in a browser's address bar."""
        if (watched is self.filter_box and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down
                and self._search_text and self.results_model.rowCount() > 0):
            self.results.setFocus()
            self.results.setCurrentIndex(self.results_model.index(0, 0))
            return True
        return super().eventFilter(watched, event)

    # -- API ---------------------------------------------------------------------------------
    def set_handle(self, handle: WorkerHandle | None) -> None:
        """Show another open model (one handle per model); a search in the box is asked again.
        The old model's results go at once: their STEP ids mean nothing in another model."""
        if self._handle is not None:
            self._handle.model_opened.disconnect(self._search_again)
            self._handle.open_failed.disconnect(self._search_again)
        self._handle = handle
        if handle is not None:
            handle.model_opened.connect(self._search_again)
            handle.open_failed.connect(self._search_again)
        self.results_model.set_rows([])
        self.model.set_handle(handle)
        self._search_again()

    def set_view(self, view: str) -> None:
        self.view_box.setCurrentIndex(list(VIEW_LABELS).index(view))

    def selected_ids(self) -> list[int]:
        """The elements selected: in the result list while it shows, else in the tree."""
        if self._search_text:
            picked = self.results.selectionModel().selectedRows(0)
            return [int(self.results_model.data(index, STEP_ID_ROLE)) for index in picked]
        rows = self.tree.selectionModel().selectedRows(0)
        ids = (self.model.data(index, STEP_ID_ROLE) for index in rows)
        return [step_id for step_id in ids if isinstance(step_id, int)]

    def select_elements(self, step_ids: list[int]) -> None:
        """Select these elements, loading and expanding the tree down to them."""
        self.model.locate(list(step_ids), self._on_located)

    def highlight(self, step_ids: list[int], color: str | QColor = "#ffd54f") -> None:
        """Give these elements a background colour (as a script's `highlight()` asks)."""
        self.model.set_highlight(list(step_ids), QColor(color))
        self.results_model.refresh()

    def clear_highlights(self) -> None:
        self.model.clear_highlights()
        self.results_model.refresh()

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
        self.results_model.refresh()

    # -- slots -------------------------------------------------------------------------------
    def _on_view_changed(self) -> None:
        if not self._search_text:  # else it says what the search found, whatever the view
            self.status.hide()
        self.model.show(self.view_box.currentData())
        self._show_page()

    def _on_filter_settled(self) -> None:
        self._filter_timer.stop()
        text = self.filter_box.text().strip()
        if text != self._search_text:
            self._search(text)

    def _search_again(self, *_: object) -> None:
        """The model changed, opened or failed to open: the box's search is asked of it anew."""
        self._search(self._search_text, again=True)

    def _search(self, text: str, again: bool = False) -> None:
        """Ask the worker for what matches `text` ("" ends the search: the tree shows again)."""
        self._search_text = text
        self._search_generation += 1
        generation = self._search_generation
        self.status.hide()
        if not text:
            self.results_model.set_rows([])
            self._show_page()
            return
        self._show_page()
        handle = self._handle
        if handle is None or not handle.is_open:
            self.results_model.set_rows([])
            self._say("The model is still opening: the search runs once it is open."
                      if handle is not None and handle.opening else "Open a model to search it.")
            return
        if not again:
            self._say(f"Searching for {text!r}…")

        def on_reply(reply: dict[str, Any]) -> None:
            if generation != self._search_generation:
                return  # the box says something else by now
            if reply.get("ok"):
                self.results_model.set_rows(list(reply.get("rows") or ()))
                self._say(search_summary(text, reply))
            else:
                self.results_model.set_rows([])
                self._say(str(reply.get("error") or "The search could not be made."))
            self.search_finished.emit(text)

        handle.query("search", {"text": text}, on_reply)

    def _show_page(self) -> None:
        """The result list while searching; else the tree, or a sentence on why it is empty."""
        if self._search_text:
            self.pages.setCurrentWidget(self.results)
        elif not self.model.has_model:
            self.empty.setText(NO_MODEL)
            self.pages.setCurrentWidget(self.empty)
        elif self.model.top_loaded and self.model.rowCount() == 0:
            self.empty.setText(EMPTY_VIEWS[self.model.view])
            self.pages.setCurrentWidget(self.empty)
        else:
            self.pages.setCurrentWidget(self.tree)

    def _on_children_loaded(self, key: object) -> None:
        if key is None:
            self._show_page()

    def _on_query_failed(self, sentence: str) -> None:
        self._say(sentence)

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()

    # -- the result list ---------------------------------------------------------------------
    def _on_result_selection(self) -> None:
        """Picked in the list: the element is selected (properties, 3D) and revealed in the tree
        behind the list, whose own selection then says the same without a second signal."""
        rows = self.results.selectionModel().selectedRows(0)
        ids = [int(self.results_model.data(index, STEP_ID_ROLE)) for index in rows]
        if not ids:
            return
        current = self.results_model.data(self.results.currentIndex(), STEP_ID_ROLE)
        self.elements_selected.emit(ids)
        self.element_selected.emit(current if isinstance(current, int) and current in ids else ids[0])
        self._echo = ids
        self.select_elements(ids)

    def _show_in_tree(self) -> None:
        """Double-click or Enter on a result: end the search; the tree shows the pick revealed."""
        self.filter_box.clear()
        self._on_filter_settled()
        current = self.tree.currentIndex()
        if current.isValid():
            self.tree.scrollTo(current, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.tree.setFocus()

    def _on_located(self, indexes: list[QModelIndex]) -> None:
        if not indexes and self._echo is not None:
            # Picked in the result list but not in this view of the tree (an element no system
            # holds, in "By system"): the tree keeps its selection.
            self._echo = None
            self.elements_revealed.emit([])
            return
        rows: dict[QPersistentModelIndex, list[int]] = {}
        found: list[int] = []
        first = QModelIndex()
        budget = EXPAND_BUDGET
        # With a layout pending, expand() only records the index: one layout for all of them
        # instead of one per parent (each of which walks every visible row).
        self.tree.scheduleDelayedItemsLayout()
        for index in indexes:
            shown = index
            rows.setdefault(QPersistentModelIndex(shown.parent()), []).append(shown.row())
            found.append(int(self.model.data(index, STEP_ID_ROLE)))
            closed = []
            parent = shown.parent()
            while parent.isValid() and not self.tree.isExpanded(parent):
                closed.append(parent)
                parent = parent.parent()
            cost = sum(self.model.rowCount(p) for p in closed)
            if not first.isValid() or cost <= budget:
                budget -= cost
                for parent in reversed(closed):
                    self.tree.expand(parent)
            first = first if first.isValid() else shown
        flags = QItemSelectionModel.SelectionFlag
        selection = self._ranges(rows)
        selected = len(selection.indexes())
        if selected < len(found) and not self._search_text:  # the list says more
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
                    selection.select(self.model.index(start, 0, parent), self.model.index(previous, 0, parent))
                    start = row
                previous = row
        return selection

    def _on_selection_changed(self) -> None:
        ids = self.selected_ids()
        echo, self._echo = self._echo, None
        if echo is not None and set(ids) <= set(echo):
            return  # the result list said it already (the tree may show fewer of them)
        self.elements_selected.emit(ids)
        current = self.model.data(self.tree.currentIndex(), STEP_ID_ROLE)
        if isinstance(current, int) and current in ids:
            self.element_selected.emit(current)
        elif ids:
            self.element_selected.emit(ids[0])
