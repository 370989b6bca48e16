"""``file`` and ``files`` parameters: paths typed or picked with a file dialog."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ifcscript_desktop.core.params import ParamSpec
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


class FileField(ParamField):
    """A path line and a Browse button."""

    def __init__(self, spec: ParamSpec, dialogs: ParamsDialogs,
                 parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._dialogs = dialogs
        self.editor = QLineEdit()
        self.editor.setPlaceholderText("Path of a file")
        self.editor.textChanged.connect(self.changed)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._on_browse)
        self._add(self.editor)
        self._add(self.browse, 0)
        self.set_value(spec.default)

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


class FilesField(ParamField):
    """A list of paths with Add and Remove buttons."""

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
        buttons.addStretch(1)
        self._add(self.editor)
        self._layout.addLayout(buttons)
        self._layout.setAlignment(self.editor, Qt.AlignmentFlag.AlignTop)
        self.set_value(spec.default)
        self._on_selection_changed()

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

    def _on_remove(self) -> None:
        for row in sorted((i.row() for i in self.editor.selectedIndexes()), reverse=True):
            self.editor.takeItem(row)

    def _on_selection_changed(self) -> None:
        self.remove_button.setEnabled(bool(self.editor.selectedIndexes()))
