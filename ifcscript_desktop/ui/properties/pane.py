"""The properties pane: what the worker's `element` op says about one element, as a small tree.

Values with a unit (the worker sends one per measure, from the model's unit assignment) read
"15.42 m²"; the exact value is in the tooltip and is what Copy value puts on the clipboard.
The property column fits its content until the user drags it; then it keeps the user's width,
and `save`/`restore` carry it across sessions in the window's QSettings.
"""

from __future__ import annotations

import functools
import html
from typing import Any, cast

from PySide6.QtCore import QEvent, QObject, QPoint, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QMenu, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from ifcscript_desktop.ui.plaintext import tooltip
from ifcscript_desktop.ui.properties.values import (display_value, exact_value, exact_with_unit,
                                                    format_value)
from ifcscript_desktop.ui.worker_handle import WorkerHandle

__all__ = ["PropertiesPane", "format_value"]

NO_MODEL = "Open a model, then select an element in the tree or the 3D view to see its properties."
NO_ELEMENT = "Select an element in the tree or the 3D view to see its properties."
NAME_WIDTH_KEY = "properties/name_column_width"
#: The property column as fitted to its names: never narrower or wider than this (pixels), nor
#: wider than this share of the pane: long names elide in the middle and have a tooltip.
MIN_NAME_WIDTH, MAX_NAME_WIDTH, MAX_NAME_SHARE = 80, 360, 0.5
#: The exact value of a row (column 1), as copied; without its unit.
EXACT_ROLE = Qt.ItemDataRole.UserRole + 1


class PropertiesPane(QWidget):
    """Shows one element at a time, fetched from the worker on demand."""

    #: An element's details are on screen (its STEP id).
    element_shown = Signal(int)

    def __init__(self, handle: WorkerHandle | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._handle = handle
        self._wanted: int | str | None = None
        self._guid: str | None = None
        self._name_width: int | None = None  # the width the user gave the property column
        self._fitting = False
        self.title = QLabel(NO_ELEMENT if handle is not None else NO_MODEL)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Property", "Value"])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # GlobalIds differ at the end
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.sectionResized.connect(self._on_section_resized)
        self.copy_value_action = self._action("Copy value", QKeySequence.StandardKey.Copy,
                                              self.copy_value)
        self.copy_row_action = self._action("Copy row", QKeySequence("Ctrl+Shift+C"), self.copy_row)
        self.copy_guid_action = self._action("Copy GlobalId", None, self.copy_guid)
        self.tree.installEventFilter(self)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)

    def _action(self, text: str, keys: QKeySequence | QKeySequence.StandardKey | None,
                slot: Any) -> QAction:
        """A context menu entry; its keys (shown in the menu) are read by `eventFilter`."""
        action = QAction(text, self)
        if keys is not None:
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        return action

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Ctrl+C in the view copies the exact value (the view itself would copy the name)."""
        if watched is self.tree and event.type() in (QEvent.Type.KeyPress,
                                                     QEvent.Type.ShortcutOverride):
            key = cast(QKeyEvent, event)
            action = (self.copy_value_action if key.matches(QKeySequence.StandardKey.Copy)
                      else self.copy_row_action
                      if QKeySequence(key.keyCombination()) == self.copy_row_action.shortcut()
                      else None)
            if action is not None:
                if event.type() == QEvent.Type.KeyPress:
                    action.trigger()
                event.accept()
                return True
        return super().eventFilter(watched, event)

    # -- settings ----------------------------------------------------------------------------
    def restore(self, settings: QSettings) -> None:
        """Take back the property column width the user chose in an earlier session."""
        try:
            width = int(settings.value(NAME_WIDTH_KEY, 0) or 0)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            width = 0  # a hand-edited settings file: fit to content instead
        if width > 0:
            self._set_name_width(width)
            self._name_width = width

    def save(self, settings: QSettings) -> None:
        """Remember the property column width, if the user chose one."""
        if self._name_width is not None:
            settings.setValue(NAME_WIDTH_KEY, self._name_width)

    def _on_section_resized(self, column: int, _old: int, new: int) -> None:
        if column == 0 and not self._fitting and new > 0:
            self._name_width = new  # the user dragged (or double-clicked) the divider

    def _set_name_width(self, width: int) -> None:
        self._fitting = True
        try:
            self.tree.setColumnWidth(0, width)
        finally:
            self._fitting = False

    def _fit_name_column(self) -> None:
        """Size the property column to its names, within sensible bounds."""
        widest = self.tree.sizeHintForColumn(0)
        limit = MAX_NAME_WIDTH
        if self.tree.viewport().width() > 2 * MIN_NAME_WIDTH:
            limit = min(limit, int(self.tree.viewport().width() * MAX_NAME_SHARE))
        self._set_name_width(max(MIN_NAME_WIDTH, min(widest + 8, limit)))

    # -- the element -------------------------------------------------------------------------
    def set_handle(self, handle: WorkerHandle | None) -> None:
        """Follow another open model; the pane empties."""
        self._handle = handle
        self.clear()

    def clear(self) -> None:
        self._wanted = None
        self._guid = None
        self.tree.clear()
        self.title.setText(NO_ELEMENT if self._handle is not None else NO_MODEL)

    def show_element(self, ref: int | str) -> None:
        """Ask the worker for the element with this STEP id (or GlobalId) and show it."""
        if self._handle is None:
            return
        self._wanted = ref
        self.title.setText("Loading…")
        self._handle.query("element", {"element": ref}, functools.partial(self._on_element, ref))

    def section(self, title: str) -> QTreeWidgetItem | None:
        """The top-level item with this title (Attributes, Property sets, ...)."""
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item is not None and item.text(0) == title:
                return item
        return None

    # -- copying -----------------------------------------------------------------------------
    def _rows(self) -> list[QTreeWidgetItem]:
        """The selected rows in the order shown, else the current one."""
        selected = self.tree.selectedItems()
        current = self.tree.currentItem()
        if not selected and current is not None:
            selected = [current]
        return sorted(selected, key=self._position)

    def _position(self, item: QTreeWidgetItem) -> list[int]:
        """Where a row is in the tree (its row numbers from the top): rows copy in screen order."""
        path: list[int] = []
        current: QTreeWidgetItem | None = item
        while current is not None:
            parent = current.parent()
            holder = parent if parent is not None else self.tree.invisibleRootItem()
            path.append(holder.indexOfChild(current))
            current = parent
        return path[::-1]

    def copy_value(self) -> None:
        """The selected values, exact and without their units, one per line."""
        rows = self._rows()
        if rows:
            self._copy("\n".join(str(item.data(1, EXACT_ROLE) or item.text(1)) for item in rows))

    def copy_row(self) -> None:
        """The selected rows as "name<TAB>exact value and unit" lines (they paste as two columns)."""
        rows = self._rows()
        if rows:
            self._copy("\n".join(f"{item.text(0)}\t{item.toolTip(1) or item.text(1)}" for item in rows))

    def copy_guid(self) -> None:
        if self._guid:
            self._copy(self._guid)

    @staticmethod
    def _copy(text: str) -> None:
        QGuiApplication.clipboard().setText(text)

    def _on_menu(self, position: QPoint) -> None:
        item = self.tree.itemAt(position)
        if item is not None and item not in self.tree.selectedItems():
            self.tree.setCurrentItem(item)
        self.copy_value_action.setEnabled(bool(self._rows()))
        self.copy_row_action.setEnabled(bool(self._rows()))
        self.copy_guid_action.setEnabled(bool(self._guid))
        menu = QMenu(self)
        menu.addActions([self.copy_value_action, self.copy_row_action, self.copy_guid_action])
        menu.exec(self.tree.viewport().mapToGlobal(position))

    # -- filling -----------------------------------------------------------------------------
    def _on_element(self, ref: int | str, reply: dict[str, Any]) -> None:
        if ref != self._wanted:
            return  # the user has moved on to another element
        self.tree.clear()
        if not reply.get("ok"):
            self._guid = None
            self.title.setText(str(reply.get("error") or "The element could not be read."))
            return
        element = reply.get("element") or {}
        attributes = element.get("attributes") or {}
        name = attributes.get("Name")
        guid = attributes.get("GlobalId")
        self._guid = guid if isinstance(guid, str) else None
        self.title.setText(f"<b>{element.get('type')}</b> #{element.get('id')}"
                           + (f" — {html.escape(str(name))}" if name else ""))  # "<" in names
        self.title.setToolTip(self._guid or "")
        self._fill(element, attributes)
        if self._name_width is None:
            self._fit_name_column()
        self.element_shown.emit(int(element.get("id") or 0))

    def _fill(self, element: dict[str, Any], attributes: dict[str, Any]) -> None:
        self._add_mapping(self._section("Attributes"), attributes)
        for title, key in (("Type", "element_type"), ("Container", "container")):
            node = element.get(key)
            if node:
                item = self._section(title, f"{node.get('name') or ''}")
                self._add_mapping(item, {"Class": node.get("type"), "GlobalId": node.get("guid"),
                                         "STEP id": node.get("id")})
                item.setExpanded(False)
        materials = element.get("materials") or []
        if materials:
            section = self._section("Materials", str(len(materials)))
            for material in materials:
                self._row(section, str(material or "(unnamed)"), "")
        units = element.get("units") or {}
        for title, key, none in (("Property sets", "psets", "This element has no property sets."),
                                 ("Quantities", "quantities", "This element has no quantities.")):
            groups = element.get(key) or {}
            section = self._section(title, str(len(groups)) if groups else "")
            if not groups:
                self._note(section, none)
            group_units = units.get(key) or {}
            for group, values in sorted(groups.items()):
                item = self._row(section, str(group), "")
                self._add_mapping(item, values, group_units.get(group) or {})
                item.setExpanded(True)

    def _section(self, title: str, value: str = "") -> QTreeWidgetItem:
        item = self._row(self.tree, title, value)
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        item.setFirstColumnSpanned(not value)
        item.setExpanded(True)
        return item

    def _note(self, parent: QTreeWidgetItem, text: str) -> None:
        """A sentence where the section would list its rows: why it is empty."""
        item = self._row(parent, text, "")
        font = item.font(0)
        font.setItalic(True)
        item.setFont(0, font)
        item.setFirstColumnSpanned(True)
        item.setData(1, EXACT_ROLE, "")

    @staticmethod
    def _row(parent: QTreeWidget | QTreeWidgetItem, name: str, text: str,
             exact: str | None = None, tip: str | None = None) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [name, text])
        item.setToolTip(0, tooltip(name))  # names and values are the model's text
        item.setToolTip(1, tooltip(tip if tip is not None else text))
        item.setData(1, EXACT_ROLE, exact if exact is not None else text)
        return item

    def _add_mapping(self, parent: QTreeWidgetItem, values: dict[str, Any],
                     units: dict[str, Any] | None = None) -> None:
        for name, value in values.items():
            if name == "id" and isinstance(value, int):
                continue  # get_psets' own key: the pset's STEP id, not a property
            if isinstance(value, dict):
                self._add_mapping(self._row(parent, str(name), ""), value)
                continue
            unit = (units or {}).get(name)
            unit = unit if isinstance(unit, str) else None
            self._row(parent, str(name), display_value(value, unit), exact_value(value),
                      exact_with_unit(value, unit))
