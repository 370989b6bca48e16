"""The questions the library pane asks the user, as one object tests can replace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

SCRIPT_FILTER = "Python scripts (*.py);;All files (*)"


def confirm(parent: QWidget, title: str, question: str) -> bool:
    """Ask a yes/no question; No is the default answer."""
    answer = QMessageBox.question(parent, title, question,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def ask_name(parent: QWidget, title: str, label: str, suggested: str) -> str | None:
    """A script name typed by the user, or None when cancelled."""
    text, accepted = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal,
                                          suggested)
    return text if accepted else None


def open_script_file(parent: QWidget, title: str) -> str | None:
    """The path of a ``.py`` file to import, or None when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, str(Path.home()), SCRIPT_FILTER)
    return path or None


def save_script_file(parent: QWidget, title: str, suggested: str) -> str | None:
    """The path to export to, or None when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(Path.home() / suggested),
                                          SCRIPT_FILTER)
    if not path:
        return None
    return path if Path(path).suffix else path + ".py"


@dataclass
class LibraryDialogs:
    """How the pane asks: each a plain callable taking the parent widget first."""

    confirm: Callable[[QWidget, str, str], bool] = confirm
    ask_name: Callable[[QWidget, str, str, str], str | None] = ask_name
    open_file: Callable[[QWidget, str], str | None] = open_script_file
    save_file: Callable[[QWidget, str, str], str | None] = save_script_file
