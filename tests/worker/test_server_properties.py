"""The worker makes the property rows once, for the first run that names `properties`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.core.scriptfile import names_properties
from tests.worker.conftest import run

HOUSE_ROWS = 7860  # property and quantity values of the FZK house's products


def reply(client: WorkerClient, code: str, tmp_path: Path) -> dict[str, Any]:
    found = run(client, code, tmp_path).reply
    assert found is not None
    return found


@pytest.fixture
def fresh(house: Path) -> Iterator[WorkerClient]:
    """A worker of its own: these tests watch what it has built."""
    client = WorkerClient()
    client.call("open", timeout=120, path=str(house))
    yield client
    client.close()


def test_opening_does_not_build_properties_nor_does_a_run_without_them(
        fresh: WorkerClient, tmp_path: Path) -> None:
    assert fresh.call("ping", timeout=30)["properties_built"] is False
    done = reply(fresh, "result = [len(entities), len(types)]", tmp_path)
    assert done["status"] == "success" and done["result"][0] == 127
    stats = fresh.call("ping", timeout=30)
    assert stats["properties_built"] is False and stats["property_builds"] == 0


def test_a_run_naming_properties_has_the_worker_build_them_once(
        fresh: WorkerClient, tmp_path: Path) -> None:
    code = "result = [properties.built, len(properties), len(properties.df)]"
    first = reply(fresh, code, tmp_path)
    # Built in the worker before the child was forked: the child found them made.
    assert first["status"] == "success", first
    assert first["result"] == [True, HOUSE_ROWS, HOUSE_ROWS]
    stats = fresh.call("ping", timeout=30)
    assert stats["properties_built"] is True and stats["property_builds"] == 1
    # Later runs (the spare child forked after the build) reuse them.
    for _ in range(2):
        later = reply(fresh, "def count():\n    return len(properties)\n"
                             "result = [properties.built, count()]", tmp_path)
        assert later["result"] == [True, HOUSE_ROWS]
    assert fresh.call("ping", timeout=30)["property_builds"] == 1


def test_a_script_reaching_properties_unnamed_builds_them_in_its_own_child(
        fresh: WorkerClient, tmp_path: Path) -> None:
    code = "rows = vars()['prop' + 'erties']\nresult = [rows.built, len(rows), rows[0].kind]"
    done = reply(fresh, code, tmp_path)
    assert done["status"] == "success", done
    assert done["result"][:2] == [False, HOUSE_ROWS] and not done["refusals"]
    # Only that run paid: the worker still has none, and the next run's child starts without.
    assert fresh.call("ping", timeout=30)["properties_built"] is False
    assert reply(fresh, code, tmp_path)["result"][:2] == [False, HOUSE_ROWS]


def test_an_open_told_a_properties_run_follows_reads_them_with_the_index(
        house: Path, tmp_path: Path) -> None:
    client = WorkerClient()
    try:
        client.call("open", timeout=120, path=str(house), properties=True)
        stats = client.call("ping", timeout=30)
        assert stats["properties_built"] is True and stats["property_builds"] == 1
        done = reply(client, "result = [properties.built, len(properties)]", tmp_path)
        assert done["result"] == [True, HOUSE_ROWS]
        assert client.call("ping", timeout=30)["property_builds"] == 1
    finally:
        client.close()


@pytest.mark.parametrize(("code", "expected"), [
    ("x = properties", True),
    ("for row in properties.df.itertuples():\n    pass", True),
    ("def f(properties):\n    return properties\n", True),  # shadowed, but named: built anyway
    ("result = get_properties(entities[0])", False),
    ("result = 'properties'", False),
    ("result = model.properties", False),  # an attribute
    ("result = properties(", False),  # a syntax error: the run reports it
    (None, False),
])
def test_names_properties(code: str | None, expected: bool) -> None:
    assert names_properties(code) is expected


def _template_private_mb(client: WorkerClient) -> float:
    pid = client.worker_pid
    [template] = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for line in Path(f"/proc/{template}/smaps_rollup").read_text().splitlines():
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no Private_Dirty line")


def test_asked_before_any_run_the_worker_makes_them_and_forks_its_template_again(
        fresh: WorkerClient, tmp_path: Path) -> None:
    """The window asks once the tree is shown: the rows are made in the worker and the run
    template forked after, so it shares them (and the pages reading them wrote) instead of
    copying the worker's pages; the first run naming `properties` makes nothing."""
    template_before = fresh.call("ping", timeout=30)
    assert fresh.call("properties", timeout=120)["properties"] == HOUSE_ROWS
    stats = fresh.call("ping", timeout=30)
    assert stats["properties_built"] is True and stats["property_builds"] == 1
    assert template_before["property_builds"] == 0
    assert _template_private_mb(fresh) < 5  # a fresh fork: nothing of its own yet
    done = reply(fresh, "result = len(properties)", tmp_path)
    assert done["status"] == "success" and done["result"] == HOUSE_ROWS
    assert fresh.call("ping", timeout=30)["property_builds"] == 1


def test_asked_after_runs_the_template_makes_them(fresh: WorkerClient, tmp_path: Path) -> None:
    """A worker that has run scripts never forks a template again (their data is in its
    memory): the template it has makes the rows."""
    assert reply(fresh, "result = 1", tmp_path)["status"] == "success"
    first_template = Path(f"/proc/{fresh.worker_pid}/task/{fresh.worker_pid}/children").read_text()
    assert fresh.call("properties", timeout=120)["properties"] == HOUSE_ROWS
    assert Path(f"/proc/{fresh.worker_pid}/task/{fresh.worker_pid}/children").read_text() \
        == first_template
    done = reply(fresh, "result = len(properties)", tmp_path)
    assert done["status"] == "success" and done["result"] == HOUSE_ROWS
