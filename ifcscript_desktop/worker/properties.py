"""The `properties` of the script context: one row per property or quantity value of a product."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ifcscript_desktop.worker.propertysets import PropertySets, Segment
from ifcscript_desktop.worker.records import EntityRecord

if TYPE_CHECKING:
    import pandas as pd

Columns = tuple[list[Any], ...]
Offsets = dict[int, tuple[int, int]]  # entity id -> (first row, end row)


class PropertyRecord(NamedTuple):
    """One property or quantity value of one product."""

    entity_id: int
    ifc_guid: str
    pset: str | None
    name: str
    value: Any
    kind: str  # "pset" or "qto"
    source: str  # "occurrence" or "type"

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()


COLUMNS = PropertyRecord._fields


class Properties:
    """Every property and quantity value of every product, as parallel columns.

    Rows of one product are contiguous. Values are shared between the products that share a
    property set (type properties, shared psets): list values are the same list object. The
    rows of a `deferred` collection are made on its first use.
    """

    def __init__(self, columns: Columns, offsets: Offsets) -> None:
        self._columns: Columns | None = columns
        self._offsets: Offsets | None = offsets
        self._make: Callable[[], tuple[Columns, Offsets]] | None = None
        self._df: pd.DataFrame | None = None

    @classmethod
    def deferred(cls, make: Callable[[], tuple[Columns, Offsets]]) -> Properties:
        """A collection whose rows `make` returns when they are first needed."""
        properties = cls((), {})
        properties._columns = properties._offsets = None
        properties._make = make
        return properties

    @property
    def built(self) -> bool:
        """Whether the rows exist yet (reading `built` does not make them)."""
        return self._columns is not None

    def build(self, make: Callable[[], tuple[Columns, Offsets]] | None = None) -> None:
        """Make the rows now if they are not made yet (with `make` instead of the collection's
        own maker: the worker's faster way)."""
        if self._make is not None:
            self._columns, self._offsets = (make or self._make)()
            self._make = None

    def _data(self) -> tuple[Columns, Offsets]:
        if self._columns is None or self._offsets is None:
            self.build()
            assert self._columns is not None and self._offsets is not None
        return self._columns, self._offsets

    def __len__(self) -> int:
        return len(self._data()[0][0])

    def __iter__(self) -> Iterator[PropertyRecord]:
        return map(PropertyRecord._make, zip(*self._data()[0]))

    def __getitem__(self, row: int) -> PropertyRecord:
        return PropertyRecord._make(column[row] for column in self._data()[0])

    def __repr__(self) -> str:
        if not self.built:
            return "<Properties: not read yet>"
        return f"<Properties: {len(self)} values of {len(self._data()[1])} products>"

    @property
    def columns(self) -> dict[str, list[Any]]:
        """The columns by name (the index's own lists: treat them as read-only)."""
        return dict(zip(COLUMNS, self._data()[0]))

    def for_entity(self, entity: int | EntityRecord) -> list[PropertyRecord]:
        """The rows of one product (by STEP id or record); empty when it has none."""
        columns, offsets = self._data()
        entity_id = entity.id if isinstance(entity, EntityRecord) else entity
        start, end = offsets.get(entity_id, (0, 0))
        return [PropertyRecord._make(c[i] for c in columns) for i in range(start, end)]

    @property
    def df(self) -> pd.DataFrame:
        """The same rows as a DataFrame (columns in record order), built once and cached."""
        if self._df is None:
            import pandas as pd

            self._df = pd.DataFrame(dict(zip(COLUMNS, self._data()[0])), columns=list(COLUMNS))
        return self._df


def build_rows(entities: list[EntityRecord], type_ids: list[int | None],
               sets: PropertySets) -> tuple[Columns, Offsets]:
    """One row per value, merged as `get_psets` merges: the occurrence wins over its type."""
    segments: list[Segment] = []
    owners: list[EntityRecord] = []  # per segment
    sources: list[str] = []  # per segment
    spans: list[tuple[int, int, int]] = []  # entity id, first segment, end segment
    defined_by, definitions, inherited_of = sets.defined_by, sets.definitions, sets.inherited
    for record, type_id in zip(entities, type_ids):
        ids = defined_by.get(record.id)
        own = [definitions[i] for i in ids] if ids else []
        if len(own) > 1 and len({s[0] for s in own}) < len(own):
            own = sets.merged_segments(record.id)
        inherited = inherited_of(type_id, own) if type_id else []
        count = len(own) + len(inherited)
        if count:
            spans.append((record.id, len(segments), len(segments) + count))
            segments += inherited
            segments += own
            owners += repeat(record, count)
            sources += repeat("type", len(inherited))
            sources += repeat("occurrence", len(own))
    # Rows are made from the segments in C (numpy.repeat, chain), not one by one in Python.
    lengths = np.fromiter((len(s[2]) for s in segments), dtype=np.int64, count=len(segments))
    starts = np.concatenate(([0], np.cumsum(lengths))).tolist()

    def expand(per_segment: list[Any]) -> list[Any]:
        return np.repeat(np.array(per_segment, dtype=object), lengths).tolist()

    columns = (
        expand([r.id for r in owners]),  # object repeat: rows share the record's int
        expand([r.ifc_guid for r in owners]),
        expand([s[0] for s in segments]),
        list(chain.from_iterable(s[2] for s in segments)),
        list(chain.from_iterable(s[3] for s in segments)),
        expand([s[1] for s in segments]),
        expand(sources),
    )
    offsets = {eid: (starts[first], starts[end]) for eid, first, end in spans
               if starts[end] > starts[first]}
    return columns, offsets
