"""The three seed built-ins through the real command, checked against facts computed here."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import ifcopenshell
import ifcopenshell.util.element
import ifcopenshell.util.selector

from tests.test_cli import ifcscript, json_lines


def _run(script: str, model: Path, *params: str) -> dict:
    args = ["run", script, str(model), "--json"]
    for param in params:
        args += ["-p", param]
    done = ifcscript(*args)
    assert done.returncode == 0, done.stderr + done.stdout
    [line] = json_lines(done.stdout)
    assert line["status"] == "success", line
    return line


def test_guid_check_finds_the_duplicate(data_dir: Path, duplicated_guids: Path) -> None:
    line = _run("GUID Validation Check", duplicated_guids)
    result = line["result"]
    assert result["status"] == "FAIL" and result["duplicate_guids"] == 1
    assert {f["guid"] for f in result["findings"]} == {"3pdqyORIn8KBHZAhhtJ72T"}
    model = ifcopenshell.open(duplicated_guids)
    assert result["checked"] == len(model.by_type("IfcRoot"))
    # The model coloured by status: the two sharing the GlobalId duplicate (and nothing else).
    [colored] = line["colors"]
    assert colored["title"] == "GlobalId status" and colored["kind"] == "category"
    status = {model.by_id(int(i)): v for i, v in colored["values"].items()}
    assert len(status) == len(model.by_type("IfcObjectDefinition"))
    assert {e.GlobalId for e, v in status.items() if v == "duplicate"} == {"3pdqyORIn8KBHZAhhtJ72T"}
    assert sum(v == "duplicate" for v in status.values()) == 2
    assert set(status.values()) <= {"valid", "duplicate"}


def test_guid_check_reports_geelens_bad_first_characters(data_dir: Path, geelen: Path) -> None:
    line = _run("GUID Validation Check", geelen)
    result = line["result"]
    model = ifcopenshell.open(geelen)
    bad = [e for e in model.by_type("IfcRoot") if e.GlobalId[0] not in "0123"]
    assert result["status"] == "FAIL" and result["invalid_format"] == len(bad) == 345
    assert line["highlights"], "offending elements are highlighted"
    [colored] = line["colors"]
    invalid = {int(i) for i, v in colored["values"].items() if v == "invalid"}
    assert invalid == {e.id() for e in bad if e.is_a("IfcObjectDefinition")}


def test_guid_check_across_models(data_dir: Path, house: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy of house.ifc"
    copy.write_bytes(house.read_bytes())
    result = _run("GUID Validation Check", house, f"other_models={copy}")["result"]
    assert result["status"] == "FAIL"
    assert result["duplicate_guids"] == len({e.GlobalId for e in ifcopenshell.open(house).by_type("IfcRoot")})


def test_export_writes_every_element_with_its_properties(data_dir: Path, house: Path) -> None:
    line = _run("Export Elements to CSV", house, "query=IfcWall", "output=walls.csv")
    [path] = line["outputs"]
    assert Path(path).name == "walls.csv"
    rows = list(csv.DictReader(Path(path).open(encoding="utf-8")))
    model = ifcopenshell.open(house)
    walls = list(ifcopenshell.util.selector.filter_elements(model, "IfcWall"))
    assert sorted(r["GlobalId"] for r in rows) == sorted(w.GlobalId for w in walls)
    assert line["result"]["rows"] == len(walls) and line["result"]["file"] == "walls.csv"
    psets = ifcopenshell.util.element.get_psets(walls[0])
    for name, value in psets["Pset_WallCommon"].items():
        if name != "id":
            row = next(r for r in rows if r["GlobalId"] == walls[0].GlobalId)
            assert row[f"Pset_WallCommon.{name}"] == str(value)


def test_lod_analyzer_counts_every_class(data_dir: Path, house: Path) -> None:
    by_class = _run("LOD Analyzer", house, "target_lod=300")["result"]["by_class"]
    model = ifcopenshell.open(house)
    walls = Counter(e.is_a() for e in model.by_type("IfcWall"))
    for cls, count in walls.items():
        assert by_class[cls]["count"] == count
        assert sum(by_class[cls]["lod"].values()) == count
