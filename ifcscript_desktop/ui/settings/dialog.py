"""The Settings dialog: the limits every run uses, shared with the command line.

The fields are made from the `Settings` dataclass (label, unit, smallest value in each field's
metadata), so a new setting appears here without touching this file. The core checks every
value; a value it refuses is shown as its sentence and the dialog stays open.
"""

from __future__ import annotations

from dataclasses import Field, fields
from typing import Any

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QVBoxLayout, QWidget)

from ifcscript_desktop.core.settings import (Settings, load_settings, reset_setting, save_setting,
                                             validate_setting)
from ifcscript_desktop.core.store import Store, StoreError

_ERROR_STYLE = "color: #D0312D;"


def parse_number(text: str) -> int | str:
    """The whole number typed (spaces and underscores between digits allowed), else the text."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    try:
        return int(cleaned)
    except ValueError:
        return text.strip()


def readable_size(count: int) -> str:
    """A byte count as KB/MB/GB for the hint next to a field measured in bytes."""
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


class SettingsDialog(QDialog):
    """Edit the stored settings; OK saves them, Cancel forgets the changes."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(460)
        self._store = store
        self._current = load_settings(store)
        self._defaults = Settings()
        self.fields: dict[str, QLineEdit] = {}
        self.unit_labels: dict[str, QLabel] = {}

        intro = QLabel("These limits apply to every run, from the window and from the "
                       "<code>ifcscript</code> command. Output files of older runs are deleted "
                       "once a day (0 days keeps them forever; a run kept in History is never "
                       "pruned); the runs themselves stay in the history.")
        intro.setWordWrap(True)
        form = QFormLayout()
        for spec in fields(Settings):
            form.addRow(f"{spec.metadata['label']}:", self._field(spec))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(_ERROR_STYLE)
        self.message.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel
                                        | QDialogButtonBox.StandardButton.RestoreDefaults)
        self.reset_button = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.reset_button.setText("Reset to defaults")
        self.reset_button.setToolTip("Put the default values in the fields (saved on OK)")
        self.reset_button.clicked.connect(self.reset_to_defaults)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    # -- our API --------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """What the fields hold: whole numbers, or the text when it is not one."""
        return {name: parse_number(edit.text()) for name, edit in self.fields.items()}

    def reset_to_defaults(self) -> None:
        """Fill every field with its default; OK then forgets the stored values."""
        for name, edit in self.fields.items():
            edit.setText(str(getattr(self._defaults, name)))
        self._show_message("")

    def accept(self) -> None:
        """Save every changed value, or say what is wrong and stay open."""
        values = self.values()
        for name, value in values.items():
            try:
                validate_setting(name, value)
            except ValueError as exc:
                self._refuse(name, str(exc))
                return
        try:
            for name, value in values.items():
                if value == getattr(self._defaults, name):
                    reset_setting(self._store, name)  # follow the default from now on
                elif value != getattr(self._current, name):
                    save_setting(self._store, name, value)
        except (ValueError, StoreError) as exc:
            self._show_message(str(exc))
            return
        self._current = load_settings(self._store)
        super().accept()

    # -- internals ------------------------------------------------------------------------
    def _field(self, spec: Field[Any]) -> QWidget:
        meta = spec.metadata
        default = getattr(self._defaults, spec.name)
        edit = QLineEdit(str(getattr(self._current, spec.name)))
        edit.setObjectName(spec.name)
        zero = f" (0: {meta['zero']})" if meta.get("zero") else ""
        edit.setToolTip(f"At least {meta['min']} {meta['unit']}{zero}; default {default} "
                        f"{meta['unit']}.")
        edit.textEdited.connect(lambda _text: self._show_message(""))
        hint = QLabel(meta["unit"])
        hint.setMinimumWidth(hint.fontMetrics().horizontalAdvance("bytes (1023.9 MB)"))
        if meta["unit"] == "bytes" or meta.get("zero"):
            edit.textChanged.connect(lambda text, name=spec.name: self._update_hint(name, text))
        self.fields[spec.name] = edit
        self.unit_labels[spec.name] = hint
        self._update_hint(spec.name, edit.text())
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit)
        layout.addWidget(hint)
        return row

    def _update_hint(self, name: str, text: str) -> None:
        meta = next(f.metadata for f in fields(Settings) if f.name == name)
        unit = meta["unit"]
        value = parse_number(text)
        if value == 0 and meta.get("zero"):
            self.unit_labels[name].setText(f"{unit}: {meta['zero']}")
        elif unit == "bytes" and isinstance(value, int) and value >= 1024:
            self.unit_labels[name].setText(f"bytes ({readable_size(value)})")
        else:
            self.unit_labels[name].setText(unit)

    def _refuse(self, name: str, message: str) -> None:
        self._show_message(message)
        edit = self.fields[name]
        edit.setStyleSheet("QLineEdit { border: 1px solid #D0312D; }")
        edit.setFocus()
        edit.selectAll()

    def _show_message(self, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(bool(message))
        if not message:
            for edit in self.fields.values():
                edit.setStyleSheet("")
