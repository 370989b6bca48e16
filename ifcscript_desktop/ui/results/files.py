"""The Files tab: what the run wrote with `save_output`, to open or find in its folder."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QFileInfo, QProcess, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QFileIconProvider, QHBoxLayout, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from ifcscript_desktop.ui.results.placeholder import placeholder

_PATH = Qt.ItemDataRole.UserRole


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return ""


class FilesPane(QWidget):
    """A list of output files; double-click or Open opens one with the system's program."""

    file_opened = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.itemActivated.connect(lambda item: self.open_file(item.data(_PATH)))
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self.open_selected)
        self.reveal_button = QPushButton("Show in folder")
        self.reveal_button.clicked.connect(self.reveal_selected)
        self.placeholder = placeholder("The run saved no files. Scripts save them with "
                                       "save_output(\"name.csv\", data).")
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self._icons = QFileIconProvider()
        self.set_files([])

    def set_files(self, paths: Sequence[str]) -> None:
        """Show these absolute paths; files deleted since (old runs) are listed greyed out."""
        self.list.clear()
        for path in paths:
            info = QFileInfo(path)
            exists = info.exists()
            label = f"{info.fileName()}    {_size(info.size())}" if exists \
                else f"{info.fileName()}    (deleted)"
            item = QListWidgetItem(self._icons.icon(info), label)
            item.setData(_PATH, path)
            item.setToolTip(path)
            if not exists:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(item)
        self.placeholder.setVisible(not paths)
        self.list.setVisible(bool(paths))
        if self.list.count():
            self.list.setCurrentRow(0)
        self._update_buttons()

    def paths(self) -> list[str]:
        return [self.list.item(i).data(_PATH) for i in range(self.list.count())]

    def open_file(self, path: str) -> bool:
        """Open a file with the program the system associates with it."""
        self.file_opened.emit(path)
        return QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def reveal(self, path: str) -> bool:
        """Show the file in the system's file manager (selected where the platform allows)."""
        if sys.platform == "win32":
            return QProcess.startDetached("explorer", ["/select,", str(Path(path))])[0]
        if sys.platform == "darwin":
            return QProcess.startDetached("open", ["-R", path])[0]
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent)))

    def open_selected(self) -> None:
        for item in self.list.selectedItems():
            self.open_file(item.data(_PATH))

    def reveal_selected(self) -> None:
        paths = [item.data(_PATH) for item in self.list.selectedItems()]
        for path in {str(Path(p).parent): p for p in paths}.values():  # once per folder
            self.reveal(path)

    def _update_buttons(self) -> None:
        selected = [i for i in self.list.selectedItems() if i.flags() & Qt.ItemFlag.ItemIsEnabled]
        self.open_button.setEnabled(bool(selected))
        self.reveal_button.setEnabled(bool(self.list.selectedItems()))
        self.open_button.setVisible(self.list.count() > 0)
        self.reveal_button.setVisible(self.list.count() > 0)
