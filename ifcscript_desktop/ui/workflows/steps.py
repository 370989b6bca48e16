"""A workflow's steps: add, remove, reorder; each step's script and parameters.

A step's parameters are edited in the same generated form as a script's (`ui.params`); only
the values that differ from the script's defaults are kept, so the workflow file stays short
and follows the script's defaults when they change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QListWidget, QPushButton, QSplitter, QVBoxLayout, QWidget)

from ifcscript_desktop.core.execute import UsageError, resolve_script
from ifcscript_desktop.core.scriptfile import ScriptFileError, ScriptMeta
from ifcscript_desktop.core.store import Store
from ifcscript_desktop.core.workflows.file import StepSpec
from ifcscript_desktop.ui.params import ParamsDialogs, ParamsForm

NO_STEP = "Add a step: it runs a stored script with the parameters you set here."


class StepsEditor(QWidget):
    """The ordered steps of the workflow being edited; ``steps()`` gives them back."""

    #: Something about the steps changed (the workflow has unsaved edits).
    changed = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None, *,
                 dialogs: ParamsDialogs | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._steps: list[dict[str, Any]] = []
        self._current = -1
        self._loading = False

        self.list = QListWidget()
        self.list.setObjectName("workflow_steps")
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Add a step after the selected one")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.add_button.clicked.connect(lambda: self.add_step())
        self.remove_button.clicked.connect(lambda: self.remove_step())
        self.up_button.clicked.connect(lambda: self.move_step(-1))
        self.down_button.clicked.connect(lambda: self.move_step(1))
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>Steps</b> (run in this order)"))
        left_layout.addWidget(self.list, 1)
        left_layout.addLayout(buttons)

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Unique in the workflow; later steps read previous[name]")
        self.name_edit.textEdited.connect(self._on_name_edited)
        self.script_box = QComboBox()
        self.script_box.setMinimumContentsLength(12)
        self.script_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.script_box.activated.connect(self._on_script_chosen)
        self.params = ParamsForm(dialogs=dialogs)
        self.params.values_changed.connect(self._on_params_changed)
        self.notice = QLabel(NO_STEP)
        self.notice.setWordWrap(True)
        self.detail = QWidget()
        form = QFormLayout()
        form.addRow("Step name", self.name_edit)
        form.addRow("Script", self.script_box)
        detail_layout = QVBoxLayout(self.detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addLayout(form)
        detail_layout.addWidget(QLabel("Parameters of this step:"))
        detail_layout.addWidget(self.params, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.notice)
        right_layout.addWidget(self.detail, 1)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._update_buttons()

    # -- our API --------------------------------------------------------------------------
    def set_scripts(self, names: Iterable[str]) -> None:
        """The stored scripts a step may run."""
        self._loading = True
        self.script_box.clear()
        self.script_box.addItems(list(names))
        self._loading = False
        if 0 <= self._current < len(self._steps):
            self._show_step(self._current)
        self._update_buttons()

    def set_steps(self, steps: Iterable[StepSpec]) -> None:
        self._steps = [{"name": s.name, "script": s.script, "params": dict(s.params)}
                       for s in steps]
        self._current = -1
        self._loading = True
        self.list.clear()
        self.list.addItems([step["name"] for step in self._steps])
        self._loading = False
        self.select_step(0 if self._steps else -1)

    def steps(self) -> tuple[StepSpec, ...]:
        """The steps as edited, with their parameter values."""
        return tuple(StepSpec(name=s["name"].strip(), script=s["script"], params=dict(s["params"]))
                     for s in self._steps)

    def select_step(self, row: int) -> None:
        self._loading = True
        self.list.setCurrentRow(row)
        self._loading = False
        self._on_row_changed(row)

    def add_step(self, script: str | None = None) -> int:
        """A new step after the current one, running `script` (else the first script)."""
        script = script or self.script_box.currentText() or (
            self.script_box.itemText(0) if self.script_box.count() else "")
        row = self._current + 1 if self._current >= 0 else len(self._steps)
        step: dict[str, Any] = {"name": self._unique_name(script or "Step", None), "script": script,
                                "params": {}}
        self._steps.insert(row, step)
        self._loading = True
        self.list.insertItem(row, step["name"])
        self._loading = False
        self.select_step(row)
        self.changed.emit()
        return row

    def remove_step(self, row: int | None = None) -> None:
        row = self._current if row is None else row
        if not 0 <= row < len(self._steps):
            return
        del self._steps[row]
        self._current = -1  # nothing to keep from the step that is gone
        self._loading = True
        self.list.takeItem(row)
        self._loading = False
        self.select_step(min(row, len(self._steps) - 1))
        self.changed.emit()

    def move_step(self, delta: int) -> None:
        row, target = self._current, self._current + delta
        if not (0 <= row < len(self._steps) and 0 <= target < len(self._steps)):
            return
        self._steps[row], self._steps[target] = self._steps[target], self._steps[row]
        self._loading = True
        item = self.list.takeItem(row)
        if item is not None:
            self.list.insertItem(target, item)
        self._loading = False
        self.select_step(target)
        self.changed.emit()

    # -- slots ----------------------------------------------------------------------------
    def _on_row_changed(self, row: int) -> None:
        if self._loading:
            return
        self._current = row if 0 <= row < len(self._steps) else -1
        self._show_step(self._current)
        self._update_buttons()

    def _show_step(self, row: int) -> None:
        self.detail.setVisible(row >= 0)
        self.notice.setVisible(row < 0)
        if row < 0:
            return
        step = self._steps[row]
        self._loading = True
        self.name_edit.setText(step["name"])
        index = self.script_box.findText(step["script"])
        if index < 0 and step["script"]:
            self.script_box.addItem(step["script"])  # a script no longer stored: save says so
            index = self.script_box.count() - 1
        self.script_box.setCurrentIndex(index)
        meta, problem = self._meta(step["script"])
        if meta is None:
            self.params.clear()
            self.params.notice.setText(problem)
        else:
            self.params.set_parameters(meta, step["params"])
        self._loading = False

    def _on_name_edited(self, text: str) -> None:
        if self._current < 0:
            return
        self._steps[self._current]["name"] = text
        self.list.item(self._current).setText(text)
        self.changed.emit()

    def _on_script_chosen(self, index: int) -> None:
        if self._current < 0 or self._loading:
            return
        step = self._steps[self._current]
        script = self.script_box.itemText(index)
        if script == step["script"]:
            return
        if step["name"] == step["script"] or step["name"].startswith(f"{step['script']} "):
            step["name"] = self._unique_name(script, self._current)  # the name was the script's
            self.list.item(self._current).setText(step["name"])
        step["script"], step["params"] = script, {}
        self._show_step(self._current)
        self.changed.emit()

    def _on_params_changed(self) -> None:
        if self._loading or self._current < 0 or self.params.meta is None:
            return
        meta = self.params.meta
        kept = {}
        for name, value in self.params.values().items():
            spec = meta.param(name)
            # A file the script suggests is kept once confirmed: only stored values are granted.
            if value is not None and spec is not None and (
                    value != spec.default or (spec.type in ("file", "files") and value)):
                kept[name] = value
        self._steps[self._current]["params"] = kept
        self.changed.emit()

    # -- helpers --------------------------------------------------------------------------
    def _meta(self, script: str) -> tuple[ScriptMeta | None, str]:
        if not script:
            return None, "Choose the script this step runs."
        try:
            return resolve_script(self._store, script).meta, ""
        except (UsageError, ScriptFileError) as exc:
            return None, f"The script {script!r} cannot be used: {exc}"

    def _unique_name(self, base: str, skip: int | None) -> str:
        taken = {s["name"] for i, s in enumerate(self._steps) if i != skip}
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base} {number}"
        return name

    def _update_buttons(self) -> None:
        row, count = self._current, len(self._steps)
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < count - 1)
        self.add_button.setEnabled(self.script_box.count() > 0)
