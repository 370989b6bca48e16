"""One row of the model tree: what the worker said about a node, and its loaded children."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QModelIndex

from ifcscript_desktop.ui.plaintext import tooltip

Key = int | str | None  # a STEP id, or a class name for a group node

UNFETCHED, LOADING, LOADED = range(3)


class Node:
    """One row: what the worker said about an element (or class group) and its loaded children."""

    __slots__ = ("key", "name", "ifc_class", "guid", "count", "has_children", "parent", "row",
                 "children", "by_key", "pending", "pending_at", "pending_rows", "state", "waiters",
                 "as_parent")

    def __init__(self, data: dict[str, Any], parent: Node | None, row: int) -> None:
        self.key: Key = data.get("id")
        self.name = str(data.get("name") or "")
        self.ifc_class = str(data.get("type") or "")
        self.guid = str(data.get("guid") or "")
        self.count = int(data.get("count") or 0)
        self.has_children = bool(data.get("has_children"))
        self.parent, self.row = parent, row
        self.children: list[Node] = []
        self.by_key: dict[Key, Node] = {}
        self.pending: list[dict[str, Any]] = []  # children received, not yet rows
        self.pending_at = 0
        self.pending_rows: dict[Key, int] | None = None  # key -> position in `pending`
        self.state = UNFETCHED
        self.waiters: list[Callable[[], None]] = []
        self.as_parent: QModelIndex | None = None  # its index, kept once a child asked for it

    @property
    def step_id(self) -> int | None:
        return self.key if isinstance(self.key, int) else None

    @property
    def label(self) -> str:
        name = self.name or (f"#{self.key}" if self.step_id else "")
        return f"{name} ({self.count})" if self.step_id and self.count else name


def element_tooltip(name: str | None, ifc_class: str, step_id: int | None, guid: str | None,
                    storey: str | None = None, found_by: str | None = None,
                    below: str | None = None) -> str:
    """The full name, class, STEP id and GlobalId of a row: what its cells may elide. Shown
    literally, whatever the Name holds."""
    lines = [name or "(no name)", f"{ifc_class} #{step_id}" if step_id else ifc_class]
    if guid:
        lines.append(f"GlobalId {guid}")
    if storey:
        lines.append(f"Storey {storey}")
    if found_by:
        lines.append(f"Found by {found_by}")
    if below:
        lines.append(below)
    return tooltip("\n".join(lines))  # a Name such as "<b>" is the model's text
