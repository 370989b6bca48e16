"""The script context: names, element references, geometry, outputs, tables, charts, highlights."""

from __future__ import annotations

import json
import math
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.guid
import ifcopenshell.util.element as ue
import ifcopenshell.util.unit
import numpy as np
import pandas as pd
import pytest

from ifcscript_desktop.worker.context import RunSink, UnknownElementError, build_globals
from ifcscript_desktop.worker.modelindex import ModelIndex

FIXTURES = Path(__file__).parents[1] / "fixtures"
DESIGN_NAMES = {
    "model", "model_path", "model_name", "schema", "entities", "properties", "systems",
    "materials", "types", "get_properties", "get_geometry", "save_output", "params", "selection",
    "previous", "progress", "result", "show_table", "show_chart", "highlight", "color_by", "np", "numpy",
    "pd", "pandas", "ifcopenshell",
    # Offered beyond the design card (issue 10): the built-ins' selection and unit helpers.
    "select", "unit_symbol"}


class MemorySink:
    """A RunSink that keeps what the script sent, for assertions."""

    def __init__(self, output_dir: Path) -> None:
        self.output_dir = output_dir
        self.progresses: list[tuple[float, str]] = []
        self.tables: list[tuple[list[dict[str, Any]], list[str], str | None]] = []
        self.charts: list[tuple[str, list[Any], list[Any], str | None]] = []
        self.highlights: list[tuple[list[int], str]] = []
        self.colors_given: list[dict[str, Any]] = []
        self.saves: list[str] = []

    def progress(self, fraction: float, message: str) -> None:
        self.progresses.append((fraction, message))

    def table(self, rows: Sequence[dict[str, Any]], columns: list[str], title: str | None) -> None:
        rows = list(rows)  # a DataFrame comes column by column; the event pipe sends row dicts
        json.dumps(rows, allow_nan=False)  # what the event pipe will have to encode
        self.tables.append((rows, columns, title))

    def chart(self, kind: str, x: list[Any], y: list[Any], title: str | None) -> None:
        json.dumps([x, y], allow_nan=False)
        self.charts.append((kind, x, y, title))

    def highlight(self, ids: list[int], color: str) -> None:
        self.highlights.append((ids, color))

    def colors(self, record: dict[str, Any]) -> None:
        json.dumps(record, allow_nan=False)
        self.colors_given.append(record)

    def saved(self, path: str) -> None:
        self.saves.append(path)


def _sink_is_a_run_sink(sink: MemorySink) -> RunSink:
    return sink  # mypy checks that the test sink matches the protocol


@pytest.fixture(scope="module")
def house() -> tuple[ifcopenshell.file, ModelIndex]:
    path = FIXTURES / "AC20-FZK-Haus.ifc"
    model = ifcopenshell.open(str(path))
    return model, ModelIndex.build(model, str(path))


@pytest.fixture()
def ctx(house: tuple[ifcopenshell.file, ModelIndex], tmp_path: Path) -> tuple[dict[str, Any], MemorySink]:
    model, index = house
    sink = MemorySink(tmp_path / "out")
    sink.output_dir.mkdir()
    project = model.by_type("IfcProject")[0].id()
    wall = model.by_type("IfcWall")[0].id()
    names = build_globals(index, model, sink=sink, params={"n": 3},
                          selection=[wall, project, 999999999], previous={"a": {"result": 1}},
                          model_path="")
    return names, sink


def test_every_name_of_the_design_is_there(ctx: Any, house: Any) -> None:
    names, _ = ctx
    model, index = house
    assert set(names) == DESIGN_NAMES
    assert names["model"] is model and names["entities"] is index.entities
    assert names["model_path"].endswith("AC20-FZK-Haus.ifc")  # falls back to the index's path
    assert names["model_name"] == "AC20-FZK-Haus.ifc" and names["schema"] == "IFC4"
    assert names["result"] is None and names["params"] == {"n": 3}
    assert names["previous"] == {"a": {"result": 1}}
    assert names["np"] is np and names["pd"] is pd and names["ifcopenshell"] is ifcopenshell


def test_selection_holds_records_of_the_selected_ids(ctx: Any, house: Any) -> None:
    names, _ = ctx
    model, _ = house
    wall, project = names["selection"]  # the unknown id is left out
    assert wall.ifc_type.startswith("IfcWall") and wall.storey is not None
    assert (project.ifc_type, project.ifc_guid) == ("IfcProject", model.by_type("IfcProject")[0].GlobalId)


def test_get_properties_accepts_records_ids_and_guids(ctx: Any, house: Any) -> None:
    names, _ = ctx
    model, index = house
    wall = model.by_type("IfcWall")[0]
    expected = ue.get_psets(wall)
    record = index.entity(wall.id())
    for ref in (record, wall, wall.id(), f"#{wall.id()}", wall.GlobalId, np.int64(wall.id())):
        assert names["get_properties"](ref) == expected
    with pytest.raises(KeyError) as info:
        names["get_properties"](123456789)
    assert str(info.value) == "get_properties: there is no element #123456789 in this model"
    with pytest.raises(UnknownElementError, match="no element with GlobalId 'nope'"):
        names["get_properties"]("nope")
    with pytest.raises(TypeError, match="get_properties: expected an element"):
        names["get_properties"](1.5)


def test_get_geometry_gives_world_coordinates_in_metres(ctx: Any) -> None:
    names, _ = ctx
    large = ifcopenshell.open(str(FIXTURES / "LargeBuilding.ifc"))  # lengths in millimetres
    large_names = build_globals(ModelIndex.build(large), large, sink=MemorySink(Path(".")),
                                params={}, selection=[], previous={}, model_path="x.ifc")
    for get_geometry, model in ((names["get_geometry"], names["model"]),
                                (large_names["get_geometry"], large)):
        wall: Any = model.by_type("IfcWall")[0]
        vertices, faces = get_geometry(wall)
        assert vertices.dtype == np.float64 and vertices.ndim == 2 and vertices.shape[1] == 3
        assert faces.shape[1] == 3 and len(faces) > 0 and faces.max() < len(vertices)
        assert np.issubdtype(faces.dtype, np.integer)
        extent = vertices.max(axis=0) - vertices.min(axis=0)
        assert 1.0 < extent.max() < 100.0  # a wall, measured in metres
        # Independently: local coordinates moved by the element's placement.
        settings = ifcopenshell.geom.settings()
        shape: Any = ifcopenshell.geom.create_shape(settings, wall)
        local = np.asarray(shape.geometry.verts).reshape(-1, 3)
        matrix = np.asarray(shape.transformation.matrix).reshape(4, 4).T
        moved = local @ matrix[:3, :3].T + matrix[:3, 3]
        assert set(map(tuple, moved.round(4))) == set(map(tuple, vertices.round(4)))


def test_get_geometry_of_an_element_without_body_is_empty(ctx: Any, house: Any) -> None:
    names, _ = ctx
    model, _ = house
    vertices, faces = names["get_geometry"](model.by_type("IfcBuildingStorey")[0])
    assert vertices.shape == (0, 3) and faces.shape == (0, 3)
    assert vertices.dtype == np.float64
    with pytest.raises(ValueError, match="only products"):
        names["get_geometry"](model.by_type("IfcProject")[0])


def test_save_output_writes_each_kind_and_records_it(ctx: Any) -> None:
    names, sink = ctx
    save = names["save_output"]
    out = sink.output_dir.resolve()
    text = save("notes.txt", "héllo")
    assert Path(text) == out / "notes.txt" and Path(text).read_text(encoding="utf-8") == "héllo"
    assert Path(save("raw.bin", b"\x00\x01")).read_bytes() == b"\x00\x01"
    data = {"n": np.int64(2), "x": [1.5, float("nan")]}
    assert json.loads(Path(save("data.json", data)).read_text()) == {"n": 2, "x": [1.5, None]}
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert Path(save("sub/dir/table.csv", frame)).read_text().splitlines() == ["a,b", "1,x", "2,y"]
    ifc = save("copy.ifc", names["model"])
    assert len(ifcopenshell.open(ifc).by_type("IfcWall")) == len(names["model"].by_type("IfcWall"))
    assert sink.saves == [str(out / n) for n in
                          ("notes.txt", "raw.bin", "data.json", "sub/dir/table.csv", "copy.ifc")]
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        save("x.bin", object())


def test_save_output_writes_sheets_of_dataframes_as_an_excel_workbook(ctx: Any) -> None:
    import openpyxl

    names, sink = ctx
    save = names["save_output"]
    walls = pd.DataFrame({"GlobalId": ["a", "b"], "Height": [3.0, np.nan],
                          "Note": ["=HYPERLINK(\"x\")", "tab\x01bed"], "Count": [1, 2]})
    book = openpyxl.load_workbook(save("walls.xlsx", {"Walls": walls, "Heights": walls["Height"]}))
    assert book.sheetnames == ["Walls", "Heights"]
    sheet = book["Walls"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["GlobalId", "Height", "Note", "Count"], ["a", 3, '=HYPERLINK("x")', 1],
        ["b", None, "tabbed", 2]]
    assert sheet["C2"].data_type == "s"  # text, never a formula Excel would run
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    alone = openpyxl.load_workbook(save("one.XLSX", walls))
    assert alone.sheetnames == ["Sheet1"] and alone.active.max_row == 3
    with pytest.raises(ValueError, match="cannot name a sheet"):
        save("bad.xlsx", {"a/b": walls})
    with pytest.raises(ValueError, match="two sheets are named"):
        save("bad.xlsx", {"Walls": walls, "WALLS": walls})
    with pytest.raises(TypeError, match=r"takes \{sheet name: DataFrame\}"):
        save("bad.xlsx", {"Walls": [1, 2]})
    assert [Path(p).name for p in sink.saves] == ["walls.xlsx", "one.XLSX"]


@pytest.mark.parametrize("name", ["../escape.txt", "/tmp/escape.txt", "a/../../escape.txt",
                                  "..\\escape.txt", "sub/../..", "link/escape.txt"])
def test_save_output_refuses_names_that_leave_the_folder(ctx: Any, name: str, tmp_path: Path) -> None:
    names, sink = ctx
    (sink.output_dir / "link").symlink_to(tmp_path)
    with pytest.raises(PermissionError) as info:
        names["save_output"](name, "x")
    assert str(info.value).startswith("save_output: ")
    assert "must stay inside the run's output folder" in str(info.value)
    assert not (tmp_path / "escape.txt").exists() and sink.saves == []


def test_show_table_from_a_dataframe_and_from_dicts(ctx: Any, house: Any) -> None:
    names, sink = ctx
    names["show_table"](pd.DataFrame({"n": [1, 2], "x": [0.5, math.nan], "s": ["a", None]}),
                        title="Frame")
    names["show_table"]([{"b": 1, "a": np.float64(2.5)}, {"c": {1, 2}, "a": math.inf}])
    walls = [r for r in house[1].entities if r.ifc_type.startswith("IfcWall")]
    names["show_table"](walls[:2])
    (rows1, cols1, title1), (rows2, cols2, _), (rows3, cols3, _) = sink.tables
    assert (cols1, title1) == (["n", "x", "s"], "Frame")
    assert rows1 == [{"n": 1, "x": 0.5, "s": "a"}, {"n": 2, "x": None, "s": None}]
    assert cols2 == ["b", "a", "c"]  # first seen order
    assert rows2 == [{"b": 1, "a": 2.5, "c": None}, {"b": None, "a": None, "c": [1, 2]}]
    assert cols3[:3] == ["id", "ifc_guid", "ifc_type"] and rows3[0]["ifc_guid"] == walls[0].ifc_guid
    with pytest.raises(TypeError, match="show_table: row 1 is a int, not a dict"):
        names["show_table"]([{"a": 1}, 5])
    with pytest.raises(TypeError, match=r"show_table row 0 \['a'\]: an object of type object"):
        names["show_table"]([{"a": object()}])


def test_show_chart_checks_kind_and_lengths(ctx: Any) -> None:
    names, sink = ctx
    names["show_chart"]("bar", ["a", "b"], np.array([1, 2]), title="Counts")
    names["show_chart"]("scatter", pd.Series([0.5, 1.0]), [3, None])
    assert sink.charts == [("bar", ["a", "b"], [1, 2], "Counts"),
                           ("scatter", [0.5, 1.0], [3, None], None)]
    with pytest.raises(ValueError, match="kind must be one of bar, line, scatter, not 'pie'"):
        names["show_chart"]("pie", [1], [1])
    with pytest.raises(ValueError, match="x has 2 values but y has 3"):
        names["show_chart"]("line", [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match=r"y\[1\] is 'b', not a number"):
        names["show_chart"]("line", [1, 2], [1, "b"])
    with pytest.raises(ValueError, match=r"x\[0\] is 'a', not a number"):
        names["show_chart"]("scatter", ["a"], [1])


def test_highlight_accepts_every_kind_of_reference(ctx: Any, house: Any) -> None:
    names, sink = ctx
    model, index = house
    walls = model.by_type("IfcWall")[:4]
    refs = [index.entity(walls[0].id()), walls[1], walls[2].id(), walls[3].GlobalId, walls[0]]
    names["highlight"](refs, color="#00ff00")
    names["highlight"](walls[0].GlobalId)
    assert sink.highlights == [([w.id() for w in walls], "#00FF00"), ([walls[0].id()], "#FF0000")]
    with pytest.raises(ValueError, match="highlight: color must look like '#RRGGBB'"):
        names["highlight"]([walls[0]], color="red")
    with pytest.raises(KeyError, match="highlight: there is no element #987654321"):
        names["highlight"]([987654321])


def test_select_takes_a_class_or_a_query_and_names_a_misspelt_class(ctx: Any,
                                                                     house: Any) -> None:
    names, _ = ctx
    model, _ = house
    select = names["select"]
    walls = select(" IfcWall ")
    assert walls == sorted(model.by_type("IfcWall"), key=lambda e: e.id())  # subclasses too
    both = select("IfcWall, IfcSlab")
    assert {e.id() for e in both} == {e.id() for e in model.by_type("IfcWall")
                                      + model.by_type("IfcSlab")}
    assert [e.id() for e in both] == sorted(e.id() for e in both)
    with pytest.raises(ValueError, match="select: IfcWal is not a class of the model's schema"):
        select("IfcWall, IfcWal")  # the selector alone would quietly give nothing
    with pytest.raises(ValueError, match="is not an IFC class or selector query"):
        select("IfcWall, [[[")
    with pytest.raises(ValueError, match="select: give an IFC class"):
        select("")


def test_unit_symbol_gives_short_names_and_names_without_symbols(ctx: Any, house: Any) -> None:
    names, _ = ctx
    model, _ = house
    unit_symbol = names["unit_symbol"]
    assert unit_symbol(ifcopenshell.util.unit.get_project_unit(model, "LENGTHUNIT")) == "m"
    assert unit_symbol(ifcopenshell.util.unit.get_project_unit(model, "AREAUNIT")) == "m2"
    assert unit_symbol(None) is None
    scratch = ifcopenshell.file(schema="IFC4")
    metre = scratch.createIfcSIUnit(None, "LENGTHUNIT", None, "METRE")
    kilogram = scratch.createIfcSIUnit(None, "MASSUNIT", "KILO", "GRAM")
    density = scratch.createIfcDerivedUnit(
        [scratch.createIfcDerivedUnitElement(kilogram, 1),
         scratch.createIfcDerivedUnitElement(metre, -3)], "MASSDENSITYUNIT")
    assert unit_symbol(density) == "kg/m3"
    with pytest.raises(TypeError, match="unit_symbol: expected an IFC unit"):
        unit_symbol("mm")


def test_progress_is_clamped(ctx: Any) -> None:
    names, sink = ctx
    for value in (-1, 0.5, 7, math.nan):
        names["progress"](value, "step")
    names["progress"](np.float32(0.25))
    assert sink.progresses == [(0.0, "step"), (0.5, "step"), (1.0, "step"), (0.0, "step"),
                               (0.25, "")]
    with pytest.raises(TypeError, match="progress: fraction must be a number"):
        names["progress"]("half")


def test_a_small_model_without_a_path(tmp_path: Path) -> None:
    model = ifcopenshell.file(schema="IFC2X3")
    wall = model.createIfcWall(ifcopenshell.guid.new(), None, "W")
    sink = MemorySink(tmp_path)
    names = build_globals(ModelIndex.build(model), model, sink=sink, params={}, selection=[],
                          previous={}, model_path="")
    assert (names["model_path"], names["model_name"], names["schema"]) == ("", "", "IFC2X3")
    vertices, faces = names["get_geometry"](wall)  # no representation at all
    assert vertices.shape == faces.shape == (0, 3)
    assert names["get_properties"](names["entities"][0]) == {}
