"""The find and replace bar under the editor (Ctrl+F, Ctrl+H), the same on both backends."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (QCheckBox, QGridLayout, QLabel, QLineEdit, QPushButton,
                               QToolButton, QWidget)


class FindTarget(Protocol):
    """What the bar searches: ScriptEditor."""

    def find_text(self, needle: str, *, forward: bool = True, case_sensitive: bool = False) -> bool: ...

    def replace(self, needle: str, replacement: str, *, case_sensitive: bool = False) -> bool: ...

    def replace_all(self, needle: str, replacement: str, *, case_sensitive: bool = False) -> int: ...

    def match_count(self, needle: str, *, case_sensitive: bool = False) -> int: ...

    def is_read_only(self) -> bool: ...

    def setFocus(self) -> None: ...


class FindBar(QWidget):
    """Find field with previous/next, and (in replace mode) a replace field with Replace and
    Replace all. Enter finds the next match, Shift+Enter the previous one, Escape closes the
    bar and gives the keyboard back to the editor."""

    def __init__(self, target: FindTarget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("find_bar")
        self._target = target
        self.find_edit = QLineEdit()
        self.find_edit.setPlaceholderText("Find")
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.textChanged.connect(self._on_needle_changed)
        self.find_edit.returnPressed.connect(lambda: self.find_next(forward=True))
        self.replace_edit = QLineEdit()
        self.replace_edit.setPlaceholderText("Replace with")
        self.replace_edit.returnPressed.connect(self.replace_one)
        self.case_box = QCheckBox("Match case")
        self.case_box.toggled.connect(lambda _on: self._on_needle_changed(self.needle()))
        self.previous_button = QPushButton("Previous")
        self.previous_button.clicked.connect(lambda: self.find_next(forward=False))
        self.next_button = QPushButton("Next")
        self.next_button.clicked.connect(lambda: self.find_next(forward=True))
        self.replace_button = QPushButton("Replace")
        self.replace_button.clicked.connect(self.replace_one)
        self.replace_all_button = QPushButton("Replace all")
        self.replace_all_button.clicked.connect(self.replace_every)
        self.status = QLabel()
        self.status.setObjectName("find_status")
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Close (Escape)")
        close.setAutoRaise(True)
        close.clicked.connect(self.close_bar)
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.setVerticalSpacing(2)
        layout.addWidget(self.find_edit, 0, 0)
        layout.addWidget(self.previous_button, 0, 1)
        layout.addWidget(self.next_button, 0, 2)
        layout.addWidget(self.case_box, 0, 3)
        layout.addWidget(self.status, 0, 4)
        layout.addWidget(close, 0, 5)
        layout.addWidget(self.replace_edit, 1, 0)
        layout.addWidget(self.replace_button, 1, 1)
        layout.addWidget(self.replace_all_button, 1, 2)
        layout.setColumnStretch(0, 1)
        self._replace_row = (self.replace_edit, self.replace_button, self.replace_all_button)
        for field in (self.find_edit, self.replace_edit):
            field.installEventFilter(self)
        self.hide()

    def needle(self) -> str:
        return self.find_edit.text()

    def open_bar(self, *, replace: bool, needle: str = "") -> None:
        """Show the bar (with the replace row when `replace`), `needle` in the find field."""
        for widget in self._replace_row:
            widget.setVisible(replace)
        if needle:
            self.find_edit.setText(needle)
        self.show()
        self.find_edit.setFocus()
        self.find_edit.selectAll()
        self._on_needle_changed(self.needle())

    def close_bar(self) -> None:
        self.hide()
        self._target.setFocus()

    def is_replacing(self) -> bool:
        return self.isVisible() and self.replace_edit.isVisible()

    def find_next(self, *, forward: bool = True) -> bool:
        found = self._target.find_text(self.needle(), forward=forward, case_sensitive=self._case())
        self._say_count(found)
        return found

    def replace_one(self) -> None:
        if self._refused():
            return
        found = self._target.replace(self.needle(), self.replace_edit.text(),
                                     case_sensitive=self._case())
        self._say_count(found)

    def replace_every(self) -> None:
        if self._refused():
            return
        replaced = self._target.replace_all(self.needle(), self.replace_edit.text(),
                                            case_sensitive=self._case())
        self.status.setText(f"Replaced {replaced}." if replaced else "Not found.")

    def _refused(self) -> bool:
        if self._target.is_read_only():
            self.status.setText("Read-only: nothing replaced.")
            return True
        return False

    def _case(self) -> bool:
        return self.case_box.isChecked()

    def _on_needle_changed(self, _needle: str) -> None:
        """How many matches the text holds, told as the user types."""
        self._say_count(None)

    def _say_count(self, found: bool | None) -> None:
        """The match count, or "Not found." when the text holds none (or a search missed)."""
        needle = self.needle()
        if not needle:
            self.status.setText("")
            return
        matches = self._target.match_count(needle, case_sensitive=self._case())
        self.status.setText("Not found." if not matches or found is False
                            else f"{matches} match" + ("" if matches == 1 else "es"))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
            if watched is self.find_edit and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                    and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.find_next(forward=False)
                return True
        return super().eventFilter(watched, event)
