"""Turning what a script produced (its `result`, table cells, chart values) into JSON values.

Obvious conversions are made (ndarray -> list, NaN -> None, DataFrame -> records, ...); anything
else raises a TypeError that says where in the value the object sits, so the user can fix it.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import fractions
import json
import math
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import ifcopenshell
import numpy as np
import pandas as pd

from ifcscript_desktop.core.tablefile import ColumnTable
from ifcscript_desktop.worker.modelindex import Properties, PropertyRecord, Record

_SCALARS = (str, bool, int, type(None))
_SEQUENCES = (list, tuple, set, frozenset, range)


def to_jsonable(value: Any, path: str = "result") -> Any:
    """A JSON-able copy of `value`; `path` names the value in error messages."""
    return _convert(value, path, set())


def _convert(value: Any, path: str, active: set[int]) -> Any:
    if isinstance(value, _SCALARS) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, float):  # numpy.float64 included: it subclasses float
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return _convert(value.item(), path, active) if not isinstance(value, np.datetime64) \
            else _convert(pd.Timestamp(value), path, active)
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (datetime.date, datetime.time)):  # datetime and Timestamp included
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, (decimal.Decimal, fractions.Fraction)):
        return _convert(float(value), path, active)
    if isinstance(value, (PurePath, uuid.UUID)):
        return str(value)
    if isinstance(value, enum.Enum):
        return _convert(value.value, path, active)
    if isinstance(value, ifcopenshell.entity_instance):
        return _instance(value, path, active)
    if isinstance(value, (Record, PropertyRecord)):
        return _convert(value.as_dict(), path, active)
    if isinstance(value, pd.DataFrame):
        return dataframe_records(value, path)
    # Containers: guard against a value that contains itself (it would recurse forever).
    if id(value) in active:
        raise TypeError(f"{path}: the value contains itself; it cannot be shown")
    active.add(id(value))
    try:
        return _container(value, path, active)
    finally:
        active.discard(id(value))


def _container(value: Any, path: str, active: set[int]) -> Any:
    if isinstance(value, Mapping):
        return {_key(k, path): _convert(v, f"{path}[{_show_key(k)}]", active)
                for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        try:
            value = sorted(value)
        except TypeError:  # mixed types: any order will do
            value = list(value)
    if isinstance(value, _SEQUENCES):
        return [_convert(v, f"{path}[{i}]", active) for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return _convert(value.tolist(), path, active)
    if isinstance(value, pd.Series):
        if isinstance(value.index, pd.RangeIndex) and value.index.start == 0 \
                and value.index.step == 1:
            return _convert(value.tolist(), path, active)
        return _convert(value.to_dict(), path, active)
    if isinstance(value, (pd.Index, pd.Categorical)):
        return _convert(list(value), path, active)
    if isinstance(value, Properties):
        return [_convert(r.as_dict(), f"{path}[{i}]", active) for i, r in enumerate(value)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _convert(dataclasses.asdict(value), path, active)
    if isinstance(value, ifcopenshell.file):
        raise TypeError(f"{path}: a whole IFC model cannot be shown; "
                        "save it with save_output('name.ifc', model) instead")
    raise TypeError(f"{path}: an object of type {type(value).__name__} cannot be shown; "
                    "convert it to text or numbers")


def _instance(value: ifcopenshell.entity_instance, path: str, active: set[int]) -> Any:
    """An entity as a small reference; a typed value (IfcLabel('x')) as its value."""
    if not value.is_entity():
        return _convert(value.get_argument(0), path, active)
    shown: dict[str, Any] = {"id": value.id(), "type": value.is_a()}
    names = value.get_attribute_names()
    for attribute in ("GlobalId", "Name"):
        if attribute in names:
            shown[attribute] = _convert(getattr(value, attribute), path, active)
    return shown


def _key(key: Any, path: str) -> str:
    """Dict keys become strings the way json.dumps makes them."""
    if isinstance(key, str):
        return key
    if isinstance(key, np.generic):
        key = key.item()
    if isinstance(key, (bool, int, float, type(None))):
        return json.dumps(key)
    raise TypeError(f"{path}: a dict key of type {type(key).__name__} cannot be shown; "
                    "use text or numbers as keys")


def _show_key(key: Any) -> str:
    return json.dumps(key) if isinstance(key, str) else repr(key)


def dataframe_records(df: pd.DataFrame, path: str = "result") -> list[dict[str, Any]]:
    """A DataFrame as a list of row dicts, column by column (far faster than cell by cell)."""
    table = dataframe_columns(df, path)
    return list(table)


def dataframe_columns(df: pd.DataFrame, path: str = "result") -> ColumnTable:
    """A DataFrame's JSON-able cells, column by column (rows as dicts only when asked for)."""
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        raise TypeError(f"{path}: the DataFrame has duplicate column names; rename them")
    columns = []
    for position, name in enumerate(names):
        series = df.iloc[:, position]
        # Only plain numpy dtypes go the fast way: nullable ones (Int64) may hold pd.NA.
        kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else "O"
        if kind in "biu":  # ints and bools have no missing values: convert in C
            columns.append(series.to_numpy().tolist())
        elif kind == "f":
            data = series.to_numpy()
            cells = data.tolist()
            for row in np.flatnonzero(~np.isfinite(data)).tolist():
                cells[row] = None
            columns.append(cells)
        else:
            columns.append(_object_cells(series.tolist(), path, name))
    return ColumnTable(names, columns, len(df))


_PLAIN = frozenset({str, int, bool, type(None)})


def _object_cells(values: list[Any], path: str, name: str) -> list[Any]:
    """JSON-able cells of a text or object column: plain text and numbers pass as they are,
    missing values (NaN, NA, NaT) become None, anything else is converted one by one."""
    kinds = set(map(type, values))
    if kinds <= _PLAIN:
        return values
    if kinds <= _PLAIN | {float}:  # text with NaN for missing: the common pandas column
        return [None if type(v) is float and not math.isfinite(v) else v for v in values]
    return [v if type(v) in _PLAIN else _convert(v, f"{path}[{row}][{json.dumps(name)}]", set())
            for row, v in enumerate(values)]
