"""Units sent with an element's values: its own unit, else the project's unit for its measure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.api.project
import ifcopenshell.api.pset
import ifcopenshell.api.root
import ifcopenshell.api.unit
import ifcopenshell.util.unit
import pytest

from ifcscript_desktop.worker import queries, units


@pytest.fixture(scope="module")
def house_model(house: Path) -> ifcopenshell.file:
    return ifcopenshell.open(str(house))


@pytest.fixture(scope="module")
def revit_model(large_building: Path) -> ifcopenshell.file:
    """Revit's IFC2X3 export: lengths in millimetres, areas and volumes in metres."""
    return ifcopenshell.open(str(large_building))


def first_wall(model: ifcopenshell.file) -> dict[str, Any]:
    return queries.element(model, model.by_type("IfcWall")[0].id())


def test_the_fzk_house_quantities_are_in_metres(house_model: ifcopenshell.file) -> None:
    wall = first_wall(house_model)
    base = wall["units"]["quantities"]["BaseQuantities"]
    assert (base["Length"], base["NetSideArea"], base["NetVolume"]) == ("m", "m²", "m³")
    assert "NetSideArea" in wall["quantities"]["BaseQuantities"]  # values still as they were
    archicad = wall["units"]["psets"]["ArchiCADProperties"]
    assert archicad["Äußerer Neigungswinkel"] == "°"  # an IfcPlaneAngleMeasure in degrees
    assert "Typ" not in archicad  # a label has no unit


def test_the_revit_model_gives_millimetres_for_lengths_and_square_metres_for_areas(
        revit_model: ifcopenshell.file) -> None:
    wall = queries.element(revit_model, "1F6umJ5H50aeL3A1As_wTm")
    quantities, psets = wall["units"]["quantities"], wall["units"]["psets"]
    assert quantities["BaseQuantities"] == {"Height": "mm", "Length": "mm", "Width": "mm",
                                            "GrossFootprintArea": "m²", "NetVolume": "m³",
                                            "NetSideArea": "m²"}
    assert wall["quantities"]["BaseQuantities"]["Length"] == 8200.0
    assert psets["Custom_Pset"] == {"Height": "mm", "Width": "mm", "Length": "mm", "NetArea": "m²"}
    assert psets["Dimensions"]["Volume"] == "m³"


def test_the_revit_models_units_read_as_symbols(revit_model: ifcopenshell.file) -> None:
    assigned = ifcopenshell.util.unit.get_unit_assignment(revit_model).Units
    symbols = {u.UnitType: units.symbol(u) for u in assigned if u.UnitType != "USERDEFINED"}
    assert symbols["LENGTHUNIT"] == "mm" and symbols["FORCEUNIT"] == "kN"
    assert symbols["PLANEANGLEUNIT"] == "°" and symbols["THERMODYNAMICTEMPERATUREUNIT"] == "°C"
    assert symbols["MASSDENSITYUNIT"] == "kg/m³" and symbols["VOLUMETRICFLOWRATEUNIT"] == "m³/s"


def built_model() -> tuple[ifcopenshell.file, ifcopenshell.entity_instance]:
    """A project in millimetres with a U-value unit, and one wall with a quantity in centimetres."""
    api = ifcopenshell.api
    model = api.project.create_file(version="IFC4")
    api.root.create_entity(model, ifc_class="IfcProject", name="Units")
    millimetre = api.unit.add_si_unit(model, unit_type="LENGTHUNIT", prefix="MILLI")
    area = api.unit.add_si_unit(model, unit_type="AREAUNIT")
    watt = api.unit.add_si_unit(model, unit_type="POWERUNIT")
    metre = api.unit.add_si_unit(model, unit_type="LENGTHUNIT")
    kelvin = api.unit.add_si_unit(model, unit_type="THERMODYNAMICTEMPERATUREUNIT")
    u_value = api.unit.add_derived_unit(model, unit_type="THERMALTRANSMITTANCEUNIT",
                                        userdefinedtype=None, attributes={watt: 1, metre: -2, kelvin: -1})
    api.unit.assign_unit(model, units=[millimetre, area, u_value])
    wall = api.root.create_entity(model, ifc_class="IfcWall", name="Wall")
    qto = api.pset.add_qto(model, product=wall, name="Qto_WallBaseQuantities")
    api.pset.edit_qto(model, qto=qto, properties={"Length": 5000.0, "NetSideArea": 12.5})
    centimetre = model.createIfcSIUnit(None, "LENGTHUNIT", "CENTI", "METRE")
    own = model.createIfcQuantityLength("Thickness", None, centimetre, 24.0)
    qto.Quantities = (*qto.Quantities, own)
    pset = api.pset.add_pset(model, product=wall, name="Pset_WallCommon")
    api.pset.edit_pset(model, pset=pset, properties={
        "ThermalTransmittance": model.createIfcThermalTransmittanceMeasure(0.24),
        "Reference": "W-01"})
    return model, wall


def test_a_built_model_in_millimetres_with_a_quantity_in_its_own_unit() -> None:
    model, wall = built_model()
    found = queries.element(model, wall.id())["units"]
    assert found["quantities"]["Qto_WallBaseQuantities"] == {"Length": "mm", "NetSideArea": "m²",
                                                             "Thickness": "cm"}
    assert found["psets"] == {"Pset_WallCommon": {"ThermalTransmittance": "W/(m²·K)"}}


def test_the_project_units_are_looked_up_once_per_model(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    real = ifcopenshell.util.unit.get_project_unit
    monkeypatch.setattr(ifcopenshell.util.unit, "get_project_unit",
                        lambda model, unit_type, **kw: asked.append(unit_type) or real(model, unit_type))
    model, _ = built_model()  # a model of its own: no cache from the other tests
    walls = [model.by_type("IfcWall")[0].id()] * 3
    for wall in walls:
        queries.element(model, wall)
    assert sorted(asked) == ["AREAUNIT", "LENGTHUNIT", "THERMALTRANSMITTANCEUNIT"]


def test_a_model_without_a_project_has_values_without_units(duplicated_guids: Path) -> None:
    model = ifcopenshell.open(str(duplicated_guids))
    element = queries.element(model, model.by_type("IfcRoot")[0].id())
    assert element["units"] == {"psets": {}, "quantities": {}}
    assert units.model_units(model).project_symbol("LENGTHUNIT") is None
