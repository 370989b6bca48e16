"""The questions a parameters form asks (file pickers, a column name), as one replaceable object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QWidget

FILE_FILTER = "All files (*);;IFC models (*.ifc *.ifczip *.ifcxml);;CSV (*.csv);;IDS (*.ids)"


def open_file(parent: QWidget, title: str, start: str) -> str | None:
    """One existing file picked by the user, or None when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, start, FILE_FILTER)
    return path or None


def open_files(parent: QWidget, title: str, start: str) -> list[str]:
    """Existing files picked by the user; empty when cancelled."""
    paths, _ = QFileDialog.getOpenFileNames(parent, title, start, FILE_FILTER)
    return list(paths)


def ask_text(parent: QWidget, title: str, label: str, suggested: str) -> str | None:
    """A line of text typed by the user, or None when cancelled."""
    text, accepted = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal,
                                          suggested)
    return text if accepted else None


@dataclass
class ParamsDialogs:
    """How the form asks: each a plain callable taking the parent widget first."""

    open_file: Callable[[QWidget, str, str], str | None] = open_file
    open_files: Callable[[QWidget, str, str], list[str]] = open_files
    ask_text: Callable[[QWidget, str, str, str], str | None] = ask_text
