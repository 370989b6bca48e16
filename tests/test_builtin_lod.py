"""LOD Analyzer on a model built by hand: one element made to be each level, each classified as
built (the analyzer has no outside reference, so the model is the reference); and every built-in
on each schema, on bare models and on an .ifczip."""

from __future__ import annotations

import zipfile
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.aggregate
import ifcopenshell.api.context
import ifcopenshell.api.geometry
import ifcopenshell.api.material
import ifcopenshell.api.project
import ifcopenshell.api.pset
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.api.type
import ifcopenshell.api.unit
import ifcopenshell.guid
import pytest
from ifctester import facet

from ifcscript_desktop.core.scriptfile import parse_script
from tests.conftest import FIXTURES
from tests.ifcmodels import storey_model
from tests.test_builtin_ids_check import _spec, _write
from tests.test_builtin_scripts import _run
from tests.test_builtin_summary_quantities import BUILTINS, _bare_model
from tests.test_cli import ifcscript, json_lines

#: Element name -> (the level it is built to be, what the analyzer must say it lacks).
EXPECTED = {
    "no geometry": (100, "no body geometry"),
    "box only": (200, "only a bounding box"),
    "proxy": (200, "proxy class IfcBuildingElementProxy"),
    "untyped": (200, "no type object"),
    "typed solid": (300, "no material, no filled Pset_WallCommon, no connections or ports"),
    "joined, dressed": (350, "no filled Pset_ManufacturerTypeInformation"),
    "manufactured": (400, ""),
    "stair of flights": (300, "no material, no filled Pset_StairCommon, no connections or ports"),
    "flight": (300, "no material, no filled Pset_StairFlightCommon, no connections or ports"),
}


def _lod_model(path: Path) -> None:
    api = ifcopenshell.api
    model, body, storey = storey_model("LOD levels")
    wall_type = api.root.create_entity(model, ifc_class="IfcWallType", name="Concrete 200")
    concrete = api.material.add_material(model, name="Concrete")

    def element(name: str, ifc_class: str = "IfcWall", solid: bool = True,
                typed: bool = True) -> ifcopenshell.entity_instance:
        product = api.root.create_entity(model, ifc_class=ifc_class, name=name)
        api.spatial.assign_container(model, relating_structure=storey, products=[product])
        if solid:
            shape = api.geometry.add_wall_representation(model, context=body, length=4,
                                                         height=3, thickness=0.2)
            api.geometry.assign_representation(model, product=product, representation=shape)
        if typed and ifc_class == "IfcWall":
            api.type.assign_type(model, related_objects=[product], relating_type=wall_type)
        return product

    def dress(product: ifcopenshell.entity_instance, common: str) -> None:
        api.material.assign_material(model, products=[product], material=concrete)
        pset = api.pset.add_pset(model, product=product, name=common)
        api.pset.edit_pset(model, pset=pset, properties={"IsExternal": True})

    element("no geometry", solid=False)
    boxed = element("box only", solid=False)
    box = model.createIfcBoundingBox(model.createIfcCartesianPoint((0.0, 0.0, 0.0)), 4.0, 0.2, 3.0)
    api.geometry.assign_representation(model, product=boxed, representation=model.createIfcShapeRepresentation(
        body, "Box", "BoundingBox", [box]))
    proxy = element("proxy", "IfcBuildingElementProxy")
    proxy_type = api.root.create_entity(model, ifc_class="IfcBuildingElementProxyType", name="Thing")
    api.type.assign_type(model, related_objects=[proxy], relating_type=proxy_type)
    element("untyped", typed=False)
    element("typed solid")
    dressed, manufactured = element("joined, dressed"), element("manufactured")
    for product in (dressed, manufactured):
        dress(product, "Pset_WallCommon")
    model.createIfcRelConnectsElements(ifcopenshell.guid.new(), None, None, None, None,
                                       dressed, manufactured)
    maker = api.pset.add_pset(model, product=manufactured, name="Pset_ManufacturerTypeInformation")
    api.pset.edit_pset(model, pset=maker, properties={"Manufacturer": "ACME"})
    # An aggregate without geometry of its own is judged by its parts'.
    stair = element("stair of flights", "IfcStair", solid=False)
    flight = element("flight", "IfcStairFlight")
    for product, ifc_class in ((stair, "IfcStairType"), (flight, "IfcStairFlightType")):
        made = api.root.create_entity(model, ifc_class=ifc_class, name=f"{ifc_class} 1")
        api.type.assign_type(model, related_objects=[product], relating_type=made)
    api.aggregate.assign_object(model, relating_object=stair, products=[flight])
    model.write(str(path))


def test_each_element_is_classified_at_the_level_it_was_built_to(data_dir: Path,
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "levels.ifc"
    _lod_model(path)
    line = _run("LOD Analyzer", path, "target_lod=350")
    element_table = line["tables"][1]
    got = {row["Name"]: (row["LOD"], row["Next level needs"]) for row in element_table["rows"]}
    assert got == EXPECTED
    by_class = line["result"]["by_class"]
    assert by_class["IfcWall"]["lod"] == {"100": 1, "200": 2, "300": 1, "350": 1, "400": 1}
    assert by_class["IfcWall"]["with_type"] == 5 and by_class["IfcWall"]["with_material"] == 2
    assert by_class["IfcWall"]["below_target"] == 4
    assert by_class["IfcBuildingElementProxy"]["lod"]["200"] == 1
    # Below the target: highlighted, and listed first in the element table.
    [highlighted] = line["highlights"]
    assert len(highlighted["ids"]) == 7
    assert [row["LOD"] for row in element_table["rows"]][:7] == [100, 200, 200, 200, 300, 300, 300]
    # An estimate below the target is a warning beside the run's success, with the count.
    assert (line["status"], line["verdict"], line["verdict_detail"]) == \
        ("success", "WARN", "7 below target")
    # The model coloured by level, one colour per level reached.
    [colored] = line["colors"]
    assert colored["title"] == "Estimated LOD" and colored["kind"] == "category"
    by_guid = {row["GlobalId"]: row["Name"] for row in element_table["rows"]}
    model = ifcopenshell.open(path)
    levels = {by_guid[model.by_id(int(i)).GlobalId]: v for i, v in colored["values"].items()}
    assert levels == {name: f"LOD {level}" for name, (level, _) in EXPECTED.items()}
    assert sorted((e["label"], e["count"]) for e in colored["legend"]) == [
        ("LOD 100", 1), ("LOD 200", 3), ("LOD 300", 3), ("LOD 350", 1), ("LOD 400", 1)]


def test_every_builtin_runs_on_each_schema_bare_models_and_an_ifczip(
        data_dir: Path, tmp_path: Path, house: Path) -> None:
    """IFC2X3 (LargeBuilding), IFC4X3, models with no storeys, materials or quantities, and the
    .ifczip form: every built-in ends `success` with its defaults on each."""
    models = [FIXTURES / "LargeBuilding.ifc"]
    for schema in ("IFC2X3", "IFC4X3"):
        with pytest.MonkeyPatch.context() as patch:  # IFC2X3's owner settings stay with it
            model, _ = _bare_model(schema, patch)
        path = tmp_path / f"bare {schema}.ifc"
        model.write(str(path))
        models.append(path)
    zipped = tmp_path / "house.ifczip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(house, "house.ifc")
    models.append(zipped)
    ids = _write(tmp_path / "walls.ids", _spec("Walls have a name", "IFCWALL",
                                               facet.Attribute(name="Name")))
    for script in sorted(p.stem for p in BUILTINS.glob("*.py") if not p.stem.startswith("_")):
        name = parse_script((BUILTINS / f"{script}.py").read_text(encoding="utf-8")).name
        args = ["run", name, *map(str, models), "--json"]
        if name == "IDS Check":
            args += ["-p", f"ids={ids}"]
        done = ifcscript(*args)
        lines = json_lines(done.stdout)
        assert [(line["status"], line["error"]) for line in lines] == [("success", None)] * 4, \
            f"{name}: {done.stderr}"
