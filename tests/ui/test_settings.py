"""The Settings dialog: fields from the Settings metadata, saving through the core."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox

from ifcscript_desktop.core.settings import Settings, load_settings, save_setting
from ifcscript_desktop.core.store import Setting, Store, open_store
from ifcscript_desktop.ui.settings import SettingsDialog


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    with open_store(data_dir) as opened:
        yield opened


def make_dialog(qtbot: Any, store: Store) -> SettingsDialog:
    dialog = SettingsDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def click_ok(qtbot: Any, dialog: SettingsDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)


def test_one_field_per_setting_with_its_label_and_unit(qtbot: Any, store: Store) -> None:
    save_setting(store, "retention_days", 7)
    dialog = make_dialog(qtbot, store)
    assert list(dialog.fields) == [f.name for f in fields(Settings)]
    assert dialog.fields["retention_days"].text() == "7"
    assert dialog.fields["timeout_s"].text() == "300"
    assert "at least 1 seconds" in dialog.fields["timeout_s"].toolTip().lower()
    assert dialog.unit_labels["memory_mb"].text() == "MB"
    assert dialog.unit_labels["output_cap_bytes"].text() == "bytes (10.0 MB)"


def test_ok_saves_a_new_timeout(qtbot: Any, store: Store) -> None:
    dialog = make_dialog(qtbot, store)
    dialog.fields["timeout_s"].clear()
    qtbot.keyClicks(dialog.fields["timeout_s"], "120")
    click_ok(qtbot, dialog)
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    assert load_settings(store).timeout_s == 120
    # Untouched fields were not written: they keep following their defaults.
    assert [row.key for row in Setting.select()] == ["timeout_s"]


@pytest.mark.parametrize("typed, expected", [("0", "at least 1"), ("ten", "whole number")])
def test_an_invalid_value_keeps_the_dialog_open_with_a_sentence(
        qtbot: Any, store: Store, typed: str, expected: str) -> None:
    dialog = make_dialog(qtbot, store)
    dialog.fields["timeout_s"].setText(typed)
    dialog.fields["retention_days"].setText("5")
    click_ok(qtbot, dialog)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.message.isVisible()
    assert expected in dialog.message.text() and "Time limit per run" in dialog.message.text()
    assert load_settings(store) == Settings()  # nothing half-saved
    dialog.fields["timeout_s"].setText("60")
    click_ok(qtbot, dialog)
    assert not dialog.isVisible()
    assert (load_settings(store).timeout_s, load_settings(store).retention_days) == (60, 5)


def test_reset_to_defaults(qtbot: Any, store: Store) -> None:
    save_setting(store, "timeout_s", 42)
    save_setting(store, "memory_mb", 512)
    dialog = make_dialog(qtbot, store)
    qtbot.mouseClick(dialog.reset_button, Qt.MouseButton.LeftButton)
    assert dialog.fields["timeout_s"].text() == "300"
    assert load_settings(store).timeout_s == 42  # only OK saves
    click_ok(qtbot, dialog)
    assert load_settings(store) == Settings()
    assert Setting.select().count() == 0


def test_cancel_saves_nothing(qtbot: Any, store: Store) -> None:
    dialog = make_dialog(qtbot, store)
    dialog.fields["timeout_s"].setText("99")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel),
                     Qt.MouseButton.LeftButton)
    assert load_settings(store).timeout_s == 300


def test_retention_of_0_days_says_keep_forever_and_is_saved(qtbot: Any, store: Store) -> None:
    dialog = make_dialog(qtbot, store)
    field = dialog.fields["retention_days"]
    assert "0: keep forever" in field.toolTip() and dialog.unit_labels["retention_days"].text() == "days"
    field.clear()
    qtbot.keyClicks(field, "0")
    assert dialog.unit_labels["retention_days"].text() == "days: keep forever"
    click_ok(qtbot, dialog)
    assert not dialog.isVisible() and load_settings(store).retention_days == 0
    again = make_dialog(qtbot, store)
    assert again.fields["retention_days"].text() == "0"
    assert again.unit_labels["retention_days"].text() == "days: keep forever"
