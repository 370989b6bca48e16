"""ModelIndex against ifcopenshell.util.element, computed independently on the same models."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.api
import ifcopenshell.guid
import ifcopenshell.util.element as ue
import pandas as pd
import pytest

from ifcscript_desktop.worker.modelindex import (
    COLUMNS, EntityRecord, ModelIndex, PropertyRecord)

FIXTURES = Path(__file__).parents[1] / "fixtures"
REAL_MODELS = ["AC20-FZK-Haus.ifc", "LargeBuilding.ifc"]


@pytest.fixture(scope="module", params=REAL_MODELS)
def real(request: pytest.FixtureRequest) -> tuple[ifcopenshell.file, ModelIndex]:
    path = FIXTURES / request.param
    model = ifcopenshell.open(str(path))
    return model, ModelIndex.build(model, str(path))


def expected_psets(element: ifcopenshell.entity_instance) -> dict[str, dict[str, Any]]:
    """get_psets without its "id" keys and without sets left empty by that."""
    found = {pset: {k: v for k, v in props.items() if k != "id"}
             for pset, props in ue.get_psets(element).items()}
    return {pset: props for pset, props in found.items() if props}


def indexed_psets(index: ModelIndex, entity_id: int) -> dict[Any, dict[str, Any]]:
    found: dict[Any, dict[str, Any]] = {}
    for row in index.properties.for_entity(entity_id):
        assert row.name not in found.get(row.pset, {}), f"{row} is repeated"
        found.setdefault(row.pset, {})[row.name] = row.value
    return found


def test_every_product_has_the_values_get_psets_gives(real: tuple[ifcopenshell.file, ModelIndex]) -> None:
    model, index = real
    products = model.by_type("IfcProduct")
    assert len(index.entities) == len(products)
    with_values = 0
    for element in products:
        expected = expected_psets(element)
        assert indexed_psets(index, element.id()) == expected, element
        with_values += bool(expected)
    assert with_values > 50  # the comparison is not vacuous


def test_rows_carry_the_kind_and_the_source_util_element_would_give(
        real: tuple[ifcopenshell.file, ModelIndex]) -> None:
    model, index = real
    for element in model.by_type("IfcProduct"):
        rows = index.properties.for_entity(element.id())
        qtos: dict[Any, Any] = ue.get_psets(element, qtos_only=True)
        own: dict[Any, Any] = ue.get_psets(element, should_inherit=False)
        for row in rows:
            assert row.ifc_guid == element.GlobalId
            assert row.kind == ("qto" if row.name in qtos.get(row.pset, {}) else "pset")
            assert row.source == ("occurrence" if row.name in own.get(row.pset, {}) else "type")
            if row.source == "type":
                assert ue.get_type(element) is not None


def test_storey_and_type_name_match_util_element(real: tuple[ifcopenshell.file, ModelIndex]) -> None:
    model, index = real
    storeys = 0
    for record in index.entities:
        element = model.by_id(record.id)
        storey = ue.get_container(element, ifc_class="IfcBuildingStorey")
        assert record.storey == (storey.Name if storey else None), element
        element_type = ue.get_type(element)
        assert record.type_name == (element_type.Name if element_type else None)
        storeys += record.storey is not None
    assert storeys > len(index.entities) / 2


def test_entity_records_mirror_their_instance(real: tuple[ifcopenshell.file, ModelIndex]) -> None:
    model, index = real
    for record in index.entities:
        element = record.ifc
        assert element.id() == record.id
        assert (record.ifc_guid, record.ifc_type, record.name, record.description,
                record.object_type) == (element.GlobalId, element.is_a(), element.Name,
                                        element.Description, element.ObjectType)


def test_materials_match_util_element(real: tuple[ifcopenshell.file, ModelIndex]) -> None:
    model, index = real
    users: dict[int, set[int]] = {}
    for material in index.materials:
        for element_id in material.element_ids:
            users.setdefault(element_id, set()).add(material.id)
    for element in model.by_type("IfcProduct"):
        expected = {m.id() for m in ue.get_materials(element) if m is not None}
        assert users.get(element.id(), set()) == expected, element


def test_types_list_their_occurrences(real: tuple[ifcopenshell.file, ModelIndex]) -> None:
    model, index = real
    assert {t.id for t in index.types} == {t.id() for t in model.by_type("IfcTypeObject")}
    for record in index.types:
        assert set(record.occurrence_ids) == {o.id() for o in ue.get_types(model.by_id(record.id))}


def test_dataframe_has_the_same_rows_in_record_order(real: tuple[ifcopenshell.file, ModelIndex]) -> None:
    _, index = real
    df = index.properties.df
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == len(index.properties) > 0
    assert index.properties.df is df  # cached
    first = index.properties[0]
    assert tuple(df.iloc[0]) == tuple(first)
    assert df["entity_id"].dtype == "int64"
    assert set(df["kind"]) <= {"pset", "qto"} and set(df["source"]) <= {"occurrence", "type"}


# -- a small model made with ifcopenshell.api ---------------------------------------------------

def new_guid() -> str:
    return str(ifcopenshell.guid.new())


@pytest.fixture(scope="module")
def small() -> tuple[ifcopenshell.file, ModelIndex, dict[str, Any]]:
    f = ifcopenshell.file(schema="IFC4")
    run = ifcopenshell.api.run
    project = run("root.create_entity", f, ifc_class="IfcProject", name="P")
    run("unit.assign_unit", f)
    site = run("root.create_entity", f, ifc_class="IfcSite", name="Site")
    building = run("root.create_entity", f, ifc_class="IfcBuilding", name="B")
    ground = run("root.create_entity", f, ifc_class="IfcBuildingStorey", name="Ground")
    first = run("root.create_entity", f, ifc_class="IfcBuildingStorey", name="First")
    run("aggregate.assign_object", f, products=[site], relating_object=project)
    run("aggregate.assign_object", f, products=[building], relating_object=site)
    run("aggregate.assign_object", f, products=[ground, first], relating_object=building)

    wall_type = run("root.create_entity", f, ifc_class="IfcWallType", name="WT-200")
    walls = [run("root.create_entity", f, ifc_class="IfcWall", name=f"W{i}") for i in range(3)]
    run("spatial.assign_container", f, products=walls, relating_structure=ground)
    run("type.assign_type", f, related_objects=walls, relating_type=wall_type)
    type_pset = run("pset.add_pset", f, product=wall_type, name="Pset_WallCommon")
    run("pset.edit_pset", f, pset=type_pset, properties={"FireRating": "EI30", "IsExternal": False})
    own = run("pset.add_pset", f, product=walls[0], name="Pset_WallCommon")
    run("pset.edit_pset", f, pset=own, properties={"FireRating": "EI90"})
    qto = run("pset.add_qto", f, product=walls[0], name="Qto_WallBaseQuantities")
    run("pset.edit_qto", f, qto=qto, properties={"Length": 4.5})

    # The layer set sits on the type only (made by hand: the api would copy usages onto the
    # occurrences), so the occurrences use it by inheritance; walls[2] has its own material.
    concrete = run("material.add_material", f, name="Concrete", category="concrete")
    insulation = run("material.add_material", f, name="Insulation", category="insulation")
    steel = run("material.add_material", f, name="Steel", category="steel")
    unused = run("material.add_material", f, name="Unused")
    layers = run("material.add_material_set", f, name="WT-200 layers",
                 set_type="IfcMaterialLayerSet")
    run("material.add_layer", f, layer_set=layers, material=concrete)
    run("material.add_layer", f, layer_set=layers, material=insulation)
    f.createIfcRelAssociatesMaterial(new_guid(), None, None, None, [wall_type], layers)
    f.createIfcRelAssociatesMaterial(new_guid(), None, None, None, [walls[2]], steel)

    pump = run("root.create_entity", f, ifc_class="IfcPump", name="Pump")
    pipe = run("root.create_entity", f, ifc_class="IfcPipeSegment", name="Pipe")
    run("spatial.assign_container", f, products=[pump, pipe], relating_structure=first)
    system = run("system.add_system", f, ifc_class="IfcDistributionSystem")
    system.Name = "Heating"
    run("group.assign_group", f, products=[pump, pipe], group=system)
    empty_system = run("system.add_system", f, ifc_class="IfcDistributionSystem")

    # Indirect containment: a part of an assembly, an opening in a wall, a door filling it.
    assembly = run("root.create_entity", f, ifc_class="IfcElementAssembly", name="Stair")
    part = run("root.create_entity", f, ifc_class="IfcMember", name="Stringer")
    run("spatial.assign_container", f, products=[assembly], relating_structure=first)
    run("aggregate.assign_object", f, products=[part], relating_object=assembly)
    opening = run("root.create_entity", f, ifc_class="IfcOpeningElement", name="Hole")
    door = run("root.create_entity", f, ifc_class="IfcDoor", name="Door")
    run("feature.add_feature", f, feature=opening, element=walls[1])
    run("feature.add_filling", f, opening=opening, element=door)
    # Two containers (invalid, but exported): util.element takes the inverse's first.
    doubly = run("root.create_entity", f, ifc_class="IfcColumn", name="Doubly")
    f.createIfcRelContainedInSpatialStructure(new_guid(), None, None, None, [doubly], ground)
    f.createIfcRelContainedInSpatialStructure(new_guid(), None, None, None, [doubly], first)
    # A cycle of aggregates, contained nowhere: must not hang the build.
    loop_a = run("root.create_entity", f, ifc_class="IfcElementAssembly", name="LoopA")
    loop_b = run("root.create_entity", f, ifc_class="IfcElementAssembly", name="LoopB")
    f.createIfcRelAggregates(new_guid(), None, None, None, loop_a, [loop_b])
    f.createIfcRelAggregates(new_guid(), None, None, None, loop_b, [loop_a])
    named = dict(walls=walls, wall_type=wall_type, pump=pump, pipe=pipe, system=system,
                 empty_system=empty_system, concrete=concrete, insulation=insulation,
                 steel=steel, unused=unused, part=part, opening=opening, door=door,
                 doubly=doubly, loop_a=loop_a, project=project)
    return f, ModelIndex.build(f, None), named


def test_occurrence_value_wins_and_type_values_are_inherited_once(small: Any) -> None:
    _, index, named = small
    rows = {(r.pset, r.name): r for r in index.properties.for_entity(named["walls"][0].id())}
    assert set(rows) == {("Pset_WallCommon", "FireRating"), ("Pset_WallCommon", "IsExternal"),
                         ("Qto_WallBaseQuantities", "Length")}
    assert rows["Pset_WallCommon", "FireRating"][4:] == ("EI90", "pset", "occurrence")
    assert rows["Pset_WallCommon", "IsExternal"][4:] == (False, "pset", "type")
    assert rows["Qto_WallBaseQuantities", "Length"][4:] == (4.5, "qto", "occurrence")
    other = index.properties.for_entity(named["walls"][1].id())
    assert {(r.name, r.value, r.source) for r in other} == {
        ("FireRating", "EI30", "type"), ("IsExternal", False, "type")}


def test_storeys_found_through_aggregates_fillings_and_first_container(small: Any) -> None:
    model, index, named = small
    storey = {r.id: r.storey for r in index.entities}
    assert storey[named["walls"][0].id()] == "Ground"
    assert storey[named["part"].id()] == "First"  # part of an assembly on the first floor
    assert storey[named["opening"].id()] == "Ground"  # voids a wall on the ground floor
    assert storey[named["door"].id()] == "Ground"  # fills that opening
    doubly = ue.get_container(named["doubly"], ifc_class="IfcBuildingStorey")
    assert doubly is not None and storey[named["doubly"].id()] == doubly.Name
    assert storey[named["loop_a"].id()] is None


def test_systems_list_their_members(small: Any) -> None:
    _, index, named = small
    systems = {s.id: s for s in index.systems}
    heating = systems[named["system"].id()]
    assert (heating.ifc_type, heating.name, heating.ifc_guid) == (
        "IfcDistributionSystem", "Heating", named["system"].GlobalId)
    assert sorted(heating.member_ids) == sorted([named["pump"].id(), named["pipe"].id()])
    assert systems[named["empty_system"].id()].member_ids == []


def test_materials_are_resolved_from_layer_sets_and_inherited_from_the_type(small: Any) -> None:
    _, index, named = small
    materials = {m.name: m for m in index.materials}
    walls = [w.id() for w in named["walls"]]
    assert sorted(materials["Concrete"].element_ids) == walls[:2]
    assert sorted(materials["Insulation"].element_ids) == walls[:2]
    assert materials["Steel"].element_ids == [walls[2]]  # its own material, not the type's
    assert materials["Unused"].element_ids == []
    assert (materials["Concrete"].category, materials["Concrete"].id) == (
        "concrete", named["concrete"].id())


def test_types_records(small: Any) -> None:
    _, index, named = small
    (wall_type,) = [t for t in index.types if t.name == "WT-200"]
    assert (wall_type.id, wall_type.ifc_type, wall_type.ifc_guid) == (
        named["wall_type"].id(), "IfcWallType", named["wall_type"].GlobalId)
    assert sorted(wall_type.occurrence_ids) == sorted(w.id() for w in named["walls"])
    assert {r.type_name for r in index.entities if r.ifc_type == "IfcWall"} == {"WT-200"}


def test_records_read_well_and_convert_to_dicts(small: Any) -> None:
    _, index, named = small
    wall = index.entity(named["walls"][0].id())
    assert isinstance(wall, EntityRecord)
    assert "IfcWall" in repr(wall) and "'W0'" in repr(wall) and "Ground" in repr(wall)
    assert wall.as_dict() == {
        "id": wall.id, "ifc_guid": named["walls"][0].GlobalId, "ifc_type": "IfcWall",
        "name": "W0", "description": None, "object_type": None, "storey": "Ground",
        "type_name": "WT-200"}
    assert "Heating" in repr(index.systems[0]) or "Heating" in repr(index.systems[1])
    row = index.properties.for_entity(wall.id)[0]
    assert isinstance(row, PropertyRecord) and set(row.as_dict()) == set(COLUMNS)
    assert isinstance(index.entities.df, pd.DataFrame) and len(index.entities.df) == len(index.entities)
    assert "values" in repr(index.properties)
    assert index.properties.for_entity(named["project"].id()) == []  # not a product


def test_gc_is_enabled_again_after_the_build(small: Any) -> None:
    assert gc.isenabled()


# -- values and shapes util.element produces for the less common property kinds -----------------

EDGE_MODEL = """ISO-10303-21;
HEADER;FILE_DESCRIPTION((''),'2;1');FILE_NAME('','',(''),(''),'','','');FILE_SCHEMA(('IFC4'));ENDSEC;
DATA;
#1=IFCWALL('0aaaaaaaaaaaaaaaaaaaaa',$,'W',$,$,$,$,$,$);
#2=IFCPROPERTYSINGLEVALUE('label',$,IFCLABEL(''),$);
#3=IFCPROPERTYSINGLEVALUE('bool',$,IFCBOOLEAN(.F.),$);
#4=IFCPROPERTYSINGLEVALUE('int',$,IFCINTEGER(0),$);
#5=IFCPROPERTYSINGLEVALUE('logical',$,IFCLOGICAL(.U.),$);
#6=IFCPROPERTYSINGLEVALUE('none',$,$,$);
#7=IFCPROPERTYENUMERATEDVALUE('enum',$,(IFCLABEL('A'),IFCLABEL('B')),$);
#8=IFCPROPERTYLISTVALUE('list',$,(IFCREAL(1.),IFCREAL(2.)),$);
#9=IFCPROPERTYENUMERATEDVALUE('emptyenum',$,$,$);
#10=IFCPROPERTYSINGLEVALUE('text',$,IFCTEXT('\\X2\\00E9\\X0\\t\\X\\E9'),$);
#11=IFCPROPERTYSET('1aaaaaaaaaaaaaaaaaaaaa',$,'Simple',$,(#2,#3,#4,#5,#6,#7,#8,#9,#10));
#12=IFCPROPERTYBOUNDEDVALUE('bounded',$,IFCREAL(5.),IFCREAL(1.),$,$);
#13=IFCPROPERTYSET('2aaaaaaaaaaaaaaaaaaaaa',$,'Bounded',$,(#12,#2));
#14=IFCQUANTITYLENGTH('Width',$,$,0.25,$);
#15=IFCQUANTITYAREA('Area',$,$,2.,$);
#16=IFCPHYSICALCOMPLEXQUANTITY('Layer',$,(#14,#15),'layer',$,$);
#17=IFCELEMENTQUANTITY('3aaaaaaaaaaaaaaaaaaaaa',$,'Complex',$,$,(#16,#15));
#18=IFCPROPERTYSINGLEVALUE('x',$,IFCREAL(1.),$);
#19=IFCPROPERTYSET('4aaaaaaaaaaaaaaaaaaaaa',$,'Twice',$,(#18));
#20=IFCPROPERTYSINGLEVALUE('x',$,IFCREAL(2.),$);
#21=IFCPROPERTYSINGLEVALUE('y',$,IFCREAL(3.),$);
#22=IFCPROPERTYSET('5aaaaaaaaaaaaaaaaaaaaa',$,'Twice',$,(#20,#21));
#23=IFCRELDEFINESBYPROPERTIES('6aaaaaaaaaaaaaaaaaaaaa',$,$,$,(#1),IFCPROPERTYSETDEFINITIONSET((#11,#13)));
#24=IFCRELDEFINESBYPROPERTIES('7aaaaaaaaaaaaaaaaaaaaa',$,$,$,(#1),#17);
#25=IFCRELDEFINESBYPROPERTIES('8aaaaaaaaaaaaaaaaaaaaa',$,$,$,(#1),#19);
#26=IFCRELDEFINESBYPROPERTIES('9aaaaaaaaaaaaaaaaaaaaa',$,$,$,(#1),#22);
#27=IFCDOORLININGPROPERTIES('Aaaaaaaaaaaaaaaaaaaaaa',$,'Lining',$,0.1,0.05,$,$,$,$,$,$,$,$,$,$,$);
#28=IFCRELDEFINESBYPROPERTIES('Baaaaaaaaaaaaaaaaaaaaa',$,$,$,(#1),#27);
ENDSEC;END-ISO-10303-21;
"""


def test_uncommon_values_are_valued_as_get_psets_values_them() -> None:
    model = ifcopenshell.file.from_string(EDGE_MODEL)
    index = ModelIndex.build(model)
    wall = model.by_id(1)
    found = indexed_psets(index, 1)
    assert found == expected_psets(wall)
    assert found["Simple"]["enum"] == ["A", "B"] and found["Simple"]["text"] == "été"
    assert found["Simple"]["logical"] == "UNKNOWN" and found["Simple"]["emptyenum"] is None
    assert found["Twice"] == {"x": 2.0, "y": 3.0}  # the later set wins, as in get_psets
    assert found["Complex"]["Layer"]["properties"] == {"Width": 0.25, "Area": 2.0}
    assert found["Lining"]["LiningDepth"] == 0.1
    assert {r.kind for r in index.properties if r.pset == "Complex"} == {"qto"}
