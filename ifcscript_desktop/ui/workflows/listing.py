"""The stored workflows as a list: name, trigger, steps; a check box enables each one.

A user has a handful of workflows, not thousands, so a tree widget filled from the store holds
them; ``refresh`` reads them again after any change.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

from ifcscript_desktop.core.store import AutomationWorkflow

NAME_ROLE = Qt.ItemDataRole.UserRole + 1
TRIGGER_LABELS = {"manual": "manual", "on_open": "on open", "watch": "watched folder"}
ENABLED_TIP = "Enabled: its trigger runs it. A manual workflow runs only when you ask."


class WorkflowList(QTreeWidget):
    """One row per stored workflow; the check box in the first column is `enabled`."""

    #: The current workflow changed (its name, or "" for none).
    workflow_chosen = Signal(str)
    #: The user ticked or unticked a workflow: name, enabled.
    enabled_toggled = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workflow_list")
        self.setColumnCount(3)
        self.setHeaderLabels(["Workflow", "Trigger", "Steps"])
        self.setRootIsDecorated(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self._filling = False
        self.currentItemChanged.connect(self._on_current_changed)
        self.itemChanged.connect(self._on_item_changed)

    def fill(self, workflows: list[AutomationWorkflow], current: str | None) -> None:
        """Show `workflows`; select `current` when it is among them."""
        self._filling = True
        self.clear()
        chosen = None
        for workflow in workflows:
            steps = [step.get("name", "") for step in workflow.steps or []]
            kind = (workflow.trigger or {}).get("kind", "manual")
            item = QTreeWidgetItem(self, [workflow.name, TRIGGER_LABELS.get(kind, kind),
                                          " › ".join(steps)])
            item.setData(0, NAME_ROLE, workflow.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if workflow.enabled
                               else Qt.CheckState.Unchecked)
            item.setToolTip(0, f"{workflow.description}\n\n{ENABLED_TIP}".strip())
            item.setToolTip(2, "\n".join(steps))
            if workflow.name == current:
                chosen = item
        self.resizeColumnToContents(0)
        self.resizeColumnToContents(1)
        self._filling = False
        if chosen is not None:
            self.setCurrentItem(chosen)
        else:
            self.clear_current()
        self.workflow_chosen.emit(self.current())

    def current(self) -> str:
        item = self.currentItem()
        return str(item.data(0, NAME_ROLE)) if item else ""

    def clear_current(self) -> None:
        """No workflow is current."""
        self.setCurrentIndex(QModelIndex())

    def select(self, name: str) -> bool:
        item = self._item(name)
        if item is not None:
            self.setCurrentItem(item)
        return item is not None

    def set_checked(self, name: str, enabled: bool) -> None:
        """Tick or untick `name` as the user would."""
        item = self._item(name)
        if item is not None:
            item.setCheckState(0, Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked)

    def _items(self) -> Iterator[QTreeWidgetItem]:
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            if item is not None:
                yield item

    def _item(self, name: str) -> QTreeWidgetItem | None:
        return next((item for item in self._items() if item.data(0, NAME_ROLE) == name), None)

    def _on_current_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        if not self._filling:
            self.workflow_chosen.emit(self.current())

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if not self._filling and column == 0:
            self.enabled_toggled.emit(str(item.data(0, NAME_ROLE)),
                                      item.checkState(0) == Qt.CheckState.Checked)
