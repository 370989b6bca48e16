"""The grey sentence an empty tab shows, saying how a script fills it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


def placeholder(text: str) -> QLabel:
    label = QLabel(text)
    label.setEnabled(False)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label
