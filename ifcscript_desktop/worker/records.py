"""The light records a script finds in `entities`, `systems`, `materials` and `types`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

import ifcopenshell

if TYPE_CHECKING:
    import pandas as pd

R = TypeVar("R")
Instance = ifcopenshell.entity_instance


class Record:
    """Base of the index's records: slots only, a readable repr and `as_dict()`."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __init__(self, *values: Any) -> None:
        for field, value in zip(self._fields, values, strict=True):
            setattr(self, field, value)

    def as_dict(self) -> dict[str, Any]:
        """The record's fields as a plain dict (what a table or a JSON result shows)."""
        return {field: getattr(self, field) for field in self._fields}

    def __repr__(self) -> str:
        shown = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({shown})"


class EntityRecord(Record):
    """One IfcProduct. `ifc` is looked up on access so that records stay small."""

    __slots__ = ("id", "ifc_guid", "ifc_type", "name", "description", "object_type", "storey",
                 "type_name", "_model")
    _fields = ("id", "ifc_guid", "ifc_type", "name", "description", "object_type", "storey",
               "type_name")

    def __init__(self, model: ifcopenshell.file, id: int, ifc_guid: str, ifc_type: str,
                 name: str | None, description: str | None, object_type: str | None,
                 storey: str | None, type_name: str | None) -> None:
        self.id, self.ifc_guid, self.ifc_type = id, ifc_guid, ifc_type
        self.name, self.description, self.object_type = name, description, object_type
        self.storey, self.type_name, self._model = storey, type_name, model

    @property
    def ifc(self) -> Instance:
        """The ifcopenshell instance (in the run's own copy of the model)."""
        return self._model.by_id(self.id)

    def __repr__(self) -> str:
        return (f"<{self.ifc_type} #{self.id} {self.name!r} guid={self.ifc_guid}"
                f" storey={self.storey!r} type={self.type_name!r}>")


class SystemRecord(Record):
    """An IfcSystem (distribution system, circuit, zone, ...) and the ids of its members."""

    __slots__ = _fields = ("id", "ifc_guid", "ifc_type", "name", "member_ids")
    id: int
    ifc_guid: str
    ifc_type: str
    name: str | None
    member_ids: list[int]


class MaterialRecord(Record):
    """An IfcMaterial and the products using it: directly, in a set, or through their type."""

    __slots__ = _fields = ("id", "name", "category", "element_ids")
    id: int
    name: str | None
    category: str | None
    element_ids: list[int]


class TypeRecord(Record):
    """An IfcTypeObject and the ids of its occurrences."""

    __slots__ = _fields = ("id", "ifc_guid", "ifc_type", "name", "occurrence_ids")
    id: int
    ifc_guid: str
    ifc_type: str
    name: str | None
    occurrence_ids: list[int]


class RecordList(list[R], Generic[R]):
    """A plain list of records that can also show itself as a DataFrame."""

    @property
    def df(self) -> pd.DataFrame:
        """A DataFrame with one row per record (built on each access)."""
        import pandas as pd

        fields = list(getattr(self[0], "_fields", ())) if self else []
        return pd.DataFrame({f: [getattr(r, f) for r in self] for f in fields}, columns=fields)
