"""The properties pane: what the worker's `element` op says about one element, as a small tree."""

from __future__ import annotations

import functools
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ifcscript_desktop.ui.worker_handle import WorkerHandle


def format_value(value: Any) -> str:
    """A property value as the pane shows it."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    return str(value)


class PropertiesPane(QWidget):
    """Shows one element at a time, fetched from the worker on demand."""

    #: An element's details are on screen (its STEP id).
    element_shown = Signal(int)

    def __init__(self, handle: WorkerHandle | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._handle = handle
        self._wanted: int | str | None = None
        self.title = QLabel("Select an element to see its properties.")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Property", "Value"])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)

    def set_handle(self, handle: WorkerHandle | None) -> None:
        """Follow another open model; the pane empties."""
        self._handle = handle
        self.clear()

    def clear(self) -> None:
        self._wanted = None
        self.tree.clear()
        self.title.setText("Select an element to see its properties.")

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

    # -- filling -----------------------------------------------------------------------------
    def _on_element(self, ref: int | str, reply: dict[str, Any]) -> None:
        if ref != self._wanted:
            return  # the user has moved on to another element
        self.tree.clear()
        if not reply.get("ok"):
            self.title.setText(str(reply.get("error") or "The element could not be read."))
            return
        element = reply.get("element") or {}
        attributes = element.get("attributes") or {}
        name = attributes.get("Name")
        self.title.setText(f"<b>{element.get('type')}</b> #{element.get('id')}"
                           + (f" — {name}" if name else ""))
        self._fill(element, attributes)
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
                QTreeWidgetItem(section, [str(material or "(unnamed)"), ""])
        for title, key in (("Property sets", "psets"), ("Quantities", "quantities")):
            groups = element.get(key) or {}
            if groups:
                section = self._section(title, str(len(groups)))
                for group, values in sorted(groups.items()):
                    item = QTreeWidgetItem(section, [group, ""])
                    self._add_mapping(item, values)
                    item.setExpanded(True)

    def _section(self, title: str, value: str = "") -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.tree, [title, value])
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        item.setFirstColumnSpanned(not value)
        item.setExpanded(True)
        return item

    def _add_mapping(self, parent: QTreeWidgetItem, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name == "id" and isinstance(value, int):
                continue  # get_psets' own key: the pset's STEP id, not a property
            if isinstance(value, dict):
                item = QTreeWidgetItem(parent, [str(name), ""])
                self._add_mapping(item, value)
            else:
                text = format_value(value)
                item = QTreeWidgetItem(parent, [str(name), text])
                item.setToolTip(1, text)
