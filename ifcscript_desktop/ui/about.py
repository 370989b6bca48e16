"""Help > About and Help > Keyboard shortcuts: what is running, and every key the menus bind."""

from __future__ import annotations

import html
import platform
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QMenu, QMenuBar,
                               QMessageBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ifcscript_desktop import __version__


def _version(distribution: str) -> str:
    """A package's installed version, read from its metadata: the window never imports
    ifcopenshell (it lives in the worker)."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def about_text(data_dir: Path) -> str:
    rows = [("IFC Script Desktop", __version__), ("IfcOpenShell", _version("ifcopenshell")),
            ("Qt", qVersion()), ("PySide6", PySide6.__version__),
            ("Python", platform.python_version()), ("Data folder", str(data_dir))]
    cells = "".join(f"<tr><td>{html.escape(name)}&nbsp;&nbsp;</td><td>{html.escape(value)}</td></tr>"
                    for name, value in rows)
    return ("<p>Python scripts on IFC models, with a history of every run.</p>"
            f"<table>{cells}</table>")


def show_about(parent: QWidget, data_dir: Path) -> QMessageBox:
    """The About box, opened without blocking (tests read and close it)."""
    box = QMessageBox(QMessageBox.Icon.Information, "About IFC Script Desktop",
                      about_text(data_dir), QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("about_box")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def menu_shortcuts(menu_bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu path, action, keys) for every menu action that has a shortcut, in menu order."""
    return [(path, _plain(action.text()), ", ".join(
                key.toString(QKeySequence.SequenceFormat.NativeText) for key in action.shortcuts()))
            for path, action in _walk(menu_bar.actions(), "") if action.shortcuts()]


def _walk(actions: list[QAction], path: str) -> Iterator[tuple[str, QAction]]:
    for action in actions:
        menu = action.menu()
        if isinstance(menu, QMenu):
            yield from _walk(menu.actions(), f"{path} > {_plain(action.text())}".lstrip(" >"))
        elif not action.isSeparator():
            yield path, action


def _plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").removesuffix("…")


def show_shortcuts(parent: QWidget, menu_bar: QMenuBar) -> QDialog:
    """A table of the menus' shortcuts, read from the actions themselves."""
    rows = menu_shortcuts(menu_bar)
    dialog = QDialog(parent)
    dialog.setObjectName("shortcuts_dialog")
    dialog.setWindowTitle("Keyboard shortcuts")
    table = QTableWidget(len(rows), 3, dialog)
    table.setObjectName("shortcuts_table")
    table.setHorizontalHeaderLabels(["Menu", "Command", "Keys"])
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            table.setItem(row, column, QTableWidgetItem(value))
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(520, 560)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
