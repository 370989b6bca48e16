"""The IDS Check built-in through the real command, checked against ifctester run here.

The IDS files are built in the test with ifctester's own API; the expected counts come from
ifctester validating the same model with the same IDS in this process (outside the sandbox).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import ifcopenshell
import ifcopenshell.util.element
import pytest
from ifctester import facet, ids as ifc_ids

from tests.test_cli import ifcscript, json_lines

IFC4_WALL = "IFCWALLSTANDARDCASE"  # the FZK house's walls (IFC4, ArchiCAD)


def _spec(name: str, applies_to: str, requirement: facet.Facet) -> ifc_ids.Specification:
    spec = ifc_ids.Specification(name=name, ifcVersion=["IFC2X3", "IFC4", "IFC4X3_ADD2"])
    spec.applicability.append(facet.Entity(name=applies_to))
    spec.requirements.append(requirement)
    return spec


def _write(path: Path, *specs: ifc_ids.Specification) -> Path:
    document = ifc_ids.Ids(title=path.stem)
    document.specifications.extend(specs)
    path.write_text(document.to_string(), encoding="utf-8")
    return path


@pytest.fixture
def failing_ids(tmp_path: Path) -> Path:
    """Fails on the FZK house: no wall has Pset_WallCommon.FireRating; only the external
    walls' names start with Wand-Ext (a mix of passes and failures); every door has a name."""
    return _write(
        tmp_path / "fire rating.ids",
        _spec("Walls have a fire rating", IFC4_WALL,
              facet.Property(propertySet="Pset_WallCommon", baseName="FireRating",
                             cardinality="required")),
        _spec("Walls are named as external walls", IFC4_WALL,
              facet.Attribute(name="Name",
                              value=facet.Restriction(options={"pattern": "Wand-Ext-.*"}))),
        _spec("Doors have a name", "IFCDOOR", facet.Attribute(name="Name")),
    )


@pytest.fixture
def passing_ids(tmp_path: Path) -> Path:
    return _write(tmp_path / "names.ids",
                  _spec("Walls have a name", IFC4_WALL, facet.Attribute(name="Name")),
                  _spec("Slabs have a GlobalId", "IFCSLAB", facet.Attribute(name="GlobalId")))


def _run(model: Path, ids_file: Path, *params: str) -> tuple[int, dict]:
    args = ["run", "IDS Check", str(model), "--json", "-p", f"ids={ids_file}"]
    for param in params:
        args += ["-p", param]
    done = ifcscript(*args)
    [line] = json_lines(done.stdout)
    return done.returncode, line


def _reference(model_path: Path, ids_file: Path) -> tuple[ifcopenshell.file, ifc_ids.Ids]:
    """ifctester run directly, in this process, on the same model and IDS."""
    model = ifcopenshell.open(model_path)
    document = ifc_ids.open(str(ids_file))
    document.validate(model)
    return model, document


def _expected_specifications(document: ifc_ids.Ids) -> list[dict]:
    return [{"name": spec.name,
             "status": "PASS" if spec.status else "FAIL",
             "applicable": len(spec.applicable_entities),
             "passed": len(spec.applicable_entities) - len(spec.failed_entities),
             "failed": len(spec.failed_entities)}
            for spec in document.specifications]


def test_a_failing_ids_reports_counts_failures_highlights_and_reports(
        data_dir: Path, house: Path, failing_ids: Path) -> None:
    code, line = _run(house, failing_ids)
    assert code == 0 and line["status"] == "success", line
    model, reference = _reference(house, failing_ids)
    result = line["result"]
    assert set(result) == {"status", "failed", "passed", "specifications"}
    assert result["status"] == "FAIL"
    assert result["specifications"] == _expected_specifications(reference)
    # Each element counted once: failed any specification, or passed all that apply to it.
    failing = {e.id() for spec in reference.specifications for e in spec.failed_entities}
    checked = {e.id() for spec in reference.specifications for e in spec.applicable_entities}
    assert (result["failed"], result["passed"]) == (len(failing), len(checked - failing))
    # The run succeeded; the check failed, and the line says so apart from the status.
    assert (line["verdict"], line["verdict_detail"]) == ("FAIL", f"{len(failing)} failed")

    # Facts of the model, independent of ifctester: no wall has a FireRating; the external walls
    # are the ones named Wand-Ext-...; every door has a name.
    walls = model.by_type(IFC4_WALL)
    fire, named, doors = result["specifications"]
    assert not any("FireRating" in ifcopenshell.util.element.get_psets(w).get("Pset_WallCommon", {})
                   for w in walls)
    assert fire == {"name": "Walls have a fire rating", "status": "FAIL",
                    "applicable": len(walls), "passed": 0, "failed": len(walls)}
    external = [w for w in walls if (w.Name or "").startswith("Wand-Ext-")]
    assert 0 < len(external) < len(walls)
    assert (named["status"], named["passed"], named["failed"]) == \
        ("FAIL", len(external), len(walls) - len(external))
    assert doors["status"] == "PASS" and doors["failed"] == 0
    assert doors["applicable"] == len(model.by_type("IfcDoor")) > 0

    # One table row per failure, with its reason, linked by GlobalId; the failing elements
    # (and only they) highlighted.
    failures = [(spec.name, f["element"].GlobalId, f["reason"])
                for spec in reference.specifications for req in spec.requirements
                for f in req.failures]
    [table] = [t for t in line["tables"] if "guid" in t["columns"]]
    assert {"guid", "ifc_type", "name", "specification", "reason"} <= set(table["columns"])
    assert sorted((r["specification"], r["guid"], r["reason"]) for r in table["rows"]) == \
        sorted(failures)
    assert all(r["reason"] for r in table["rows"])
    failed_ids = {e.id() for spec in reference.specifications for e in spec.failed_entities}
    assert {i for h in line["highlights"] for i in h["ids"]} == failed_ids
    # The model coloured by outcome: every applicable element passed or failed.
    [colored] = line["colors"]
    assert colored["kind"] == "category" and colored["title"].startswith("IDS ")
    outcome = {int(i): v for i, v in colored["values"].items()}
    assert {i for i, v in outcome.items() if v == "failed"} == failed_ids
    applicable = {e.id() for spec in reference.specifications for e in spec.applicable_entities}
    assert set(outcome) == applicable and "passed" in outcome.values()

    # ifctester's reports, written into the run's output folder and recorded on the run.
    outputs = {Path(p).suffix: Path(p) for p in line["outputs"]}
    assert set(outputs) == {".html", ".json", ".bcf"}
    folder = {p.parent for p in outputs.values()}
    assert len(folder) == 1 and all(p.is_file() and p.stat().st_size for p in outputs.values())
    report = json.loads(outputs[".json"].read_text(encoding="utf-8"))
    assert report["status"] is False
    assert [(s["name"], s["total_applicable"], s["total_applicable_fail"])
            for s in report["specifications"]] == \
        [(s["name"], s["applicable"], s["failed"]) for s in result["specifications"]]
    html = outputs[".html"].read_text(encoding="utf-8")
    assert "<html" in html.lower() and all(s["name"] in html for s in result["specifications"])
    with zipfile.ZipFile(outputs[".bcf"]) as bcf:  # one BCF topic per failure
        assert len([n for n in bcf.namelist() if n.endswith("markup.bcf")]) == len(failures)


def test_a_passing_ids(data_dir: Path, house: Path, passing_ids: Path) -> None:
    code, line = _run(house, passing_ids, "report_name=house check")
    assert code == 0 and line["status"] == "success", line
    _, reference = _reference(house, passing_ids)
    checked = {e.id() for spec in reference.specifications for e in spec.applicable_entities}
    assert line["result"] == {"status": "PASS", "failed": 0, "passed": len(checked),
                              "specifications": _expected_specifications(reference)}
    assert (line["verdict"], line["verdict_detail"]) == ("PASS", f"{len(checked)} passed")
    assert all(s["applicable"] > 0 and s["failed"] == 0 for s in line["result"]["specifications"])
    assert sorted(Path(p).name for p in line["outputs"]) == \
        ["house check.bcf", "house check.html", "house check.json"]
    assert not line["highlights"]
    [colored] = line["colors"]
    assert set(colored["values"].values()) == {"passed"}


@pytest.mark.parametrize("content, problem", [
    ("this is not an IDS file", "could not be read as IDS"),
    ("<ids xmlns='http://standards.buildingsmart.org/IDS'><info><title>t</title></info>"
     "<specifications><bogus/></specifications></ids>", "is not a valid IDS document"),
])
def test_an_invalid_ids_ends_the_run_as_error_naming_the_problem(
        data_dir: Path, house: Path, tmp_path: Path, content: str, problem: str) -> None:
    broken = tmp_path / "broken.ids"
    broken.write_text(content, encoding="utf-8")
    code, line = _run(house, broken)
    assert code == 1 and line["status"] == "error"
    assert f"The IDS file broken.ids {problem}" in line["error"]
    assert "\n" not in line["error"] and "sandbox" not in line["error"].lower()
    assert line["result"] is None and not line["outputs"]


def test_the_ids_file_is_required(data_dir: Path, house: Path) -> None:
    done = ifcscript("run", "IDS Check", str(house), "--json")
    assert done.returncode == 2 and "ids" in done.stderr


def test_scripts_may_use_ifctester_but_not_reach_past_the_sandbox(
        data_dir: Path, house: Path, tmp_path: Path) -> None:
    outside = tmp_path / "not granted.ids"
    outside.write_text("<ids/>", encoding="utf-8")
    script = tmp_path / "sneaky.py"
    script.write_text(
        "import ifctester.ids\n"
        "try:\n"
        f"    ifctester.ids.open({str(outside)!r})\n"
        "except Exception as exc:\n"
        "    print('caught', type(exc).__name__)\n"
        "result = 'read it'\n", encoding="utf-8")
    [line] = json_lines(ifcscript("run", str(script), str(house), "--json").stdout)
    assert line["status"] == "error" and "The sandbox refused" in line["error"]
    assert str(outside) in line["error"]
    script.write_text("import ifctester.webapp\n", encoding="utf-8")
    [line] = json_lines(ifcscript("run", str(script), str(house), "--json").stdout)
    assert line["status"] == "error" and "ifctester.webapp" in line["error"]


def _in_order(report: dict) -> dict:
    """A JSON report with its lists of elements sorted: ifctester keeps the elements that pass
    in sets, so two processes may list them in different orders."""
    for spec in report["specifications"]:
        spec["applicable_entities"].sort(key=lambda e: e["id"])
        for requirement in spec["requirements"]:
            requirement["passed_entities"].sort(key=lambda e: e["id"])
            requirement["failed_entities"].sort(key=lambda e: (e["id"], e["reason"]))
    return report


@pytest.mark.filterwarnings("ignore:save_project is deprecated:DeprecationWarning")
def test_the_reports_are_the_ones_ifctesters_reporters_write(
        data_dir: Path, house: Path, failing_ids: Path, tmp_path: Path) -> None:
    """The script makes ifctester's report once and writes the three files from it; they must
    be what ifctester's Json, Html and Bcf reporters write on their own (the date aside)."""
    from ifctester import reporter

    code, line = _run(house, failing_ids)
    assert code == 0 and line["status"] == "success", line
    outputs = {Path(p).suffix: Path(p) for p in line["outputs"]}
    model = ifcopenshell.open(house)
    document = ifc_ids.open(str(failing_ids))
    document.validate(model, filepath=str(failing_ids))

    expected = reporter.Json(document)
    expected.report()
    ours = json.loads(outputs[".json"].read_text(encoding="utf-8"))
    theirs = json.loads(expected.to_string())
    ours.pop("date"), theirs.pop("date")
    assert _in_order(ours) == _in_order(theirs)

    html = reporter.Html(document)
    html.report()
    date = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    assert sorted(date.sub("", outputs[".html"].read_text(encoding="utf-8")).splitlines()) == \
        sorted(date.sub("", html.to_string()).splitlines())

    bcf = reporter.Bcf(document)
    bcf.report()
    bcf.to_file(str(tmp_path / "reference.bcf"))
    with zipfile.ZipFile(outputs[".bcf"]) as ours_bcf, \
            zipfile.ZipFile(tmp_path / "reference.bcf") as theirs_bcf:
        def titles(archive: zipfile.ZipFile) -> list[str]:
            return sorted(re.findall(r"<Title>(.*?)</Title>", "".join(
                archive.read(n).decode() for n in archive.namelist() if n.endswith("markup.bcf"))))
        assert titles(ours_bcf) == titles(theirs_bcf) and titles(ours_bcf)
