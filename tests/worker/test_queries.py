"""Tree views, paths and filters the window asks the worker for, on the FZK house."""

from __future__ import annotations

from pathlib import Path

import ifcopenshell
import pytest

from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.worker import queries


@pytest.fixture(scope="module")
def model(house: Path) -> ifcopenshell.file:
    return ifcopenshell.open(str(house))


def names(nodes: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [n["name"] for n in nodes]


def test_spatial_nodes_count_their_children(model: ifcopenshell.file) -> None:
    project = queries.tree(model, None, "spatial")[0]
    assert project["count"] == 1 and project["has_children"]
    building = queries.tree(model, queries.tree(model, project["id"], "spatial")[0]["id"], "spatial")[0]
    storeys = queries.tree(model, building["id"], "spatial")
    assert {n["name"]: n["count"] for n in storeys} == {"Erdgeschoss": 44, "Dachgeschoss": 59}


def test_the_type_view_goes_from_type_class_to_type_to_occurrences(model: ifcopenshell.file) -> None:
    groups = queries.tree(model, None, "type")
    assert "IfcWallType (2)" in names(groups)
    wall_types = queries.tree(model, "IfcWallType", "type")
    assert {n["name"]: n["count"] for n in wall_types} == {"Leichtbeton 102890359 240": 5,
                                                            "Leichtbeton 102890359 300": 8}
    walls = queries.tree(model, wall_types[0]["id"], "type")
    assert len(walls) == 5 and {n["type"] for n in walls} == {"IfcWallStandardCase"}


def test_the_material_view_lists_the_elements_of_each_material(model: ifcopenshell.file) -> None:
    materials = {n["name"]: n for n in queries.tree(model, None, "material")}
    assert materials["Holz"]["count"] == 13
    users = queries.tree(model, materials["Holz"]["id"], "material")
    assert len(users) == 13 and all(not n["has_children"] for n in users)


def test_a_model_without_systems_has_an_empty_system_view(model: ifcopenshell.file) -> None:
    assert queries.tree(model, None, "system") == []


def test_the_filter_view_is_a_flat_list_of_matches(model: ifcopenshell.file) -> None:
    walls = queries.tree(model, "IfcWall", "filter")
    assert len(walls) == 13 and [n["id"] for n in walls] == queries.filter_ids(model, "IfcWall")
    with pytest.raises(queries.QueryError, match="not a valid"):
        queries.tree(model, "IfcWall, (((", "filter")


def test_paths_lead_from_the_top_level_to_an_element_in_every_view(model: ifcopenshell.file) -> None:
    wall = queries.filter_ids(model, 'IfcWall, location="Erdgeschoss"')[0]
    (found,) = queries.tree(model, [wall], "path:spatial")
    storey = model.by_id(found["path"][-1])
    assert storey.Name == "Erdgeschoss" and model.by_id(found["path"][0]).is_a("IfcProject")
    assert queries.tree(model, wall, "path:class")[0]["path"] == ["IfcWallStandardCase"]
    type_class, type_id = queries.tree(model, wall, "path:type")[0]["path"]
    assert type_class == "IfcWallType" and model.by_id(type_id).is_a("IfcWallType")
    assert queries.tree(model, [wall, 999_999], "path:system") == [
        {"id": wall, "path": None}, {"id": 999_999, "path": None}]


def test_an_unknown_view_is_refused(model: ifcopenshell.file) -> None:
    with pytest.raises(queries.QueryError, match="no view 'bogus'"):
        queries.tree(model, None, "bogus")


def test_the_worker_answers_every_view_through_the_tree_op(worker: WorkerClient) -> None:
    for view in ("spatial", "class", "type", "material"):
        assert worker.call("tree", parent=None, view=view)["nodes"], view
    ids = worker.call("filter", query="IfcDoor")["ids"]
    paths = worker.call("tree", parent=ids, view="path:spatial")["nodes"]
    assert [p["id"] for p in paths] == ids and all(len(p["path"]) == 4 for p in paths)


def test_classes_lists_the_models_schema(worker) -> None:  # type: ignore[no-untyped-def]
    classes = worker.call("classes")["classes"]
    assert "IfcWallStandardCase" in classes and "IfcAlignment" not in classes  # IFC4, not 4X3
