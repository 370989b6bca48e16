"""The questions the Workflows pane asks the user, as one object tests can replace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from ifcscript_desktop.ui.library.dialogs import confirm

TOML_FILTER = "Workflow files (*.toml);;All files (*)"
MODEL_FILTER = "IFC models (*.ifc *.ifczip *.IFC *.IFCZIP)"


def open_toml(parent: QWidget, title: str) -> str | None:
    """A workflow file to import, or None when cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, title, str(Path.home()), TOML_FILTER)
    return path or None


def save_toml(parent: QWidget, title: str, suggested: str) -> str | None:
    """Where to export a workflow, or None when cancelled."""
    path, _ = QFileDialog.getSaveFileName(parent, title, str(Path.home() / suggested), TOML_FILTER)
    if not path:
        return None
    return path if Path(path).suffix else path + ".toml"


def open_models(parent: QWidget, title: str) -> list[str]:
    """IFC models to run a workflow on; empty when cancelled."""
    paths, _ = QFileDialog.getOpenFileNames(parent, title, "", MODEL_FILTER)
    return list(paths)


def open_folder(parent: QWidget, title: str, start: str) -> str | None:
    """A folder to watch, or None when cancelled."""
    path = QFileDialog.getExistingDirectory(parent, title, start)
    return path or None


@dataclass
class WorkflowDialogs:
    """How the pane asks: each a plain callable taking the parent widget first."""

    confirm: Callable[[QWidget, str, str], bool] = confirm
    open_toml: Callable[[QWidget, str], str | None] = open_toml
    save_toml: Callable[[QWidget, str, str], str | None] = save_toml
    open_models: Callable[[QWidget, str], list[str]] = open_models
    open_folder: Callable[[QWidget, str, str], str | None] = open_folder
