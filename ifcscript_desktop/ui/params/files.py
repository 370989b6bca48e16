"""``file`` and ``files`` parameters: paths typed or picked with a file dialog.

A script's default for them is only a suggestion (shown, not filled in): the script may read
it once the user clicks "Use suggested", like a file they picked themselves.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ifcscript_desktop.core.params import ParamSpec, suggested_paths
from ifcscript_desktop.ui.params.dialogs import ParamsDialogs
from ifcscript_desktop.ui.params.fields import ParamField


def _start_folder(path: str | None) -> str:
    if path:
        folder = Path(path).expanduser().parent
        if folder.is_dir():
            return str(folder)
    return str(Path.home())


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike)) and bool(os.fspath(value).strip())


USE_SUGGESTED = "Use suggested"


def _suggest_button(paths: list[str]) -> QPushButton:
    button = QPushButton(USE_SUGGESTED)
    button.setObjectName("use_suggested")
    listing = "\n".join(paths)
    button.setToolTip(f"The script suggests:\n{listing}\nIt may read it only once you click here.")
    return button


def _suggestion_label(paths: list[str]) -> QLabel:
    """The suggested paths in full, on a line of their own: what the user is asked to allow."""
    label = QLabel(f"Suggested by the script: {', '.join(paths)}")
    label.setObjectName("suggestion")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class FileField(ParamField):
    """A path line and a Browse button (and "Use suggested" when the script suggests a file)."""

    def __init__(self, spec: ParamSpec, dialogs: ParamsDialogs,
                 parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._dialogs = dialogs
        self.suggested = suggested_paths(spec)
        self.editor = QLineEdit()
        self.editor.setPlaceholderText(f"Suggested: {', '.join(self.suggested)}"
                                       if self.suggested else "Path of a file")
        self.editor.textChanged.connect(self.changed)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._on_browse)
        self.use_suggested: QPushButton | None = None
        self.suggestion: QLabel | None = None
        if not self.suggested:
            self._add(self.editor)
            self._add(self.browse, 0)
            return
        # The path and its button get a line of their own: in a narrow pane the placeholder
        # would show "S…", and the user must see what they are asked to allow.
        row = QHBoxLayout()
        row.addWidget(self.editor, 1)
        row.addWidget(self.browse)
        self.suggestion = _suggestion_label(self.suggested)
        self.use_suggested = _suggest_button(self.suggested)
        self.use_suggested.clicked.connect(self.confirm_suggestion)
        column = QVBoxLayout()
        column.addLayout(row)
        column.addWidget(self.suggestion)
        column.addWidget(self.use_suggested, 0, Qt.AlignmentFlag.AlignLeft)
        self._layout.addLayout(column, 1)
        self.editor.textChanged.connect(self._update_suggestion)
        self._update_suggestion()

    def confirm_suggestion(self) -> None:
        """The user allows the suggested file: it becomes the value, as if picked."""
        if self.suggested:
            self.editor.setText(self.suggested[0])

    def value(self) -> str | None:
        return self.editor.text().strip() or None

    def set_value(self, value: Any) -> bool:
        if value is not None and not _is_path(value):
            return False
        self.editor.setText("" if value is None else os.fspath(value))
        return True

    def _on_browse(self) -> None:
        title = f"Choose {self.spec.label or self.spec.name}"
        path = self._dialogs.open_file(self, title, _start_folder(self.value()))
        if path:
            self.editor.setText(path)

    def _update_suggestion(self) -> None:
        pending = self.value() is None
        if self.use_suggested is not None and self.suggestion is not None:
            self.use_suggested.setEnabled(pending)
            self.suggestion.setVisible(pending)


class FilesField(ParamField):
    """A list of paths with Add and Remove buttons (and "Use suggested" when suggested)."""

    def __init__(self, spec: ParamSpec, dialogs: ParamsDialogs,
                 parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._dialogs = dialogs
        self.editor = QListWidget()
        self.editor.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.editor.setMaximumHeight(self.editor.fontMetrics().height() * 5 + 8)
        self.editor.model().rowsInserted.connect(self.changed)
        self.editor.model().rowsRemoved.connect(self.changed)
        self.editor.itemSelectionChanged.connect(self._on_selection_changed)
        self.add_button = QPushButton("Add…")
        self.add_button.clicked.connect(self._on_add)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self._on_remove)
        buttons = QVBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        self.suggested = suggested_paths(spec)
        self.use_suggested: QPushButton | None = None
        self.suggestion: QLabel | None = None
        column = QVBoxLayout()
        column.addWidget(self.editor)
        if self.suggested:
            self.use_suggested = _suggest_button(self.suggested)
            self.use_suggested.clicked.connect(self.confirm_suggestion)
            buttons.addWidget(self.use_suggested)
            self.suggestion = _suggestion_label(self.suggested)
            column.addWidget(self.suggestion)
            self.changed.connect(self._update_suggestion)
        column.addStretch(1)
        buttons.addStretch(1)
        self._layout.addLayout(column, 1)
        self._layout.addLayout(buttons)
        self._on_selection_changed()
        self._update_suggestion()

    def value(self) -> list[str]:
        return [self.editor.item(row).text() for row in range(self.editor.count())]

    def set_value(self, value: Any) -> bool:
        if value is None:
            value = []
        if isinstance(value, (str, os.PathLike)):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(_is_path(v) for v in value):
            return False
        self.editor.clear()
        self.add_paths([os.fspath(v) for v in value])
        return True

    def add_paths(self, paths: list[str]) -> None:
        """Append ``paths``, skipping those already listed."""
        present = set(self.value())
        self.editor.addItems([p for p in dict.fromkeys(paths) if p not in present])

    def _on_add(self) -> None:
        paths = self.value()
        title = f"Add to {self.spec.label or self.spec.name}"
        self.add_paths(self._dialogs.open_files(self, title,
                                                _start_folder(paths[-1] if paths else None)))

    def confirm_suggestion(self) -> None:
        """The user allows the suggested files: they are added, as if picked."""
        self.add_paths(self.suggested)

    def _on_remove(self) -> None:
        for row in sorted((i.row() for i in self.editor.selectedIndexes()), reverse=True):
            self.editor.takeItem(row)

    def _update_suggestion(self) -> None:
        pending = bool(self.suggested) and not set(self.suggested) <= set(self.value())
        if self.use_suggested is not None:
            self.use_suggested.setEnabled(pending)
        if self.suggestion is not None:
            self.suggestion.setVisible(pending)

    def _on_selection_changed(self) -> None:
        self.remove_button.setEnabled(bool(self.editor.selectedIndexes()))
