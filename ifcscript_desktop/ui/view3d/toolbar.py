"""The 3D pane's toolbar pieces: an action whose shortcut works inside the pane, a menu button."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QToolButton, QWidget


def make_action(owner: QWidget, text: str, slot: Callable[[], Any], shortcut: str | None = None,
                checkable: bool = False, tip: str = "") -> QAction:
    """An action of `owner` (its shortcut works while the focus is inside it, so F in the
    editor still types an F)."""
    action = QAction(text, owner)
    action.setCheckable(checkable)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.setToolTip(f"{tip or text} ({shortcut})" if shortcut else tip or text)
    action.triggered.connect(lambda _checked=False: slot())
    owner.addAction(action)
    return action


def menu_button(text: str, menu: QMenu, bar: QToolBar) -> QToolButton:
    """A toolbar button that opens `menu` at once."""
    button = QToolButton()
    button.setText(text)
    button.setMenu(menu)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    bar.addWidget(button)
    return button
