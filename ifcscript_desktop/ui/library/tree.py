"""The library's tree: one branch per category, one row per script, built-ins marked."""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from ifcscript_desktop.core.store import Script

NAME_ROLE = Qt.ItemDataRole.UserRole
BUILTIN_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2
DESCRIPTION_ROLE = Qt.ItemDataRole.UserRole + 3
NO_CATEGORY = "Other"
BUILTIN_MARK = "built-in"
READ_ONLY_TIP = "Built-in scripts are read-only: duplicate one to make your own copy."


class ScriptTree(QTreeWidget):
    """A few dozen scripts at most, so plain items (no lazy model) are enough."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setUniformRowHeights(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)

    def fill(self, scripts: Iterable[Script]) -> None:
        """Show ``scripts`` (already sorted by category, then name)."""
        self.clear()
        categories: dict[str, QTreeWidgetItem] = {}
        for script in scripts:
            category = script.category.strip() or NO_CATEGORY
            parent = categories.get(category)
            if parent is None:
                parent = categories[category] = self._category_item(category)
            parent.addChild(self._script_item(script))
        self.expandAll()

    def filter(self, text: str) -> None:
        """Hide the scripts whose name, description and category miss a word of ``text``."""
        words = text.casefold().split()
        for parent in self._categories():
            shown = 0
            for child in self._children(parent):
                haystack = str(child.data(0, SEARCH_ROLE))
                child.setHidden(not all(word in haystack for word in words))
                shown += not child.isHidden()
            parent.setHidden(shown == 0)

    def item_of(self, name: str) -> QTreeWidgetItem | None:
        """The row of the script called ``name``."""
        for parent in self._categories():
            for child in self._children(parent):
                if child.data(0, NAME_ROLE) == name:
                    return child
        return None

    def visible(self) -> dict[str, list[str]]:
        """Script names not hidden by the search, by category."""
        shown: dict[str, list[str]] = {}
        for parent in self._categories():
            names = [c.data(0, NAME_ROLE) for c in self._children(parent) if not c.isHidden()]
            if names and not parent.isHidden():
                shown[parent.text(0)] = names
        return shown

    @staticmethod
    def name_of(item: QTreeWidgetItem | None) -> str | None:
        """The script name of a row; None for a category or no row."""
        name = item.data(0, NAME_ROLE) if item is not None else None
        return name if isinstance(name, str) else None

    @staticmethod
    def is_builtin(item: QTreeWidgetItem | None) -> bool:
        return item is not None and bool(item.data(0, BUILTIN_ROLE))

    def _categories(self) -> Iterator[QTreeWidgetItem]:
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            if item is not None:
                yield item

    @staticmethod
    def _children(parent: QTreeWidgetItem) -> Iterator[QTreeWidgetItem]:
        for row in range(parent.childCount()):
            child = parent.child(row)
            if child is not None:
                yield child

    def _category_item(self, category: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self, [category])
        font = QFont(item.font(0))
        font.setBold(True)
        item.setFont(0, font)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setFirstColumnSpanned(True)
        return item

    def _script_item(self, script: Script) -> QTreeWidgetItem:
        builtin = bool(script.is_builtin)
        item = QTreeWidgetItem([script.name, BUILTIN_MARK if builtin else ""])
        item.setData(0, NAME_ROLE, script.name)
        item.setData(0, BUILTIN_ROLE, builtin)
        item.setData(0, DESCRIPTION_ROLE, script.description.strip())
        item.setData(0, SEARCH_ROLE,
                     " ".join((script.name, script.description, script.category)).casefold())
        # Rich text, so a long description wraps instead of making one very wide tooltip.
        tip = html.escape(script.description.strip() or script.name).replace("\n", "<br>")
        item.setToolTip(0, f"<p>{tip}</p>")
        if builtin:
            item.setToolTip(1, READ_ONLY_TIP)
            item.setForeground(1, self.palette().brush(QPalette.ColorRole.PlaceholderText))
        return item
