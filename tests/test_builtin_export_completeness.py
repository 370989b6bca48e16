"""Export Elements to CSV and Property Completeness through the real command.

The export is checked cell by cell against IfcOpenShell's own ifccsv on the small samples; the
completeness counts against a computation done here with ifcopenshell.util.element.get_psets.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import ifccsv
import ifcopenshell
import ifcopenshell.util.element
import ifcopenshell.util.selector
import openpyxl
import pytest

from ifcscript_desktop.core.params import coerce_params
from ifcscript_desktop.core.scriptfile import parse_script
from tests.test_builtin_scripts import _run
from tests.test_cli import ifcscript, json_lines

BUILTINS = Path(__file__).resolve().parents[1] / "builtin_scripts"

# Our attribute columns and the ifccsv (selector) attribute that gives the same value.
ATTRIBUTES = {"GlobalId": "GlobalId", "Class": "class", "Name": "Name", "Type": "type.Name",
              "Storey": "storey.Name", "Materials": "materials.Name"}


def read_csv(path: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def ifccsv_rows(model: ifcopenshell.file, query: str, columns: list[str]) -> dict[str, dict]:
    """ifccsv's export of the columns (ours -> its attributes), by GlobalId, as CSV text."""
    elements = ifcopenshell.util.selector.filter_elements(model, query)
    attributes = []
    for column in columns:
        if column in ATTRIBUTES:
            attributes.append(ATTRIBUTES[column])
        else:  # "Pset.Property": quote both parts, names may hold spaces and punctuation
            pset, prop = column.split(".", 1)
            attributes.append(f'"{pset}"."{prop}"')
    exporter = ifccsv.IfcCsv()
    exporter.export(model, elements, list(attributes), format=None, include_global_id=False,
                    null="", empty="", bool_true="True", bool_false="False", concat=", ")
    return {row[columns.index("GlobalId")]: dict(zip(columns, map(str, row)))
            for row in exporter.results}


def shared_definitions(model: ifcopenshell.file) -> dict[tuple[str, str], dict]:
    """{(type GlobalId, name): properties of every definition of that name} where a type holds
    two property definitions sharing one name.

    LargeBuilding's door styles hold an IfcDoorLiningProperties and an IfcDoorPanelProperties
    of one name. ifccsv reads a "Set.Property" column with ifcopenshell.util.element.get_pset,
    which keeps only one definition of a name, so the other's properties come out empty there;
    the export reads every definition, so it has both (lining depth and panel operation).
    """
    shared = {}
    for element in model.by_type("IfcTypeObject"):
        definitions = list(element.HasPropertySets or [])
        names = [d.Name for d in definitions]
        for definition in definitions:
            if names.count(definition.Name) > 1:
                merged = shared.setdefault((element.GlobalId, definition.Name), {})
                for prop, value in ifcopenshell.util.element.get_property_definition(
                        definition).items():
                    if prop != "id" and (value is not None or prop not in merged):
                        merged[prop] = value
    return shared


@pytest.mark.parametrize("model_fixture, query, psets", [
    ("house", "IfcWall", ["Pset_WallCommon", "BaseQuantities", "AC_Pset_Name"]),
    ("house", "IfcDoor, IfcWindow", ["Pset_DoorCommon", "Pset_WindowCommon", "BaseQuantities"]),
    ("large_building", "IfcDoor", ["Pset_DoorCommon", "Dimensions", "Identity Data",
                                   "Custom_Pset"]),
    ("large_building", "IfcWall", ["Pset_WallCommon", "Constraints", "Dimensions"]),
])
def test_export_equals_ifccsv(data_dir: Path, request: pytest.FixtureRequest,
                              model_fixture: str, query: str, psets: list[str]) -> None:
    path = request.getfixturevalue(model_fixture)
    line = _run("Export Elements to CSV", path, f"query={query}", "output=out.csv",
                f"properties={', '.join(psets)}")
    columns, rows = read_csv(line["outputs"][0])
    assert line["result"]["columns"] == columns and line["result"]["rows"] == len(rows)
    assert columns[:6] == ["GlobalId", "Class", "Name", "Storey", "Type", "Materials"]
    props = columns[6:]
    assert len(props) >= 3 and all(c.split(".", 1)[0] in psets for c in props)
    model = ifcopenshell.open(path)
    expected = ifccsv_rows(model, query, columns)
    assert sorted(expected) == sorted(r["GlobalId"] for r in rows)
    # Every property ifccsv finds on these elements for these sets is a column of ours.
    for element in ifcopenshell.util.selector.filter_elements(model, query):
        for pset, values in ifcopenshell.util.element.get_psets(element).items():
            if pset in psets:
                assert {f"{pset}.{p}" for p in values if p != "id"} <= set(props)
    for row in rows:
        assert row == expected[row["GlobalId"]], row["GlobalId"]


def test_export_of_door_styles_and_the_shared_definition_names(data_dir: Path,
                                                               large_building: Path) -> None:
    model = ifcopenshell.open(large_building)
    shared = shared_definitions(model)
    assert shared, "LargeBuilding's door styles hold lining and panel properties of one name"
    line = _run("Export Elements to CSV", large_building, "query=IfcDoorStyle",
                "output=styles.csv")
    columns, rows = read_csv(line["outputs"][0])
    expected = ifccsv_rows(model, "IfcDoorStyle", columns)
    assert len(rows) == len(expected) == len(model.by_type("IfcDoorStyle"))
    known_differences = 0
    for row in rows:
        want = expected[row["GlobalId"]]
        for column in columns:
            pset, _, prop = column.partition(".")
            both = shared.get((row["GlobalId"], pset))
            if both is not None and prop:
                # The known difference: ours has every definition's value, ifccsv one's only.
                value = both.get(prop)
                assert row[column] == ("" if value is None else str(value)), column
                assert want[column] in ("", row[column]), column
                known_differences += want[column] != row[column]
                continue
            assert row[column] == want[column], (row["GlobalId"], column)
        for (guid, name), both in shared.items():
            if guid == row["GlobalId"]:  # every filled property of both definitions is there
                assert all(row[f"{name}.{p}"] == str(v) for p, v in both.items() if v is not None)
    assert known_differences > 0


def test_attribute_columns_and_property_choice(data_dir: Path, house: Path) -> None:
    line = _run("Export Elements to CSV", house, "query=IfcWall", "output=walls",
                "attributes=Name, GlobalId, Tag", "include_quantities=false",
                "properties=Pset_*Common.ThermalTransmittance")
    assert line["result"]["file"] == "walls.csv"
    columns, rows = read_csv(line["outputs"][0])
    assert columns == ["Name", "GlobalId", "Tag", "Pset_WallCommon.ThermalTransmittance"]
    model = ifcopenshell.open(house)
    for row in rows:
        wall = model.by_guid(row["GlobalId"])
        assert row["Tag"] == (wall.Tag or "")
        value = ifcopenshell.util.element.get_psets(wall)["Pset_WallCommon"]["ThermalTransmittance"]
        assert row["Pset_WallCommon.ThermalTransmittance"] == str(value)
    done = ifcscript("run", "Export Elements to CSV", str(house), "-p", "attributes=Colour",
                     "--json")
    [bad] = json_lines(done.stdout)
    assert bad["status"] == "error" and "Colour" in bad["error"]


@pytest.mark.parametrize("model_fixture, query", [
    ("house", "IfcElement"), ("large_building", "IfcDoor, IfcWall, IfcSlab")])
def test_xlsx_has_the_same_rows_as_the_csv(data_dir: Path, request: pytest.FixtureRequest,
                                           model_fixture: str, query: str) -> None:
    path = request.getfixturevalue(model_fixture)
    as_csv = _run("Export Elements to CSV", path, f"query={query}", "output=elements.csv")
    as_xlsx = _run("Export Elements to CSV", path, f"query={query}", "output=elements.csv",
                   "format=xlsx")
    assert as_xlsx["result"]["file"] == "elements.xlsx"
    assert Path(as_xlsx["outputs"][0]).name == "elements.xlsx"
    assert as_xlsx["result"]["columns"] == as_csv["result"]["columns"]
    columns, rows = read_csv(as_csv["outputs"][0])
    sheet = openpyxl.load_workbook(as_xlsx["outputs"][0], read_only=True).active
    cells = list(sheet.iter_rows(values_only=True))
    assert list(cells[0]) == columns and len(cells) == len(rows) + 1 == as_xlsx["result"]["rows"] + 1

    def text(value: object, written: str) -> str:
        """The cell as the CSV has it: Excel (and openpyxl) keep 2.0 as the number 2."""
        if isinstance(value, float | int) and not isinstance(value, bool):
            try:
                if float(written) == value:
                    return written
            except ValueError:
                pass
        return "" if value is None else str(value)

    assert [[text(v, r[c]) for v, c in zip(row, columns)] for row, r in zip(cells[1:], rows)] \
        == [[r[c] for c in columns] for r in rows]


# --- Property Completeness ------------------------------------------------------------------


def as_text(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def expected_summary(model: ifcopenshell.file, requirements: list[dict[str, str]]) -> list[dict]:
    """Each requirement's counts, computed element by element with get_psets."""
    out = []
    for req in requirements:
        counts = {"checked": 0, "missing": 0, "invalid": 0, "ok": 0}
        allowed = req.get("allowed", "")
        for element in model.by_type(req["class"]):
            counts["checked"] += 1
            value = ifcopenshell.util.element.get_psets(element).get(req["pset"], {}).get(
                req["property"])
            values = value if isinstance(value, (list, tuple)) else [value]
            if value is None or value == "" or value == [] or value == ():
                counts["missing"] += 1
                continue
            if not allowed:
                good = True
            elif allowed.startswith("/") and allowed.endswith("/"):
                good = all(re.fullmatch(allowed[1:-1], as_text(v)) for v in values)
            else:
                options = [o.strip().upper() for o in allowed.split("|")]
                good = all(as_text(v).upper() in options or any(
                    isinstance(v, float) and _float(o) == v for o in options) for v in values)
            counts["ok" if good else "invalid"] += 1
        out.append({"class": req["class"], "pset": req["pset"], "property": req["property"],
                    **counts})
    return out


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def check_completeness(line: dict, model: ifcopenshell.file,
                       requirements: list[dict[str, str]]) -> dict:
    result = line["result"]
    got = [{k: s[k] for k in ("class", "pset", "property", "checked", "missing", "invalid", "ok")}
           for s in result["requirements"]]
    assert got == expected_summary(model, requirements)
    assert result["checked"] == sum(s["checked"] for s in got)
    assert result["missing"] == sum(s["missing"] for s in got)
    assert result["invalid"] == sum(s["invalid"] for s in got)
    assert len(result["findings"]) == result["missing"] + result["invalid"]
    assert result["status"] == ("FAIL" if result["findings"] else "PASS")
    offenders = {model.by_guid(f["GlobalId"]).id() for f in result["findings"]}
    assert result["elements_with_findings"] == len(offenders)
    highlighted = {i for h in line["highlights"] or [] for i in h["ids"]}
    assert highlighted == offenders
    # The model coloured by the share of requirements met: below 100 % exactly where a finding is.
    [colored] = line["colors"]
    assert colored["title"] == "Requirements met (%)" and colored["kind"] == "number"
    assert {int(i) for i, share in colored["values"].items() if share < 100} == offenders
    checked = {e.id() for r in requirements for e in model.by_type(r["class"])}
    assert {int(i) for i in colored["values"]} == checked
    assert not any(e["color"] is None for e in colored["legend"])  # every element was found
    return result


def test_completeness_default_requirements(data_dir: Path, house: Path,
                                           large_building: Path) -> None:
    meta = parse_script((BUILTINS / "property_completeness.py").read_text(encoding="utf-8"))
    assert meta.name == "Property Completeness" and meta.category == "Quality"
    defaults = coerce_params(meta, {})["requirements"]
    assert {"class": "IfcWall", "pset": "Pset_WallCommon", "property": "IsExternal"}.items() \
        <= defaults[0].items()
    for path in (house, large_building):
        line = _run("Property Completeness", path)
        check_completeness(line, ifcopenshell.open(path), defaults)


REQUIREMENTS = {
    "house": (
        "class,pset,property,allowed\n"
        "IfcWall,Pset_WallCommon,ThermalTransmittance,0.4|0.25\n"
        "IfcDoor,Pset_DoorCommon,FireExit,true\n"
        "IfcDoor,Pset_DoorCommon,FireRating,\n"
        r"IfcWindow,Pset_WindowCommon,ThermalTransmittance,/1\.\d+/" "\n"
        "IfcSlab,Pset_SlabCommon,LoadBearing,\n"
    ),
    "large_building": (
        "class,pset,property,allowed\n"
        "IfcWall,Constraints,Base Constraint,/Level: Level 1/\n"
        "IfcWall,Constraints,Room Bounding,TRUE\n"
        "IfcDoor,Dimensions,Width,915|1000\n"
        "IfcDoor,Pset_DoorCommon,FireRating,\n"
        "IfcDoor,Identity Data,Assembly Description,\n"
    ),
}


@pytest.mark.parametrize("model_fixture", ["house", "large_building"])
def test_completeness_with_requirements_on_the_command_line(
        data_dir: Path, request: pytest.FixtureRequest, model_fixture: str) -> None:
    path = request.getfixturevalue(model_fixture)
    text = REQUIREMENTS[model_fixture]
    line = _run("Property Completeness", path, f"requirements={text}")
    requirements = list(csv.DictReader(text.splitlines()))
    result = check_completeness(line, ifcopenshell.open(path), requirements)
    # The requirements were chosen so that every outcome occurs.
    assert result["missing"] and result["invalid"] and result["ok"]
    assert line["highlights"] and line["tables"]
    finding = result["findings"][0]
    assert set(finding) == {"GlobalId", "class", "name", "pset", "property", "value", "problem"}


def test_completeness_refuses_bad_requirements(data_dir: Path, house: Path) -> None:
    for text, words in [("class,pset,property\nIfcWal,Pset_WallCommon,IsExternal\n", "IfcWal"),
                        ("class,pset,property,allowed\nIfcWall,Pset_WallCommon,X,/[/\n",
                         "regular expression"),
                        ("class,pset,property\nIfcWall,,IsExternal\n", "needed")]:
        done = ifcscript("run", "Property Completeness", str(house), "-p", f"requirements={text}",
                         "--json")
        [line] = json_lines(done.stdout)
        assert line["status"] == "error" and words in line["error"], line["error"]


def test_the_window_gets_the_first_rows_and_the_file_all(data_dir: Path, house: Path) -> None:
    line = _run("Export Elements to CSV", house, "query=IfcWall", "output=walls.csv",
                "table_rows=3")
    columns, rows = read_csv(line["outputs"][0])
    [table] = line["tables"]
    assert len(rows) == line["result"]["rows"] > 3 and len(table["rows"]) == 3
    assert table["columns"] == columns
    assert [r["GlobalId"] for r in table["rows"]] == [r["GlobalId"] for r in rows[:3]]
    assert f"first 3 of {len(rows)}" in table["title"] and "walls.csv" in table["title"]
    everything = _run("Export Elements to CSV", house, "query=IfcWall", "table_rows=0")
    [table] = everything["tables"]
    assert len(table["rows"]) == len(rows) and "first" not in table["title"]
