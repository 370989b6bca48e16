"""The definition of one workflow, as a form: name, description, trigger, flags and steps.

Saving checks the workflow exactly as its TOML file would be checked (`core.workflows`), so a
workflow saved here always exports and imports again.
"""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPushButton, QVBoxLayout, QWidget)

from ifcscript_desktop.core import workflows
from ifcscript_desktop.core.store import Store, StoreError
from ifcscript_desktop.core.workflows.file import WorkflowFileError, WorkflowSpec
from ifcscript_desktop.ui.params import ParamsDialogs
from ifcscript_desktop.ui.workflows.dialogs import WorkflowDialogs
from ifcscript_desktop.ui.workflows.steps import StepsEditor

TRIGGERS = (("manual", "Manual: the Run buttons or the command line"),
            ("on_open", "When a model opens in the window"),
            ("watch", "When a model arrives in a watched folder"))
ERROR_STYLE = "color: #c0392b;"


class WorkflowEditor(QWidget):
    """Edits one workflow; ``save()`` stores it (renaming it if the name changed)."""

    #: The workflow was stored under this name.
    saved = Signal(str)
    #: Whether there are unsaved edits changed.
    modified_changed = Signal(bool)

    def __init__(self, store: Store, dialogs: WorkflowDialogs, parent: QWidget | None = None, *,
                 params_dialogs: ParamsDialogs | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._dialogs = dialogs
        self._original: str | None = None
        self._modified = False
        self._loading = False

        self.name_edit = QLineEdit()
        self.description_edit = QLineEdit()
        self.description_edit.setPlaceholderText("What the workflow checks, for colleagues")
        self.trigger_box = QComboBox()
        for kind, label in TRIGGERS:
            self.trigger_box.addItem(label, kind)
        self.trigger_box.setMinimumContentsLength(16)
        self.trigger_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("The folder to watch for .ifc/.ifczip files")
        self.folder_button = QPushButton("Browse…")
        self.folder_button.clicked.connect(self._on_browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.folder_button)
        self.stop_box = QCheckBox("Stop on error")
        self.stop_box.setToolTip("A failed step skips that model's later steps "
                                 "(the other models go on)")
        self.enabled_box = QCheckBox("Enabled")
        self.enabled_box.setToolTip("Its trigger runs it: when a model opens, or when one arrives "
                                    "in the watched folder. The Run buttons work either way.")
        self.steps = StepsEditor(store, dialogs=params_dialogs)
        self.save_button = QPushButton("Save workflow")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Revert")
        self.revert_button.setToolTip("Forget the unsaved edits")
        self.revert_button.clicked.connect(self.revert)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.hide()

        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Description", self.description_edit)
        form.addRow("Trigger", self.trigger_box)
        form.addRow("Folder", folder_row)
        flags = QHBoxLayout()
        flags.addWidget(self.enabled_box)
        flags.addWidget(self.stop_box)
        flags.addStretch(1)
        form.addRow("", flags)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.steps, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)

        for edit in (self.name_edit, self.description_edit, self.folder_edit):
            edit.textEdited.connect(self._on_changed)
        self.trigger_box.currentIndexChanged.connect(self._on_changed)
        self.stop_box.toggled.connect(self._on_changed)
        self.enabled_box.toggled.connect(self._on_changed)
        self.steps.changed.connect(self._on_changed)
        self.edit(None, None)

    # -- our API --------------------------------------------------------------------------
    @property
    def original(self) -> str | None:
        """The stored name of the workflow being edited (None for a new one)."""
        return self._original

    @property
    def modified(self) -> bool:
        return self._modified

    def edit(self, spec: WorkflowSpec | None, original: str | None) -> None:
        """Show `spec` (None: nothing to edit); `original` is its stored name, None if new."""
        self._loading = True
        self._original = original
        self.setEnabled(spec is not None)
        spec = spec or WorkflowSpec(name="", steps=())
        self.name_edit.setText(spec.name)
        self.description_edit.setText(spec.description)
        kind = spec.trigger.get("kind", "manual")
        self.trigger_box.setCurrentIndex(max(0, self.trigger_box.findData(kind)))
        self.folder_edit.setText(workflows.trigger_folder(spec.trigger) or "")
        self.stop_box.setChecked(spec.stop_on_error)
        self.enabled_box.setChecked(spec.enabled)
        self.steps.set_steps(spec.steps)
        self._loading = False
        self._show_problem("")
        self._set_modified(original is None and self.isEnabled())
        self._update_folder()

    def set_scripts(self, names: list[str]) -> None:
        self.steps.set_scripts(names)

    def spec(self) -> WorkflowSpec:
        """The workflow as the form shows it (not checked)."""
        trigger: dict[str, object] = {"kind": self.trigger_box.currentData()}
        if self.folder_edit.text().strip():
            trigger["folder"] = os.path.abspath(os.path.expanduser(self.folder_edit.text().strip()))
        return WorkflowSpec(name=self.name_edit.text().strip(),
                            description=self.description_edit.text().strip(),
                            steps=self.steps.steps(), enabled=self.enabled_box.isChecked(),
                            stop_on_error=self.stop_box.isChecked(), trigger=trigger)

    def save(self) -> bool:
        """Check and store the workflow; a problem is shown as a sentence under the form."""
        problem = self.steps.params.validate() if self.steps.params.meta else None
        if problem:
            self._show_problem(f"Step {self.steps.name_edit.text()!r}: {problem}")
            return False
        try:
            workflow, _ = workflows.save_edited_workflow(self._store, self.spec(), self._original)
        except (WorkflowFileError, StoreError) as exc:
            self._show_problem(_sentence(str(exc)))
            return False
        self._original = str(workflow.name)
        self._show_problem("")
        self._set_modified(False)
        self.saved.emit(self._original)
        return True

    def revert(self) -> None:
        """Show the stored workflow again (a new, never saved one is emptied)."""
        try:
            stored = (workflows.get_workflow(self._store, self._original)
                      if self._original else None)
        except StoreError as exc:
            self._show_problem(str(exc))
            return
        self.edit(workflows.spec_of(stored) if stored else None, self._original if stored else None)

    # -- slots ----------------------------------------------------------------------------
    def _on_changed(self) -> None:
        if not self._loading:
            self._set_modified(True)
        self._update_folder()

    def _on_browse(self) -> None:
        folder = self._dialogs.open_folder(self, "Folder to watch", self.folder_edit.text())
        if folder:
            self.folder_edit.setText(folder)
            self._on_changed()

    def _set_modified(self, modified: bool) -> None:
        self._modified = modified
        self.save_button.setEnabled(modified)
        self.revert_button.setEnabled(modified and self._original is not None)
        self.modified_changed.emit(modified)

    def _update_folder(self) -> None:
        watching = self.trigger_box.currentData() == "watch"
        self.folder_edit.setEnabled(watching)
        self.folder_button.setEnabled(watching)

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
