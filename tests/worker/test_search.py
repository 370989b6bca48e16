"""The tree's search in the worker: names, GlobalIds, classes and selector queries, capped."""

from __future__ import annotations

from pathlib import Path

import ifcopenshell
import pytest

from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.worker import queries, search
from ifcscript_desktop.worker.modelindex import ModelIndex


@pytest.fixture(scope="module")
def index(house: Path) -> ModelIndex:
    return ModelIndex.build(ifcopenshell.open(str(house)), str(house))


def names(reply: dict) -> list[str]:  # type: ignore[type-arg]
    return [row["name"] for row in reply["rows"]]


def test_a_name_is_found_in_any_case_with_its_class_guid_and_storey(index: ModelIndex) -> None:
    reply = search.search(index, "wand-ext")
    assert reply["kind"] == "text" and reply["total"] == 8
    assert all(name.startswith("Wand-Ext-") for name in names(reply))
    row = next(r for r in reply["rows"] if r["name"] == "Wand-Ext-OG-1")
    assert row["type"] == "IfcWallStandardCase" and row["storey"] == "Dachgeschoss"
    assert len(row["guid"]) == 22 and row["match"] == "name"
    assert index.model.by_id(row["id"]).Name == "Wand-Ext-OG-1"


def test_a_class_word_finds_its_elements_and_subclasses(index: ModelIndex) -> None:
    doors = search.search(index, "Door")
    assert doors["total"] == 5 and {r["type"] for r in doors["rows"]} == {"IfcDoor"}
    assert "Haustuer" in names(doors)
    walls = search.search(index, "wall")  # IfcWall and IfcWallStandardCase
    assert walls["total"] == 13 and {r["match"] for r in walls["rows"]} == {"class"}
    assert search.search(index, "ifcwindow")["total"] == 11
    assert search.search(index, "rai")["total"] == 2  # IfcRailing: 3 letters start a class
    assert search.search(index, "be")["total"] == 0  # but 2 must be the whole class (IfcBeam)


def test_a_guid_is_found_whole_or_by_its_first_characters(index: ModelIndex) -> None:
    wall = next(r for r in index.entities if r.name == "Wand-Int-ERDG-4")
    exact = search.search(index, wall.ifc_guid)
    assert [r["id"] for r in exact["rows"]] == [wall.id] and exact["rows"][0]["match"] == "guid"
    prefix = search.search(index, wall.ifc_guid[:8])
    assert wall.id in [r["id"] for r in prefix["rows"]]
    project = index.model.by_type("IfcProject")[0]  # not a product, found by its GlobalId
    assert names(search.search(index, project.GlobalId)) == ["Projekt-FZK-Haus"]


def test_nothing_found_is_an_empty_list_and_blank_text_finds_nothing(index: ModelIndex) -> None:
    nothing = search.search(index, "xyz-no-such-thing")
    assert nothing["rows"] == [] and nothing["total"] == 0 and nothing["kind"] == "text"
    assert search.search(index, "   ")["total"] == 0


def test_a_selector_query_goes_through_util_selector(index: ModelIndex) -> None:
    reply = search.search(index, 'IfcWall, location="Dachgeschoss"')
    assert reply["kind"] == "selector" and reply["total"] == 4
    assert {r["storey"] for r in reply["rows"]} == {"Dachgeschoss"}
    assert search.is_selector_query("IfcDoor") and search.is_selector_query("Name=Haustuer")
    assert not search.is_selector_query("Wand 01") and not search.is_selector_query("door")


def test_a_bad_selector_says_everything_it_expected(index: ModelIndex) -> None:
    with pytest.raises(queries.QueryError) as raised:
        search.search(index, "IfcWall, Name=")
    sentence = str(raised.value)
    assert "Expected one of: " in sentence and 'a "quoted text"' in sentence
    assert "a number" in sentence and sentence.endswith("FireRating=EI60.")
    assert "\n" not in sentence and "__ANON" not in sentence


def test_the_rows_are_capped_and_the_total_kept(index: ModelIndex) -> None:
    reply = search.search(index, "member", limit=10)
    assert reply["total"] == 42 and len(reply["rows"]) == 10


def test_the_worker_answers_search_requests(worker: WorkerClient) -> None:
    reply = worker.call("search", text="Fenster")
    assert reply["ok"] and reply["total"] == 22
    failed = worker.send("search", {"text": "IfcWall, ((("})
    assert failed.wait(60) and failed.reply is not None
    assert not failed.reply["ok"] and "is not a valid" in failed.reply["error"]


@pytest.fixture(scope="module")
def renamed(house: Path) -> ModelIndex:
    """The house with names that use the selector's operators, as real models do."""
    model = ifcopenshell.open(str(house))
    windows = model.by_type("IfcWindow")
    for window, name in zip(windows, ["Fenster 80/120", "Tür T30-1 <EI30>", "T30!"]):
        window.Name = name
    return ModelIndex.build(model, str(house))


@pytest.mark.parametrize("text, name", [
    ("Fenster 80/120", "Fenster 80/120"), ("80/120", "Fenster 80/120"),
    ("Tür T30-1 <EI30>", "Tür T30-1 <EI30>"), ("T30!", "T30!"),
])
def test_a_name_with_selector_operators_is_found_by_its_name(renamed: ModelIndex, text: str,
                                                             name: str) -> None:
    reply = search.search(renamed, text)
    assert reply["kind"] == "text" and names(reply) == [name]
    assert reply["rows"][0]["type"] == "IfcWindow" and reply["rows"][0]["match"] == "name"


def test_a_valid_selector_still_goes_to_the_selector(renamed: ModelIndex) -> None:
    reply = search.search(renamed, 'Name="Fenster 80/120"')
    assert reply["kind"] == "selector" and names(reply) == ["Fenster 80/120"]


def test_text_neither_named_nor_a_selector_says_both(renamed: ModelIndex) -> None:
    with pytest.raises(queries.QueryError) as raised:
        search.search(renamed, "Tor 90/210")
    sentence = str(raised.value)
    assert sentence.startswith("Nothing is named 'Tor 90/210' and the filter 'Tor 90/210' is "
                               "not a valid class name or selector query: ")
    assert "Expected one of: " in sentence
