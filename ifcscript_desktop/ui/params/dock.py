"""The Parameters dock's size: a one-line note for a script without parameters, room for inputs.

The dock may sit beside its neighbour (the default layout: a column of its own) or above or
below it (a layout the user made): the note then takes one line of height instead of one line
of width, so the neighbour keeps its width.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow

from ifcscript_desktop.ui.params.form import ParamsForm

QWIDGETSIZE_MAX = 16777215


def stacked(window: QMainWindow, dock: QDockWidget, neighbours: list[QDockWidget]) -> bool:
    """Whether `dock` shares a column with a docked neighbour (one above the other)."""
    if dock.isFloating() or not window.isVisible():
        return False
    area = window.dockWidgetArea(dock)
    mine = dock.geometry()
    for other in neighbours:
        if other.isHidden() or other.isFloating() or window.dockWidgetArea(other) != area:
            continue
        theirs = other.geometry()
        if theirs.left() < mine.right() and mine.left() < theirs.right():
            return True
    return False


def fit_params_dock(window: QMainWindow, dock: QDockWidget, form: ParamsForm,
                    neighbours: list[QDockWidget]) -> None:
    """Size the dock for what the form shows now (see the module docstring)."""
    if not window.isVisible():  # no geometry yet: once the window is on screen
        QTimer.singleShot(0, window, lambda: fit_params_dock(window, dock, form, neighbours)
                          if window.isVisible() else None)
        return
    one_above_other = stacked(window, dock, neighbours)
    form.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)
    if form.has_inputs():
        if one_above_other:
            window.resizeDocks([dock], [min(form.sizeHint().height(), window.height() // 2)],
                               Qt.Orientation.Vertical)
        else:
            window.resizeDocks([dock], [form.preferred_width()], Qt.Orientation.Horizontal)
    elif one_above_other:
        form.setMaximumHeight(form.preferred_height())
    else:
        form.setMaximumWidth(form.preferred_width())
