"""Settings the window and the command share: defaults, validation, persistence."""

from __future__ import annotations

import os
from dataclasses import fields
from collections.abc import Iterator
from pathlib import Path

import pytest

from ifcscript_desktop.core.settings import (
    Settings,
    load_settings,
    reset_setting,
    save_setting,
)
from ifcscript_desktop.core.store import Setting, Store, open_store


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = open_store(data_dir)
    yield opened
    opened.close()


def test_a_fresh_store_has_the_documented_defaults(store: Store) -> None:
    settings = load_settings(store)
    half_ram_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // (2 * 1024 * 1024)
    assert settings == Settings(
        timeout_s=300,
        memory_mb=min(4096, half_ram_mb),
        output_cap_bytes=10 * 1024 * 1024,
        retention_days=30,
    )


def test_a_saved_setting_is_what_the_next_program_reads(store: Store) -> None:
    save_setting(store, "timeout_s", 42)
    save_setting(store, "retention_days", 7)
    store.close()
    again = open_store(store.data_dir)
    try:
        settings = load_settings(again)
        assert (settings.timeout_s, settings.retention_days) == (42, 7)
        assert settings.output_cap_bytes == 10 * 1024 * 1024  # untouched ones keep defaults
    finally:
        again.close()


def test_saving_again_replaces_the_value(store: Store) -> None:
    save_setting(store, "memory_mb", 1000)
    save_setting(store, "memory_mb", 2000)
    assert load_settings(store).memory_mb == 2000


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("timeout", 10, "no setting named 'timeout'.*timeout_s"),
        ("timeout_s", "300", "must be a whole number of seconds"),
        ("timeout_s", 2.5, "must be a whole number of seconds"),
        ("memory_mb", True, "must be a whole number of MB"),
        ("timeout_s", 0, "at least 1 seconds"),
        ("retention_days", -1, r"at least 0 days \(0: keep forever\)"),
    ],
)
def test_a_bad_name_or_value_is_refused_and_nothing_is_stored(
    store: Store, key: str, value: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        save_setting(store, key, value)
    assert load_settings(store) == Settings()


def test_retention_of_0_days_is_allowed_and_means_keep_forever(store: Store) -> None:
    save_setting(store, "retention_days", 0)
    assert load_settings(store).retention_days == 0
    [spec] = [f for f in fields(Settings) if f.name == "retention_days"]
    assert (spec.metadata["min"], spec.metadata["zero"]) == (0, "keep forever")


def test_a_corrupted_stored_value_falls_back_to_the_default(store: Store) -> None:
    # e.g. written by hand or by a future version with another meaning
    Setting.replace(key="timeout_s", value="soon").execute()
    assert load_settings(store).timeout_s == 300


def test_reset_brings_back_the_default(store: Store) -> None:
    save_setting(store, "timeout_s", 5)
    reset_setting(store, "timeout_s")
    assert load_settings(store).timeout_s == 300
    with pytest.raises(ValueError, match="no setting named"):
        reset_setting(store, "colour")
