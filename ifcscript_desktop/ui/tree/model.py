"""A lazy Qt item model over the worker's `tree` op: one level per request, rows in pages.

A node's children are asked for when the view expands it (`canFetchMore`/`fetchMore`), and
the rows of a long answer (a storey of 25,000 elements) are inserted a page at a time as the
view scrolls, so opening a large model creates a handful of rows, not one per element.
"""

from __future__ import annotations

from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from ifcscript_desktop.ui.tree.node import LOADED, LOADING, UNFETCHED, Key, Node, element_tooltip
from ifcscript_desktop.ui.worker_handle import WorkerHandle

Index = QModelIndex | QPersistentModelIndex

KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # a node's key: STEP id, or class name for a group
STEP_ID_ROLE = Qt.ItemDataRole.UserRole + 2  # the STEP id, None for a group
PLAIN_TEXT_ROLE = Qt.ItemDataRole.UserRole + 3  # a cell's text without the count the label adds
COLUMNS = ("Name", "Class", "GlobalId")
VIEWS = ("spatial", "class", "type", "system", "material")

class ModelTreeModel(QAbstractItemModel):
    """Columns Name, Class, GlobalId of a view of the model."""

    #: A node's children arrived (its key; None for the top level).
    children_loaded = Signal(object)
    #: The worker could not answer: a sentence.
    query_failed = Signal(str)

    page_size = 500

    def __init__(self, handle: WorkerHandle | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handle: WorkerHandle | None = None
        self._view = "spatial"
        self._generation = 0
        self._root = Node({"has_children": True}, None, 0)
        self._by_step: dict[int, list[Node]] = {}
        self._highlights: dict[int, QColor] = {}
        self._colors: dict[int, QColor] = {}
        self.set_handle(handle)

    # -- what is shown -----------------------------------------------------------------------
    @property
    def view(self) -> str:
        return self._view

    def set_handle(self, handle: WorkerHandle | None) -> None:
        if self._handle is not None:
            self._handle.model_opened.disconnect(self._on_model_opened)
        self._handle = handle
        if handle is not None:
            handle.model_opened.connect(self._on_model_opened)
        self._highlights, self._colors = {}, {}  # STEP ids of the other model mean nothing here
        self.reload()

    @property
    def has_model(self) -> bool:
        """Whether a model is open to show (else the pane says how to open one)."""
        return self._handle is not None and self._handle.is_open

    @property
    def top_loaded(self) -> bool:
        """Whether the top level's answer arrived (an empty view is then really empty)."""
        return self._root.state == LOADED

    def show(self, view: str) -> None:
        """Show `view` (one of VIEWS)."""
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}")
        if view != self._view:
            self._view = view
            self.reload()

    def reload(self) -> None:
        """Forget every loaded node and ask for the top level again."""
        self.beginResetModel()
        self._generation += 1
        self._root = Node({"has_children": True}, None, 0)
        self._by_step = {}
        self.endResetModel()
        if self._handle is not None and self._handle.is_open:  # else model_opened reloads
            self._fetch(self._root)

    def loaded_count(self) -> int:
        """Element rows created so far (for checks that nothing loads the whole model)."""
        return sum(len(nodes) for nodes in self._by_step.values())

    def node(self, index: Index) -> Node:
        return index.internalPointer() if index.isValid() else self._root

    def index_of(self, node: Node, column: int = 0) -> QModelIndex:
        return QModelIndex() if node is self._root else self.createIndex(node.row, column, node)

    # -- highlights --------------------------------------------------------------------------
    def set_highlight(self, step_ids: list[int], color: QColor) -> None:
        for step_id in step_ids:
            self._highlights[int(step_id)] = color
        self._refresh(step_ids)

    def clear_highlights(self) -> None:
        ids, self._highlights = list(self._highlights), {}
        self._refresh(ids)

    def set_colors(self, colors: dict[int, QColor]) -> None:
        """Tint these elements (a `color_by`), in place of the last tints; a highlight wins."""
        old, self._colors = self._colors, {int(k): v for k, v in colors.items()}
        self._refresh(list(old.keys() | self._colors.keys()))

    def background(self, step_id: int) -> QColor | None:
        """An element's highlight, else its `color_by` tint, else None."""
        return self._highlights.get(step_id) or self._colors.get(step_id)

    def _refresh(self, step_ids: list[int]) -> None:
        for step_id in step_ids:
            for node in self._by_step.get(int(step_id), ()):
                self.dataChanged.emit(self.index_of(node), self.index_of(node, len(COLUMNS) - 1))

    # -- finding elements --------------------------------------------------------------------
    def locate(self, step_ids: list[int], callback: Callable[[list[QModelIndex]], None]) -> None:
        """Load the nodes down to each element; `callback` gets the indexes of those shown."""
        handle, generation = self._handle, self._generation
        if handle is None or not step_ids:
            callback([])
            return
        view = self._view

        def on_paths(reply: dict[str, Any]) -> None:
            if not self._current(generation):
                return
            routes = [list(e["path"]) + [e["id"]] for e in reply.get("nodes") or () if e.get("path") is not None]
            found: list[QModelIndex] = []
            left = [len(routes)]

            def arrived(node: Node | None) -> None:
                if node is not None:
                    found.append(self.index_of(node))
                left[0] -= 1
                if left[0] == 0 and self._current(generation):
                    order = {step_id: n for n, step_id in enumerate(step_ids)}
                    callback(sorted(found, key=lambda i: order.get(self.node(i).step_id or 0, 0)))

            if not routes:
                callback([])
            for route in routes:
                self._walk(self._root, route, arrived)

        handle.query("tree", {"parent": [int(i) for i in step_ids], "view": f"path:{view}"}, on_paths)

    def _walk(self, node: Node, route: list[Key], arrived: Callable[[Node | None], None]) -> None:
        def step() -> None:
            child = self._child(node, route[0])
            if child is None or len(route) == 1:
                arrived(child)
            else:
                self._walk(child, route[1:], arrived)

        if node.state == LOADED:
            step()
        else:
            node.waiters.append(step)
            self._fetch(node)

    def _child(self, node: Node, key: Key) -> Node | None:
        """The loaded child with `key`, inserting the pages of rows up to it if need be."""
        if key in node.by_key:
            return node.by_key[key]
        if node.pending_rows is None:
            node.pending_rows = {d.get("id"): i for i, d in enumerate(node.pending)}
        position = node.pending_rows.get(key)
        if position is None or position < node.pending_at:
            return None
        self._insert(node, position + 1 - node.pending_at)
        return node.by_key.get(key)

    # -- loading -----------------------------------------------------------------------------
    def _current(self, generation: int) -> bool:
        return shiboken6.isValid(self) and generation == self._generation

    def _fetch(self, node: Node) -> None:
        if self._handle is None or node.state != UNFETCHED:
            return
        node.state = LOADING
        generation = self._generation
        self._handle.query("tree", {"parent": node.key, "view": self._view},
                           lambda reply: self._on_children(generation, node, reply))

    def _on_children(self, generation: int, node: Node, reply: dict[str, Any]) -> None:
        if not self._current(generation):
            return
        node.state = LOADED
        if reply.get("ok"):
            node.pending = list(reply.get("nodes") or ())
            self._insert(node, self.page_size)
            self.children_loaded.emit(node.key)
        else:
            self.query_failed.emit(str(reply.get("error") or "The model tree could not be loaded."))
        waiters, node.waiters = node.waiters, []
        for waiter in waiters:
            waiter()

    def _insert(self, node: Node, count: int) -> None:
        batch = node.pending[node.pending_at:node.pending_at + count]
        if not batch:
            return
        first = len(node.children)
        self.beginInsertRows(self.index_of(node), first, first + len(batch) - 1)
        node.pending_at += len(batch)
        for row, data in enumerate(batch, first):
            child = Node(data, node, row)
            node.children.append(child)
            node.by_key[child.key] = child
            if child.step_id is not None:
                self._by_step.setdefault(child.step_id, []).append(child)
        if node.pending_at >= len(node.pending):
            node.pending, node.pending_at, node.pending_rows = [], 0, None
        self.endInsertRows()

    def _on_model_opened(self, info: dict[str, Any]) -> None:
        self.reload()

    # -- QAbstractItemModel ------------------------------------------------------------------
    # The view calls these for every visible row at each layout: kept lean on purpose.
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        children = (parent.internalPointer() if parent.isValid() else self._root).children
        if 0 <= row < len(children) and 0 <= column < 3:
            return self.createIndex(row, column, children[row])
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        # Rows are only ever appended (or all reset), so a parent's index stays valid: keep it.
        # Selections of many elements call this for every pair of ranges.
        node: Node = index.internalPointer().parent
        if node is self._root:
            return QModelIndex()
        if node.as_parent is None:
            node.as_parent = self.createIndex(node.row, 0, node)
        return node.as_parent

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.column() > 0 else len(self.node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        if not parent.isValid():
            return True
        node = parent.internalPointer()
        return bool(node.children) or (node.has_children and node.state != LOADED)

    def canFetchMore(self, parent: Index) -> bool:
        node = self.node(parent)
        return (node.state == UNFETCHED and node.has_children) or node.pending_at < len(node.pending)

    def fetchMore(self, parent: Index) -> None:
        node = self.node(parent)
        if node.state == UNFETCHED:
            self._fetch(node)
        else:
            self._insert(node, self.page_size)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node, column = self.node(index), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (node.label, node.ifc_class, node.guid)[column]
        if role == PLAIN_TEXT_ROLE:
            return (node.name, node.ifc_class, node.guid)[column]
        if role == KEY_ROLE:
            return node.key
        if role == STEP_ID_ROLE:
            return node.step_id
        if role == Qt.ItemDataRole.BackgroundRole and node.step_id is not None:
            return self._highlights.get(node.step_id) or self._colors.get(node.step_id)
        if role == Qt.ItemDataRole.ToolTipRole:
            if node.step_id is None:  # a class group
                return f"{node.ifc_class}\n{node.count} below" if node.count else node.ifc_class
            below = f"{node.count} below" if node.count else None
            return element_tooltip(node.name, node.ifc_class, node.step_id, node.guid, below=below)
        return None
