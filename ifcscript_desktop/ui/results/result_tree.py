"""The `result` value as a tree of keys and values (results are small; big lists are cut)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

from ifcscript_desktop.ui.plaintext import tooltip
from ifcscript_desktop.ui.results.cells import cell_text

MAX_CHILDREN = 500
MAX_ITEMS = 20_000  # items in the whole tree: a result is meant to be read, not scrolled
MAX_DEPTH = 40
MAX_TEXT = 1000
#: A container with more items than this starts collapsed, its count saying what it holds (a
#: list of 1,287 column names must not fill the tab).
COLLAPSE_OVER = 20


def summary(value: Any) -> str:
    """One line for a value: the value itself, or what a container holds."""
    if isinstance(value, dict):
        return f"{{{len(value):,} {'key' if len(value) == 1 else 'keys'}}}"
    if isinstance(value, list):
        return f"[{len(value):,} {'item' if len(value) == 1 else 'items'}]"
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…"
    return "null" if value is None else cell_text(value)


SHOW = " — expand to show"


def collapsed_summary(value: Any) -> str:
    """A long container's line while collapsed: "1,287 items — expand to show"."""
    noun = "keys" if isinstance(value, dict) else "items"
    return f"{len(value):,} {noun}{SHOW}"


class ResultTree(QTreeWidget):
    """Keys and values of a JSON value; short containers open, long ones start collapsed with
    their count, and long lists show their first items."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Name", "Value"])
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self._budget = MAX_ITEMS
        self.itemExpanded.connect(lambda item: item.setText(1, item.text(1).removesuffix(SHOW)))
        self.itemCollapsed.connect(self._on_collapsed)

    def _on_collapsed(self, item: QTreeWidgetItem) -> None:
        if item.childCount() > COLLAPSE_OVER and not item.text(1).endswith(SHOW):
            item.setText(1, item.text(1) + SHOW)

    def set_value(self, value: Any) -> None:
        self.clear()
        self._budget = MAX_ITEMS
        long = isinstance(value, list) and len(value) > COLLAPSE_OVER
        root = QTreeWidgetItem(["result", collapsed_summary(value) if long else summary(value)])
        self._fill(root, value, 0)
        self.addTopLevelItem(root)
        root.setExpanded(not long)
        for i in range(root.childCount()):
            child = root.child(i)
            if child is not None and 0 < child.childCount() <= COLLAPSE_OVER:
                child.setExpanded(True)
        self.resizeColumnToContents(0)

    def _fill(self, item: QTreeWidgetItem, value: Any, depth: int) -> None:
        if depth >= MAX_DEPTH or self._budget <= 0:
            return
        if isinstance(value, dict):
            pairs = list(value.items())
        elif isinstance(value, list):
            pairs = [(f"[{i}]", v) for i, v in enumerate(value[:MAX_CHILDREN])]
        else:
            return
        children = []
        shown = pairs[:min(MAX_CHILDREN, self._budget)]
        self._budget -= len(shown)
        for key, child in shown:
            long = isinstance(child, (dict, list)) and len(child) > COLLAPSE_OVER
            node = QTreeWidgetItem([str(key), collapsed_summary(child) if long else summary(child)])
            node.setToolTip(1, tooltip(node.text(1)[:2000]))
            self._fill(node, child, depth + 1)
            children.append(node)
        if len(value) > len(shown):
            children.append(QTreeWidgetItem(["…", f"{len(value) - len(shown):,} more not shown"]))
        item.addChildren(children)
