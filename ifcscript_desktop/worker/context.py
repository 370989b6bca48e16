"""The names a script finds in its globals (DESIGN.md, "Script context").

The functions given to a script check their arguments and fail with a sentence that names the
function and the problem: a script's author reads these messages, not our code.
"""

from __future__ import annotations

import decimal
import fractions
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.util.element as ifc_element
import numpy as np
import pandas as pd

from ifcscript_desktop.core.colors import MAX_INT, color_record
from ifcscript_desktop.worker.modelindex import (
    EntityRecord, ModelIndex, Properties, PropertyRecord, Record, RecordList)
from ifcscript_desktop.worker.results import dataframe_columns, to_jsonable

CHART_KINDS = ("bar", "line", "scatter")
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")
#: Characters Excel does not allow in a sheet name (which is also at most 31 characters long).
_SHEET_NAME = re.compile(r"[^\[\]:*?/\\]{1,31}")
#: Control characters XML (and so XLSX) cannot hold.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class RunSink(Protocol):
    """Where a run's context sends what the script shows and saves (the run child's events)."""

    output_dir: Path

    def progress(self, fraction: float, message: str) -> None: ...
    def table(self, rows: Sequence[dict[str, Any]], columns: list[str], title: str | None) -> None: ...
    def chart(self, kind: str, x: list[Any], y: list[Any], title: str | None) -> None: ...
    def highlight(self, ids: list[int], color: str) -> None: ...
    def colors(self, record: dict[str, Any]) -> None: ...
    def saved(self, path: str) -> None: ...


class UnknownElementError(KeyError):
    """An element reference that names nothing in the model."""

    def __str__(self) -> str:  # KeyError would show the sentence in quotes
        return str(self.args[0])


def build_globals(index: ModelIndex, model: ifcopenshell.file, *, sink: RunSink,
                  params: dict[str, Any], selection: Iterable[int], previous: dict[str, Any],
                  model_path: str) -> dict[str, Any]:
    """The script's globals for one run."""
    path = model_path or index.model_path or ""
    resolver = _Elements(index, model)
    selected: RecordList[EntityRecord] = RecordList(
        r for r in map(resolver.record, selection) if r is not None)

    def get_properties(element: Any) -> dict[str, dict[str, Any]]:
        """Property sets and quantities of an element, as util.element.get_psets gives them."""
        return ifc_element.get_psets(resolver.instance(element, "get_properties"))

    def get_geometry(element: Any) -> tuple[np.ndarray, np.ndarray]:
        """(vertices (N,3) in metres, world coordinates; faces (M,3)) of an element's body."""
        return _geometry(resolver.instance(element, "get_geometry"))

    def save_output(filename: str, data: Any) -> str:
        """Write `data` into this run's output folder; returns the file's absolute path."""
        target = _output_path(sink.output_dir, filename)
        _write(target, data)
        sink.saved(str(target))
        return str(target)

    def show_table(data: Any, title: str | None = None) -> None:
        """Show a DataFrame or a list of dicts (or records) as a table."""
        rows, columns = _table(data)
        sink.table(rows, columns, None if title is None else str(title))

    def show_chart(kind: str, x: Any, y: Any, title: str | None = None) -> None:
        """Show a bar, line or scatter chart of equal-length x and y."""
        if kind not in CHART_KINDS:
            raise ValueError(f"show_chart: kind must be one of {', '.join(CHART_KINDS)}, "
                             f"not {kind!r}")
        xs, ys = _values(x, "x"), _values(y, "y")
        if len(xs) != len(ys):
            raise ValueError(f"show_chart: x has {len(xs)} values but y has {len(ys)}; "
                             "they must have the same length")
        for axis, values in (("y", ys), ("x", xs if kind == "scatter" else [])):
            for i, v in enumerate(values):
                if v is not None and not isinstance(v, (int, float)):
                    raise ValueError(f"show_chart: {axis}[{i}] is {v!r}, not a number")
        sink.chart(kind, xs, ys, None if title is None else str(title))

    def highlight(elements: Any, color: str = "#FF0000") -> None:
        """Highlight elements (records, entities, STEP ids or GlobalIds) in the model tree."""
        if not isinstance(color, str) or not _COLOR.fullmatch(color):
            raise ValueError(f"highlight: color must look like '#RRGGBB' (e.g. '#FF0000'), "
                             f"not {color!r}")
        single = isinstance(elements, (str, int, np.integer, Record, PropertyRecord,
                                       ifcopenshell.entity_instance))
        refs = [elements] if single else _iterable(elements, "highlight", "elements")
        ids = list(dict.fromkeys(resolver.step_id(r, "highlight") for r in refs))
        sink.highlight(ids, color.upper())

    def color_by(values: Any, title: str | None = None) -> None:
        """Colour elements by value: `{element: value}`, categories or numbers, with a legend.

        Elements the model does not have are counted in the legend, not refused.
        """
        if title is not None and not isinstance(title, str):
            raise TypeError(f"color_by: title must be text, not {type(title).__name__}")
        if isinstance(values, pd.Series):
            values = values.to_dict()
        if not isinstance(values, Mapping):
            raise TypeError(f"color_by: values must be a dict {{element: value}} (an element is a "
                            f"record, an entity, a STEP id or a GlobalId), not {type(values).__name__}")

        def too_many(count: int) -> bool:
            return count > len(index.entities) and count > resolver.element_count()

        def refuse(count: str) -> ValueError:
            return ValueError(f"color_by: {count} values, but the model has only "
                              f"{resolver.element_count():,} elements; give at most one value "
                              "per element")

        if too_many(len(values)):
            raise refuse(f"{len(values):,}")
        by_id: dict[int, Any] = {}
        missing = 0
        for number, (ref, value) in enumerate(values.items(), start=1):
            if too_many(number):  # a mapping whose len() told less than it holds
                raise refuse("more")
            step = resolver.rooted_step_id(ref, "color_by")
            if step is None:
                missing += 1
            else:
                by_id[step] = _color_value(value)
        sink.colors(color_record(by_id, missing, title))

    def select(query: str) -> list[ifcopenshell.entity_instance]:
        """The elements an IFC class or selector query chooses, by STEP id."""
        return _select(model, query)

    def progress(fraction: float, message: str = "") -> None:
        """Report progress (0 to 1) to the window's progress bar."""
        try:
            value = float(fraction)
        except (TypeError, ValueError):
            raise TypeError(f"progress: fraction must be a number from 0 to 1, "
                            f"not {fraction!r}") from None
        sink.progress(0.0 if math.isnan(value) else min(1.0, max(0.0, value)), str(message))

    return {
        "model": model, "model_path": path, "model_name": Path(path).name if path else "",
        "schema": model.schema_identifier,
        "entities": index.entities, "properties": index.properties, "systems": index.systems,
        "materials": index.materials, "types": index.types,
        "get_properties": get_properties, "get_geometry": get_geometry,
        "save_output": save_output, "params": params, "selection": selected,
        "previous": previous, "progress": progress, "result": None, "show_table": show_table,
        "show_chart": show_chart, "highlight": highlight, "color_by": color_by, "select": select,
        "unit_symbol": unit_symbol, "np": np, "numpy": np, "pd": pd, "pandas": pd, "ifcopenshell": ifcopenshell,
    }


_CLASS_NAME = re.compile(r"Ifc[A-Za-z0-9]+")
#: A class name inside a selector query (not part of a longer word, a path or quoted text).
_CLASS_IN_QUERY = re.compile(r"(?<![\w/.\"'])Ifc[A-Za-z0-9]+")


def _select(model: ifcopenshell.file, query: Any) -> list[ifcopenshell.entity_instance]:
    if not isinstance(query, str) or not query.strip():
        raise ValueError(f"select: give an IFC class (IfcWall) or a selector query "
                         f"(IfcWall, IfcSlab), not {query!r}")
    query = query.strip()
    found: Sequence[ifcopenshell.entity_instance] = ()
    # The selector quietly returns nothing for a misspelt class, so class names are checked.
    for class_name in _CLASS_IN_QUERY.findall(query):
        try:
            found = model.by_type(class_name)
        except RuntimeError:
            raise ValueError(f"select: {class_name} is not a class of the model's schema "
                             f"{model.schema}") from None
    selected: Iterable[ifcopenshell.entity_instance] = found  # a single class: by_type's
    if not _CLASS_NAME.fullmatch(query):
        import ifcopenshell.util.selector  # only here: it takes a moment to load

        try:
            selected = ifcopenshell.util.selector.filter_elements(model, query)
        except Exception as error:  # the selector's parser reports mistakes in several ways
            reason = " ".join(str(error).split())[:300] or type(error).__name__
            raise ValueError(f"select: {query!r} is not an IFC class or selector query the "
                             f"model understands: {reason}") from None
    return sorted(selected, key=lambda element: element.id())


def unit_symbol(unit: ifcopenshell.entity_instance | None) -> str | None:
    """A short name for an IFC unit: "mm", "m2", "kg/m3"; its name where there is no symbol."""
    import ifcopenshell.util.unit as ifc_unit  # only here: most scripts never need it

    if unit is None:
        return None
    if not isinstance(unit, ifcopenshell.entity_instance):
        raise TypeError(f"unit_symbol: expected an IFC unit (e.g. quantity.Unit), not {unit!r}")
    if unit.is_a("IfcDerivedUnit"):
        numerator: list[str] = []
        denominator: list[str] = []
        for element in unit.Elements:
            part = unit_symbol(element.Unit) or "?"
            power = abs(element.Exponent)
            part += str(power) if power != 1 else ""
            (numerator if element.Exponent > 0 else denominator).append(part)
        return ".".join(numerator or ["1"]) + ("/" + ".".join(denominator) if denominator else "")
    symbol: str | None
    try:
        symbol = ifc_unit.get_unit_symbol(unit)
    except Exception:  # an unusual unit ifcopenshell cannot write a symbol for
        symbol = None
    if not symbol or "?" in symbol:
        try:
            symbol = ifc_unit.get_full_unit_name(unit).lower()
        except Exception:
            symbol = str(getattr(unit, "Name", None) or "").lower() or None
    return symbol


class _Elements:
    """Resolves what a script passes as an element: record, entity, STEP id or GlobalId."""

    def __init__(self, index: ModelIndex, model: ifcopenshell.file) -> None:
        self.index, self.model = index, model
        self._element_count: int | None = None
        self._product_ids: dict[str, int] | None = None

    def product_ids(self) -> dict[str, int]:
        """STEP ids of the products by GlobalId, made once (by_guid per element is far slower)."""
        if self._product_ids is None:
            self._product_ids = {r.ifc_guid: r.id for r in self.index.entities}
        return self._product_ids

    def element_count(self) -> int:
        """The model's rooted objects (everything with a GlobalId), counted once."""
        if self._element_count is None:
            self._element_count = len(self.model.by_type("IfcRoot"))
        return self._element_count

    def rooted_step_id(self, ref: Any, caller: str) -> int | None:
        """The STEP id of an element with a GlobalId; None when the model has no such element."""
        if isinstance(ref, EntityRecord) and self.index.entity(ref.id) is ref:
            return ref.id
        if type(ref) is int and self.index.entity(ref) is not None:
            return ref  # a product's STEP id: known to exist, no lookup needed
        if type(ref) is str:
            found = self.product_ids().get(ref.strip())
            if found is not None:
                return found
        try:
            instance = self.instance(ref, caller)
        except UnknownElementError:
            return None
        return int(instance.id()) if instance.is_a("IfcRoot") else None

    def step_id(self, ref: Any, caller: str) -> int:
        if isinstance(ref, EntityRecord) and self.index.entity(ref.id) is ref:
            return ref.id  # a record of this index: known to exist, no lookup needed
        return int(self.instance(ref, caller).id())

    def instance(self, ref: Any, caller: str) -> ifcopenshell.entity_instance:
        if isinstance(ref, ifcopenshell.entity_instance) and ref.is_entity():
            return ref
        if isinstance(ref, PropertyRecord):
            ref = ref.entity_id
        elif isinstance(ref, Record) and isinstance(getattr(ref, "id", None), int):
            ref = getattr(ref, "id")
        if isinstance(ref, str) and re.fullmatch(r"#\d+", ref.strip()):
            ref = int(ref.strip()[1:])
        if isinstance(ref, (int, np.integer)) and not isinstance(ref, bool):
            try:
                return self.model.by_id(int(ref))
            except RuntimeError:
                raise UnknownElementError(
                    f"{caller}: there is no element #{int(ref)} in this model") from None
        if isinstance(ref, str):
            try:
                return self.model.by_guid(ref.strip())
            except RuntimeError:
                raise UnknownElementError(
                    f"{caller}: there is no element with GlobalId {ref!r} in this model") from None
        raise TypeError(f"{caller}: expected an element (a record from entities, an "
                        f"ifcopenshell entity, a STEP id or a GlobalId), not {type(ref).__name__}")

    def record(self, step_id: int) -> EntityRecord | None:
        """A selection entry: the product's record, or one made for another rooted object."""
        found = self.index.entity(step_id)
        if found is not None:
            return found
        try:
            e = self.model.by_id(step_id)
        except RuntimeError:
            return None
        if not e.is_a("IfcObjectDefinition"):
            return None
        storey = ifc_element.get_container(e, ifc_class="IfcBuildingStorey")
        element_type = ifc_element.get_type(e)
        return EntityRecord(self.model, step_id, e.GlobalId, e.is_a(), e.Name, e.Description,
                            getattr(e, "ObjectType", None), storey.Name if storey else None,
                            element_type.Name if element_type and element_type != e else None)


_geometry_settings: ifcopenshell.geom.settings | None = None


def _geometry(element: ifcopenshell.entity_instance) -> tuple[np.ndarray, np.ndarray]:
    global _geometry_settings
    empty = np.empty((0, 3), dtype=np.float64), np.empty((0, 3), dtype=np.int64)
    if not element.is_a("IfcProduct"):
        raise ValueError(f"get_geometry: #{element.id()} is an {element.is_a()}; only products "
                         "(walls, doors, spaces, ...) have a placed geometry")
    if element.Representation is None:
        return empty
    if _geometry_settings is None:
        _geometry_settings = ifcopenshell.geom.settings()
        _geometry_settings.set("use-world-coords", True)
        _geometry_settings.set("convert-back-units", False)  # keep metres, whatever the model unit
    try:
        shape: Any = ifcopenshell.geom.create_shape(_geometry_settings, element)
    except RuntimeError as exc:
        bodies = [r for r in element.Representation.Representations
                  if r.RepresentationIdentifier in ("Body", "Facetation", None)]
        if not bodies:
            return empty
        raise ValueError(f"get_geometry: the body of #{element.id()} ({element.is_a()} "
                         f"{element.Name!r}) could not be computed: {exc}") from None
    geometry = shape.geometry
    vertices = np.asarray(geometry.verts, dtype=np.float64).reshape(-1, 3)
    faces = np.asarray(geometry.faces, dtype=np.int64).reshape(-1, 3)
    return vertices, faces


def _output_path(output_dir: Path, filename: Any) -> Path:
    """The file's place in the output folder; a name leading anywhere else is refused."""
    if not isinstance(filename, str) or not filename.strip():
        raise TypeError(f"save_output: the file name must be non-empty text, not {filename!r}")
    name = PurePosixPath(filename.replace("\\", "/"))
    root = output_dir.resolve()
    if "\0" in filename or name.is_absolute() or ".." in name.parts or \
            re.match(r"[A-Za-z]:", filename):
        raise PermissionError(f"save_output: {filename!r} must stay inside the run's output "
                              "folder (use a plain name such as 'report.csv')")
    target = root.joinpath(*name.parts).resolve()  # resolve: a symlink must not lead out
    if target == root or not target.is_relative_to(root):
        raise PermissionError(f"save_output: {filename!r} must stay inside the run's output "
                              "folder (use a plain name such as 'report.csv')")
    return target


def _write(target: Path, data: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".xlsx" and isinstance(data, (Mapping, pd.DataFrame, pd.Series)):
        _write_xlsx(target, _sheets(data))
    elif isinstance(data, str):
        target.write_text(data, encoding="utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        target.write_bytes(bytes(data))
    elif isinstance(data, (dict, list, tuple)):
        text = json.dumps(to_jsonable(data, "save_output data"), indent=2, ensure_ascii=False)
        target.write_text(text + "\n", encoding="utf-8")
    elif isinstance(data, (pd.DataFrame, pd.Series)):
        frame = data.to_frame() if isinstance(data, pd.Series) else data
        frame.to_csv(target, index=False)
    elif isinstance(data, ifcopenshell.file):
        data.write(str(target))
    else:
        raise TypeError(f"save_output: cannot save an object of type {type(data).__name__}; "
                        "give text, bytes, a dict or list (saved as JSON), a DataFrame (CSV), "
                        "{sheet name: DataFrame} to an .xlsx name (an Excel workbook) "
                        "or an ifcopenshell model (IFC)")


def _sheets(data: Any) -> dict[str, pd.DataFrame]:
    """{sheet name: DataFrame} for an .xlsx file (a lone DataFrame is the sheet "Sheet1")."""
    if isinstance(data, (pd.DataFrame, pd.Series)):
        data = {"Sheet1": data}
    sheets: dict[str, pd.DataFrame] = {}
    for name, frame in data.items():
        if isinstance(frame, Properties):
            frame = frame.df
        if isinstance(frame, pd.Series):
            frame = frame.to_frame()
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"save_output: an .xlsx file takes {{sheet name: DataFrame}}; the "
                            f"sheet {name!r} is a {type(frame).__name__}")
        if not isinstance(name, str) or not _SHEET_NAME.fullmatch(name) or \
                name.strip("'") != name:
            raise ValueError(f"save_output: {name!r} cannot name a sheet: use at most 31 "
                             "characters, none of [ ] : * ? / \\, not starting or ending "
                             "with '")
        if name.lower() in (n.lower() for n in sheets):
            raise ValueError(f"save_output: two sheets are named {name!r} (Excel ignores case)")
        sheets[name] = frame
    if not sheets:
        raise ValueError("save_output: an .xlsx file needs at least one sheet")
    return sheets


def _write_xlsx(target: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """An Excel workbook, one sheet per DataFrame: a bold, frozen header row, no index column.

    Written with openpyxl in its streaming (write-only) mode, twice as fast as pandas'
    to_excel. Text stays text: control characters XML cannot hold are dropped, and a value
    that starts with "=" is stored as a string (openpyxl would store a formula, which Excel
    runs). Missing values (None, NaN, NA, NaT) leave the cell empty.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in sheets.items():
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        # The sheet's size, which a streamed sheet does not know before its rows are written
        # (readers such as openpyxl's read-only mode size their rows by it).
        size = f"A1:{get_column_letter(max(1, frame.shape[1]))}{len(frame) + 1}"
        sheet.calculate_dimension = lambda size=size: size
        header = []
        for column in frame.columns:
            cell = WriteOnlyCell(sheet, value=_xlsx_text(" / ".join(map(str, column))
                                                         if isinstance(column, tuple)
                                                         else str(column)))
            cell.font = bold
            cell.data_type = "s"
            header.append(cell)
        sheet.append(header)
        cells = frame.astype(object).where(frame.notna(), None)
        for row in cells.itertuples(index=False, name=None):
            sheet.append([_xlsx_cell(sheet, value, WriteOnlyCell) for value in row])
    book.save(target)


def _xlsx_text(value: str) -> str:
    return _XML_ILLEGAL.sub("", value) if _XML_ILLEGAL.search(value) else value


def _xlsx_cell(sheet: Any, value: Any, make_cell: Any) -> Any:
    if isinstance(value, str):
        value = _xlsx_text(value)
        if value.startswith("="):
            cell = make_cell(sheet, value=value)
            cell.data_type = "s"
            return cell
    elif isinstance(value, np.generic):
        value = value.item()
    return value


def _table(data: Any) -> tuple[Sequence[dict[str, Any]], list[str]]:
    """Rows and columns for show_table; columns in first-seen order."""
    if isinstance(data, Properties):
        data = data.df
    if isinstance(data, pd.Series):
        data = data.to_frame()
    if isinstance(data, pd.DataFrame):
        table = dataframe_columns(data, "show_table")
        return table, table.names
    rows: list[dict[str, Any]] = []
    columns: dict[str, None] = {}
    for i, row in enumerate(_iterable(data, "show_table", "data")):
        if isinstance(row, (Record, PropertyRecord)):
            row = row.as_dict()
        if not isinstance(row, Mapping):
            raise TypeError(f"show_table: row {i} is a {type(row).__name__}, not a dict; give "
                            "a DataFrame or a list of dicts")
        cells = {str(k): to_jsonable(v, f"show_table row {i} [{str(k)!r}]")
                 for k, v in row.items()}
        columns.update(dict.fromkeys(cells))
        rows.append(cells)
    names = list(columns)
    return [{c: r.get(c) for c in names} for r in rows], names


def _values(data: Any, axis: str) -> list[Any]:
    if isinstance(data, (pd.Series, pd.Index)):  # its index is not what is plotted
        data = data.tolist()
    values = to_jsonable(data, f"show_chart {axis}")
    if not isinstance(values, list):
        raise TypeError(f"show_chart: {axis} must be a list of values, not "
                        f"{type(data).__name__}")
    return values


def _color_value(value: Any) -> Any:
    """A value for color_by as a JSON scalar: numbers and text as they are, missing values
    (NaN, NA) None, anything else its text."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value) if abs(value) < MAX_INT else str(value)
    if isinstance(value, (float, decimal.Decimal, fractions.Fraction)):
        try:
            number = float(value)
        except OverflowError:  # a Fraction too large for a float
            return str(value)
        return number if math.isfinite(number) else None
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _iterable(data: Any, caller: str, what: str) -> list[Any]:
    if isinstance(data, (str, bytes, Mapping)) or not isinstance(data, Iterable):
        raise TypeError(f"{caller}: {what} must be a list, not {type(data).__name__}")
    return list(data)
