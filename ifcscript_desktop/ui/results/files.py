"""The Files tab: what the run wrote with `save_output`, to open or find in its folder."""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMimeDatabase, QProcess, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (QAbstractItemView, QFileIconProvider, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from ifcscript_desktop.core.outputfiles import OutputFile, describe_output
from ifcscript_desktop.ui.plaintext import tooltip
from ifcscript_desktop.ui.results.placeholder import placeholder

_PATH = Qt.ItemDataRole.UserRole
_CAN_OPEN = Qt.ItemDataRole.UserRole + 1
_HAS_FOLDER = Qt.ItemDataRole.UserRole + 2
NO_FILES = "The run saved no files. Scripts save them with save_output(\"name.csv\", data)."


class FilesPane(QWidget):
    """A list of output files; double-click or Open opens one with the system's program.

    The script chose these files' names, types and places, so what the pane offers is decided
    by `core.outputfiles.describe_output`: Open only for a document inside the run's folder,
    otherwise only Show in folder (the tooltip says why).
    """

    file_opened = Signal(str)
    #: How a file is handed to the system (tests give a stand-in for a desktop without handlers).
    open_url = staticmethod(QDesktopServices.openUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.output_dir: str | None = None
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.itemActivated.connect(lambda item: self.open_file(item.data(_PATH)))
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self.open_selected)
        self.reveal_button = QPushButton("Show in folder")
        self.reveal_button.clicked.connect(self.reveal_selected)
        self.placeholder = placeholder(NO_FILES)
        #: Says when the system had no program to open a file, with a way to find it instead.
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #D0312D;")
        self.problem.setTextFormat(Qt.TextFormat.RichText)
        self.problem.linkActivated.connect(self._on_problem_link)
        self.problem.hide()
        self._problem_path = ""
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.list)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self._mime = QMimeDatabase()
        self._file_icon = QFileIconProvider().icon(QFileIconProvider.IconType.File)
        self.set_files([])

    def set_files(self, paths: Sequence[str], output_dir: str | None = None,
                  empty: str | None = None) -> None:
        """Show these absolute paths of files the run in `output_dir` saved; files deleted since
        (old runs) are listed greyed out. Without `output_dir` nothing is offered Open. With no
        paths the pane says `empty` (by default: the run saved none, and how a script saves)."""
        self.output_dir = output_dir
        self.placeholder.setText(empty or NO_FILES)
        self.show_problem("")
        self.list.clear()
        for path in paths:
            shown = describe_output(str(path), output_dir)
            item = QListWidgetItem(self._icon(shown), f"{shown.name}    {shown.note}")
            item.setData(_PATH, shown.path)
            item.setData(_CAN_OPEN, shown.can_open)
            item.setData(_HAS_FOLDER, shown.folder is not None)
            item.setToolTip(tooltip(shown.path if shown.can_open else f"{shown.path}\n{shown.why_not}"))
            if not shown.exists:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(item)
        self.placeholder.setVisible(not paths)
        self.list.setVisible(bool(paths))
        if self.list.count():
            self.list.setCurrentRow(0)
        self._update_buttons()

    def paths(self) -> list[str]:
        return [self.list.item(i).data(_PATH) for i in range(self.list.count())]

    def describe(self, path: str) -> OutputFile:
        """What may be done with `path` now (the file is looked at again)."""
        return describe_output(path, self.output_dir)

    def open_file(self, path: str) -> bool:
        """Open a document of the run with the program the system associates with it; False
        (and nothing opened) for anything `describe_output` does not offer Open for."""
        if not self.describe(path).can_open:
            return False
        self.file_opened.emit(path)
        if self.open_url(QUrl.fromLocalFile(path)):
            self.show_problem("")
            return True
        name = html.escape(Path(path).name)
        self.show_problem(f"Nothing on this computer opens {name}: no program is set for "
                          f"this kind of file. <a href='reveal'>Show it in its folder</a> and "
                          "open it from there.", path)
        return False

    def show_problem(self, sentence: str, path: str = "") -> None:
        """A sentence (rich text) under the list; "" hides it."""
        self._problem_path = path
        self.problem.setText(sentence)
        self.problem.setVisible(bool(sentence))

    def _on_problem_link(self, _link: str) -> None:
        if self._problem_path:
            self.reveal(self._problem_path)

    def reveal(self, path: str) -> bool:
        """Show the file in the system's file manager (selected where the platform allows)."""
        folder = self.describe(path).folder
        if folder is None:
            return False
        if sys.platform == "win32":
            return QProcess.startDetached("explorer", ["/select,", str(Path(path))])[0]
        if sys.platform == "darwin":
            return QProcess.startDetached("open", ["-R", path])[0]
        return QDesktopServices.openUrl(QUrl.fromLocalFile(folder))

    def open_selected(self) -> None:
        for item in self.list.selectedItems():
            self.open_file(item.data(_PATH))

    def reveal_selected(self) -> None:
        paths = [item.data(_PATH) for item in self.list.selectedItems()]
        for path in {str(Path(p).parent): p for p in paths}.values():  # once per folder
            self.reveal(path)

    def _icon(self, shown: OutputFile) -> QIcon:
        """An icon from the file's name only: its content is the script's, never sniffed."""
        if not shown.can_open:
            return self._file_icon
        mime = self._mime.mimeTypeForFile(shown.name, QMimeDatabase.MatchMode.MatchExtension)
        return QIcon.fromTheme(mime.iconName(), QIcon.fromTheme(mime.genericIconName(), self._file_icon))

    def _update_buttons(self) -> None:
        selected = [i for i in self.list.selectedItems() if i.flags() & Qt.ItemFlag.ItemIsEnabled]
        self.open_button.setEnabled(any(i.data(_CAN_OPEN) for i in selected))
        self.reveal_button.setEnabled(any(i.data(_HAS_FOLDER) for i in self.list.selectedItems()))
        self.open_button.setVisible(self.list.count() > 0)
        self.reveal_button.setVisible(self.list.count() > 0)
