"""Model Summary and Quantity Takeoff through the real command, checked against figures this
test computes itself with ifcopenshell (by_type, util.element.get_container, get_psets)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.aggregate
import ifcopenshell.api.context
import ifcopenshell.api.georeference
import ifcopenshell.api.owner
import ifcopenshell.api.owner.settings
import ifcopenshell.api.project
import ifcopenshell.api.pset
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.api.type
import ifcopenshell.api.unit
import ifcopenshell.util.element
import ifcopenshell.util.selector
import pytest

from ifcscript_desktop.core.params import coerce_params
from ifcscript_desktop.core.scriptfile import parse_script
from tests.test_builtin_scripts import _run

BUILTINS = Path(__file__).resolve().parents[1] / "builtin_scripts"


# --- metadata ------------------------------------------------------------------------------


@pytest.mark.parametrize("filename, name, category, parameters", [
    ("model_summary.py", "Model Summary", "Overview", {}),
    ("quantity_takeoff.py", "Quantity Takeoff", "Quantities",
     {"query": "IfcElement", "group_by": "class"}),
])
def test_metadata(filename: str, name: str, category: str, parameters: dict) -> None:
    meta = parse_script((BUILTINS / filename).read_text(encoding="utf-8"))
    assert (meta.name, meta.category) == (name, category) and meta.description
    assert coerce_params(meta, {}) == parameters
    if parameters:
        assert meta.param("group_by").choices == ("class", "type", "storey")


# --- independent reference figures ---------------------------------------------------------


def expected_storeys(model: ifcopenshell.file) -> list[tuple]:
    """(name, elevation, products placed on it by get_container), lowest first."""
    per_storey: Counter[int] = Counter()
    for product in model.by_type("IfcProduct"):
        storey = ifcopenshell.util.element.get_container(product, ifc_class="IfcBuildingStorey")
        if storey is not None:
            per_storey[storey.id()] += 1
    storeys = sorted(model.by_type("IfcBuildingStorey"),
                     key=lambda s: (s.Elevation is None, s.Elevation or 0.0))
    return [(s.Name, s.Elevation, per_storey[s.id()]) for s in storeys]


def numeric_qtos(element: ifcopenshell.entity_instance) -> dict[str, float]:
    """"Set.Quantity" -> value of an element's quantities (own and from its type)."""
    found = {}
    for qto, values in ifcopenshell.util.element.get_psets(element, qtos_only=True).items():
        for name, value in values.items():
            if name != "id" and isinstance(value, (int, float)) and not isinstance(value, bool):
                found[f"{qto}.{name}"] = float(value)
    return found


def group_name(element: ifcopenshell.entity_instance, group_by: str) -> str:
    if group_by == "class":
        return element.is_a()
    if group_by == "type":
        element_type = ifcopenshell.util.element.get_type(element)
        return (element_type.Name if element_type else None) or "(no type)"
    storey = ifcopenshell.util.element.get_container(element, ifc_class="IfcBuildingStorey")
    return (storey.Name if storey else None) or "(no storey)"


def expected_takeoff(model: ifcopenshell.file, query: str, group_by: str) -> tuple[dict, int]:
    """{group: {"elements": n, "sums": {"Set.Quantity": sum}}} and the elements without any."""
    groups: dict = defaultdict(lambda: {"elements": 0, "sums": defaultdict(float)})
    without = 0
    for element in ifcopenshell.util.selector.filter_elements(model, query):
        group = groups[group_name(element, group_by)]
        group["elements"] += 1
        quantities = numeric_qtos(element)
        without += not quantities
        for key, value in quantities.items():
            group["sums"][key] += value
    return groups, without


def assert_takeoff(result: dict, model: ifcopenshell.file, query: str, group_by: str) -> None:
    groups, without = expected_takeoff(model, query, group_by)
    assert result["without_quantities"] == without
    assert result["elements"] == sum(g["elements"] for g in groups.values())
    assert set(result["groups"]) == set(groups)
    for name, group in groups.items():
        got = result["groups"][name]
        assert got["elements"] == group["elements"], name
        assert set(got["sums"]) == set(group["sums"]), name
        for key, value in group["sums"].items():
            assert got["sums"][key] == pytest.approx(value, rel=1e-9, abs=1e-9), (name, key)


# --- Model Summary on the samples ----------------------------------------------------------


@pytest.mark.parametrize("sample", ["house", "large_building", "geelen", "duplicated_guids"])
def test_summary_matches_ifcopenshell(data_dir: Path, sample: str,
                                      request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(sample)
    line = _run("Model Summary", path)
    result = line["result"]
    model = ifcopenshell.open(path)
    assert result["schema"] == model.schema_identifier
    applications = model.by_type("IfcApplication")
    if applications:
        assert result["application"].startswith(applications[0].ApplicationFullName)
    else:  # the header's originating system stands in
        assert result["application"] == model.header.file_name.originating_system
    assert result["counts"] == dict(Counter(p.is_a() for p in model.by_type("IfcProduct")))
    assert [(s["name"], s["elevation"], s["elements"]) for s in result["storeys"]] \
        == expected_storeys(model)
    assert all(set(s) == {"name", "elevation", "elements"} for s in result["storeys"])
    # Sets in use: the elements carrying each, own or through their type. (Not psets_only:
    # that leaves out IFC2X3's door and window lining and panel properties.)
    psets_in_use: Counter[str] = Counter()
    qtos_in_use: Counter[str] = Counter()
    for product in model.by_type("IfcProduct"):
        qtos = ifcopenshell.util.element.get_psets(product, qtos_only=True)
        for name, values in ifcopenshell.util.element.get_psets(product).items():
            if set(values) - {"id"}:
                (qtos_in_use if name in qtos else psets_in_use)[name] += 1
    assert result["property_sets"] == dict(psets_in_use)
    assert result["quantity_sets"] == dict(qtos_in_use)
    assert result["types"] == len(model.by_type("IfcTypeObject"))
    titles = [t["title"] for t in line["tables"]]
    assert any(t.startswith("Storeys") for t in titles) and any(t.startswith("Units") for t in titles)
    assert line["charts"], "a bar chart of counts by class"


def test_summary_facts_of_the_samples(data_dir: Path, house: Path, large_building: Path) -> None:
    house_result = _run("Model Summary", house)["result"]
    assert house_result["application"] == "ARCHICAD-64 20.0.0"
    assert house_result["units"]["LENGTHUNIT"] == "m"
    assert [(s["name"], s["elevation"]) for s in house_result["storeys"]] \
        == [("Erdgeschoss", 0.0), ("Dachgeschoss", 2.7)]
    assert house_result["georeferencing"]["site"]["latitude"] == pytest.approx(49.1004, abs=1e-3)
    large = _run("Model Summary", large_building)["result"]
    assert large["schema"] == "IFC2X3" and large["units"]["LENGTHUNIT"] == "mm"
    assert large["application"] == "Autodesk Revit 2021 (ENU)"
    assert "map_conversion" not in (large["georeferencing"] or {})


# --- Quantity Takeoff on the samples -------------------------------------------------------


@pytest.mark.parametrize("group_by", ["class", "type", "storey"])
def test_takeoff_of_the_house_matches_get_psets(data_dir: Path, house: Path, group_by: str) -> None:
    line = _run("Quantity Takeoff", house, f"group_by={group_by}")
    assert_takeoff(line["result"], ifcopenshell.open(house), "IfcElement", group_by)
    assert line["result"]["quantities"]["BaseQuantities.NetVolume"] == {"kind": "volume",
                                                                         "unit": "m3"}


def test_takeoff_of_an_ifc2x3_model_in_millimetres(data_dir: Path, large_building: Path) -> None:
    line = _run("Quantity Takeoff", large_building, "group_by=storey")
    result = line["result"]
    assert_takeoff(result, ifcopenshell.open(large_building), "IfcElement", "storey")
    assert result["quantities"]["BaseQuantities.Length"] == {"kind": "length", "unit": "mm"}
    assert result["units"]["length"] == "mm" and result["units"]["area"] == "m2"
    assert line["highlights"], "elements without quantities are highlighted"


def test_takeoff_of_a_query(data_dir: Path, large_building: Path) -> None:
    result = _run("Quantity Takeoff", large_building, "query=IfcWall, IfcSlab",
                  "group_by=type")["result"]
    assert_takeoff(result, ifcopenshell.open(large_building), "IfcWall, IfcSlab", "type")


def test_takeoff_of_a_model_without_quantities(data_dir: Path, geelen: Path) -> None:
    result = _run("Quantity Takeoff", geelen)["result"]
    elements = ifcopenshell.util.selector.filter_elements(ifcopenshell.open(geelen), "IfcElement")
    assert result["without_quantities"] == result["elements"] == len(elements) == 215
    assert result["with_quantities"] == 0 and result["quantities"] == {}


# --- models built here ---------------------------------------------------------------------


def _bare_model(schema: str, monkeypatch: pytest.MonkeyPatch
                ) -> tuple[ifcopenshell.file, ifcopenshell.entity_instance]:
    """A project with the api's default (millimetre) units and one wall in no storey."""
    model = ifcopenshell.api.project.create_file(version=schema)
    if schema == "IFC2X3":  # owner histories are required there: a user and an application
        person = model.createIfcPerson(FamilyName="Tester")
        organization = model.createIfcOrganization(Name="Tests")
        user = model.createIfcPersonAndOrganization(person, organization)
        application = model.createIfcApplication(organization, "1.0", "Test Builder", "tb")
        monkeypatch.setattr(ifcopenshell.api.owner.settings, "get_user", lambda f: user)
        monkeypatch.setattr(ifcopenshell.api.owner.settings, "get_application",
                            lambda f: application)
    project = ifcopenshell.api.root.create_entity(model, ifc_class="IfcProject", name="Bare")
    ifcopenshell.api.unit.assign_unit(model)
    ifcopenshell.api.root.create_entity(model, ifc_class="IfcWall", name="Lonely wall")
    return model, project


@pytest.mark.parametrize("schema", ["IFC2X3", "IFC4", "IFC4X3"])
def test_bare_models_of_every_schema(data_dir: Path, tmp_path: Path, schema: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    model, project = _bare_model(schema, monkeypatch)
    if schema == "IFC2X3":  # the IFC2X3 georeferencing convention: property sets on the project
        pset = ifcopenshell.api.pset.add_pset(model, product=project, name="ePSet_MapConversion")
        ifcopenshell.api.pset.edit_pset(model, pset=pset, properties={
            "Eastings": 333780.0, "Northings": 6246430.0, "OrthogonalHeight": 12.5})
    elif schema == "IFC4X3":
        ifcopenshell.api.context.add_context(model, context_type="Model")
        ifcopenshell.api.georeference.add_georeferencing(model, name="EPSG:7856")
        ifcopenshell.api.georeference.edit_georeferencing(
            model, coordinate_operation={"Eastings": 333780.0, "Northings": 6246430.0})
    path = tmp_path / f"bare {schema}.ifc"
    model.write(str(path))

    summary = _run("Model Summary", path)["result"]
    assert summary["storeys"] == [] and summary["counts"] == {"IfcWall": 1}
    assert summary["materials"] == [] and summary["elements_without_storey"] == 1
    assert summary["units"]["LENGTHUNIT"] == "mm"
    if schema == "IFC2X3":
        assert summary["application"] == "Test Builder 1.0"
    if schema == "IFC4":
        assert summary["georeferencing"] is None
    else:
        conversion = summary["georeferencing"]["map_conversion"]
        assert conversion["Eastings"] == 333780.0 and conversion["Northings"] == 6246430.0
    if schema == "IFC4X3":
        assert summary["georeferencing"]["projected_crs"]["Name"] == "EPSG:7856"

    for group_by in ("class", "type", "storey"):
        takeoff = _run("Quantity Takeoff", path, f"group_by={group_by}")["result"]
        assert takeoff["elements"] == takeoff["without_quantities"] == 1
        assert takeoff["groups"] == {
            {"class": "IfcWall", "type": "(no type)", "storey": "(no storey)"}[group_by]:
            {"elements": 1, "with_quantities": 0, "sums": {}}}


def _quantity(model: ifcopenshell.file, ifc_class: str, name: str, value: float,
              unit: ifcopenshell.entity_instance | None = None) -> ifcopenshell.entity_instance:
    attribute = {"IfcQuantityLength": "LengthValue", "IfcQuantityVolume": "VolumeValue",
                 "IfcQuantityCount": "CountValue", "IfcQuantityWeight": "WeightValue"}[ifc_class]
    return model.create_entity(ifc_class, Name=name, Unit=unit, **{attribute: value})


def _add_qto(model: ifcopenshell.file, product: ifcopenshell.entity_instance, name: str,
             *quantities: ifcopenshell.entity_instance) -> None:
    qto = ifcopenshell.api.pset.add_qto(model, product=product, name=name)
    qto.Quantities = quantities


def _built_model() -> ifcopenshell.file:
    """An IFC4 model in millimetres whose every sum is known: two storeys, a wall type with a
    quantity its occurrences inherit (one overrides it), a weight and a count, a quantity in
    its own unit (metres), a slab without quantities and a column in no storey."""
    model = ifcopenshell.api.project.create_file(version="IFC4")
    api = ifcopenshell.api
    api.root.create_entity(model, ifc_class="IfcProject", name="Built")
    units = [model.createIfcSIUnit(None, "LENGTHUNIT", "MILLI", "METRE"),
             model.createIfcSIUnit(None, "AREAUNIT", None, "SQUARE_METRE"),
             model.createIfcSIUnit(None, "VOLUMEUNIT", None, "CUBIC_METRE"),
             model.createIfcSIUnit(None, "MASSUNIT", "KILO", "GRAM")]
    api.unit.assign_unit(model, units=units)
    site = api.root.create_entity(model, ifc_class="IfcSite", name="Site")
    building = api.root.create_entity(model, ifc_class="IfcBuilding", name="Building")
    api.aggregate.assign_object(model, relating_object=model.by_type("IfcProject")[0],
                                products=[site])
    api.aggregate.assign_object(model, relating_object=site, products=[building])
    storeys = {}
    for name, elevation in (("EG", 0.0), ("OG", 3000.0)):
        storeys[name] = api.root.create_entity(model, ifc_class="IfcBuildingStorey", name=name)
        storeys[name].Elevation = elevation
        api.aggregate.assign_object(model, relating_object=building, products=[storeys[name]])

    def element(ifc_class: str, name: str, storey: str | None):
        product = api.root.create_entity(model, ifc_class=ifc_class, name=name)
        if storey:
            api.spatial.assign_container(model, relating_structure=storeys[storey],
                                         products=[product])
        return product

    wall_type = api.root.create_entity(model, ifc_class="IfcWallType", name="WT")
    _add_qto(model, wall_type, "Qto_WallBaseQuantities",
             _quantity(model, "IfcQuantityLength", "Length", 1000.0))
    w1, w2 = element("IfcWall", "W1", "EG"), element("IfcWall", "W2", "EG")
    api.type.assign_type(model, related_objects=[w1, w2], relating_type=wall_type)
    _add_qto(model, w1, "Qto_WallBaseQuantities",
             _quantity(model, "IfcQuantityLength", "Length", 4000.0),
             _quantity(model, "IfcQuantityVolume", "NetVolume", 1.5))
    _add_qto(model, w2, "Qto_WallBaseQuantities",
             _quantity(model, "IfcQuantityVolume", "NetVolume", 2.0))
    w3 = element("IfcWall", "W3", "OG")
    _add_qto(model, w3, "Qto_WallBaseQuantities",
             _quantity(model, "IfcQuantityVolume", "NetVolume", 0.5))
    _add_qto(model, w3, "Custom", _quantity(model, "IfcQuantityWeight", "Mass", 120.0),
             _quantity(model, "IfcQuantityCount", "Anchors", 3))
    element("IfcSlab", "S1", "OG")
    column = element("IfcColumn", "C1", None)
    metre = model.createIfcSIUnit(None, "LENGTHUNIT", None, "METRE")
    _add_qto(model, column, "Qto_ColumnBaseQuantities",
             _quantity(model, "IfcQuantityLength", "Length", 2.5, unit=metre))
    return model


def test_a_built_model_as_ifczip(data_dir: Path, tmp_path: Path) -> None:
    model = _built_model()
    path = tmp_path / "built.ifczip"
    model.write(str(path))
    assert path.read_bytes()[:2] == b"PK"

    by_class = _run("Quantity Takeoff", path)["result"]
    assert by_class["groups"] == {
        "IfcWall": {"elements": 3, "with_quantities": 3, "sums": {
            "Qto_WallBaseQuantities.Length": 5000.0,  # W1's own 4000 + W2's inherited 1000
            "Qto_WallBaseQuantities.NetVolume": 4.0,
            "Custom.Mass": 120.0, "Custom.Anchors": 3.0}},
        "IfcSlab": {"elements": 1, "with_quantities": 0, "sums": {}},
        "IfcColumn": {"elements": 1, "with_quantities": 1, "sums": {
            "Qto_ColumnBaseQuantities.Length": 2.5}},
    }
    assert by_class["without_quantities"] == 1
    assert by_class["quantities"] == {
        "Custom.Anchors": {"kind": "count", "unit": None},
        "Custom.Mass": {"kind": "weight", "unit": "kg"},
        "Qto_ColumnBaseQuantities.Length": {"kind": "length", "unit": "m"},
        "Qto_WallBaseQuantities.Length": {"kind": "length", "unit": "mm"},
        "Qto_WallBaseQuantities.NetVolume": {"kind": "volume", "unit": "m3"},
    }
    by_type = _run("Quantity Takeoff", path, "group_by=type")["result"]["groups"]
    assert by_type["WT"]["sums"] == {"Qto_WallBaseQuantities.Length": 5000.0,
                                     "Qto_WallBaseQuantities.NetVolume": 3.5}
    by_storey = _run("Quantity Takeoff", path, "group_by=storey")["result"]["groups"]
    assert {name: group["elements"] for name, group in by_storey.items()} \
        == {"EG": 2, "OG": 2, "(no storey)": 1}
    assert by_storey["OG"]["sums"]["Qto_WallBaseQuantities.NetVolume"] == 0.5

    summary = _run("Model Summary", path)["result"]
    assert summary["storeys"] == [{"name": "EG", "elevation": 0.0, "elements": 2},
                                  {"name": "OG", "elevation": 3000.0, "elements": 2}]
    assert summary["units"]["LENGTHUNIT"] == "mm" and summary["elements_without_storey"] == 5
    assert summary["quantity_sets"] == {"Qto_WallBaseQuantities": 3, "Custom": 1,
                                        "Qto_ColumnBaseQuantities": 1}
    assert math.isclose(sum(summary["counts"].values()), len(model.by_type("IfcProduct")))


def test_storeys_sharing_a_name_are_told_apart(data_dir: Path, tmp_path: Path) -> None:
    model = _built_model()
    for storey in model.by_type("IfcBuildingStorey"):
        storey.Name = "Level"
    path = tmp_path / "same names.ifc"
    model.write(str(path))
    summary = _run("Model Summary", path)["result"]
    assert [s["elements"] for s in summary["storeys"]] == [2, 2]
    assert [(s["name"], s["elevation"], s["elements"]) for s in summary["storeys"]] \
        == expected_storeys(ifcopenshell.open(str(path)))
