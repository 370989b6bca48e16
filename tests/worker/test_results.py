"""to_jsonable: obvious conversions made, anything else named by where it sits."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import json
import math
from pathlib import Path, PurePosixPath
from typing import Any

import ifcopenshell
import ifcopenshell.api
import numpy as np
import pandas as pd
import pytest

from ifcscript_desktop.worker.modelindex import ModelIndex
from ifcscript_desktop.worker.results import to_jsonable


class Colour(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: float
    y: float


class Foo:
    pass


def shown(value: Any) -> Any:
    converted = to_jsonable(value)
    json.dumps(converted, allow_nan=False)  # must always encode as strict JSON
    return converted


@pytest.mark.parametrize(("value", "expected"), [
    (None, None), (True, True), (3, 3), ("text", "text"), (1.5, 1.5),
    (math.nan, None), (math.inf, None), (-math.inf, None),
    (np.int64(7), 7), (np.float32(0.5), 0.5), (np.float64(np.nan), None), (np.bool_(True), True),
    (np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]]), (np.array([1.0, np.nan]), [1.0, None]),
    ((1, 2), [1, 2]), ({3, 1, 2}, [1, 2, 3]), (frozenset({"b", "a"}), ["a", "b"]), (range(3), [0, 1, 2]),
    ({"a": {"b": [np.int32(1)]}}, {"a": {"b": [1]}}), ({1: "one", None: 0}, {"1": "one", "null": 0}),
    (datetime.datetime(2024, 5, 1, 12, 30), "2024-05-01T12:30:00"),
    (datetime.date(2024, 5, 1), "2024-05-01"), (pd.Timestamp("2024-05-01"), "2024-05-01T00:00:00"),
    (pd.NaT, None), (pd.NA, None), (np.datetime64("2024-05-01"), "2024-05-01T00:00:00"),
    (datetime.timedelta(hours=2), "2:00:00"),
    (Path("/tmp/a.csv"), "/tmp/a.csv"), (PurePosixPath("a/b"), "a/b"),
    (decimal.Decimal("1.25"), 1.25), (Colour.RED, "red"), (Point(1.0, 2.0), {"x": 1.0, "y": 2.0}),
    (pd.Series([1, 2]), [1, 2]), (pd.Series({"a": 1.0, "b": np.nan}), {"a": 1.0, "b": None}),
])
def test_obvious_conversions(value: Any, expected: Any) -> None:
    assert shown(value) == expected


def test_dataframe_becomes_records_with_nan_as_null() -> None:
    df = pd.DataFrame({"n": [1, 2], "x": [0.5, np.nan], "s": ["a", None],
                       "t": pd.to_datetime(["2024-01-01", None]),
                       "i": pd.array([1, None], dtype="Int64"), 5: [True, False]})
    assert shown(df) == [
        {"n": 1, "x": 0.5, "s": "a", "t": "2024-01-01T00:00:00", "i": 1, "5": True},
        {"n": 2, "x": None, "s": None, "t": None, "i": None, "5": False}]
    assert shown(pd.DataFrame()) == []
    assert shown({"rows": pd.DataFrame({"a": [1]})}) == {"rows": [{"a": 1}]}


def test_index_records_and_ifc_entities() -> None:
    model = ifcopenshell.file(schema="IFC4")
    wall = ifcopenshell.api.run("root.create_entity", model, ifc_class="IfcWall", name="W1")
    index = ModelIndex.build(model)
    record = index.entities[0]
    assert shown(record) == record.as_dict() and shown([record])[0]["ifc_guid"] == wall.GlobalId
    assert shown(wall) == {"id": wall.id(), "type": "IfcWall", "GlobalId": wall.GlobalId,
                           "Name": "W1"}
    point = model.createIfcCartesianPoint((1.0, 2.0, 3.0))
    assert shown(point) == {"id": point.id(), "type": "IfcCartesianPoint"}
    assert shown(model.createIfcLabel("x")) == "x"  # a typed value is its value


def test_objects_that_cannot_be_shown_are_named_by_where_they_sit() -> None:
    with pytest.raises(TypeError) as info:
        to_jsonable({"rows": [1, 2, 3, Foo()]})
    assert str(info.value) == ('result["rows"][3]: an object of type Foo cannot be shown; '
                               "convert it to text or numbers")
    with pytest.raises(TypeError, match=r'^result\[0\]\["b"\]: an object of type complex'):
        to_jsonable(pd.DataFrame({"a": [1, 2], "b": [1j, 2j]}))
    with pytest.raises(TypeError, match=r"^x\[0\]: an object of type bytes"):
        to_jsonable([b"raw"], path="x")
    with pytest.raises(TypeError, match="a dict key of type tuple"):
        to_jsonable({(1, 2): 3})
    with pytest.raises(TypeError, match="save_output"):
        to_jsonable(ifcopenshell.file())


def test_a_value_that_contains_itself_is_refused() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    with pytest.raises(TypeError, match=r"result\[1\]: the value contains itself"):
        to_jsonable(loop)
    shared = [1]
    assert to_jsonable([shared, shared]) == [[1], [1]]  # shared, not circular: fine
