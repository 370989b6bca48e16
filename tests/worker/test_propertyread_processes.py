"""How many processes read the property sets: a batch's workers are capped through the environment."""

from __future__ import annotations

import os

import pytest

from ifcscript_desktop.worker import propertyread
from tests.worker.test_property_build import generated_model

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="reading in parallel forks")


@needs_fork
def test_the_environment_caps_the_reading_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    model = generated_model(60, owner_history=False)
    monkeypatch.setattr(propertyread, "_cores", lambda: 3)
    monkeypatch.delenv(propertyread.PROCESSES_ENV, raising=False)
    parallel, used = propertyread.read_property_sets(model, min_relations=10)
    assert used == 3
    monkeypatch.setenv(propertyread.PROCESSES_ENV, "1")
    alone, used = propertyread.read_property_sets(model, min_relations=10)
    assert used == 1
    assert alone.definitions == parallel.definitions
    assert alone.defined_by == parallel.defined_by


@pytest.mark.parametrize("value, expected", [("2", 2), ("9", 3), ("0", 3), ("many", 3), ("", 3)])
def test_a_cap_that_is_not_a_positive_number_is_ignored(monkeypatch: pytest.MonkeyPatch,
                                                       value: str, expected: int) -> None:
    monkeypatch.setattr(propertyread, "_cores", lambda: 3)
    monkeypatch.setenv(propertyread.PROCESSES_ENV, value)
    assert propertyread.default_processes() == expected
