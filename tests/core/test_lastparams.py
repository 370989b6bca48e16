"""The parameter values last used with each script."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ifcscript_desktop.core.lastparams import (
    forget_params,
    last_params,
    params_key,
    remember_params,
)
from ifcscript_desktop.core.store import Setting, Store, open_store


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    opened = open_store(data_dir)
    yield opened
    opened.close()


def test_nothing_remembered_reads_as_no_values(store: Store) -> None:
    assert last_params(store, "LOD Analyzer") == {}


def test_remembered_values_come_back_typed_in_the_next_program(
    store: Store, data_dir: Path
) -> None:
    values = {"target_lod": 350, "tolerance": 0.5, "strict": False, "query": "IfcWall",
              "file": None, "other_models": ["/a.ifc", "/b.ifc"],
              "checks": [{"pset": "Pset_WallCommon", "value": 60}]}
    remember_params(store, "LOD Analyzer", values)
    store.close()
    with open_store(data_dir) as again:
        assert last_params(again, "LOD Analyzer") == values


def test_each_script_has_its_own_values_and_the_last_save_wins(store: Store) -> None:
    remember_params(store, "A", {"n": 1})
    remember_params(store, "B", {"n": 2})
    remember_params(store, "A", {"n": 3})
    assert last_params(store, "A") == {"n": 3}
    assert last_params(store, "B") == {"n": 2}
    assert Setting.get(Setting.key == "params.last.A").value == {"n": 3}


def test_values_that_are_not_json_are_kept_as_text(store: Store) -> None:
    remember_params(store, "A", {"path": Path("/models/a.ifc")})
    assert last_params(store, "A") == {"path": "/models/a.ifc"}


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null", "42"])
def test_a_corrupt_stored_value_reads_as_no_values(store: Store, raw: str) -> None:
    store.db.execute_sql("INSERT INTO setting (key, value) VALUES (?, ?)",
                         (params_key("A"), raw))
    assert last_params(store, "A") == {}
    remember_params(store, "A", {"n": 1})  # and it can be overwritten
    assert last_params(store, "A") == {"n": 1}


def test_forgetting_brings_back_no_values(store: Store) -> None:
    remember_params(store, "A", {"n": 1})
    forget_params(store, "A")
    assert last_params(store, "A") == {}
