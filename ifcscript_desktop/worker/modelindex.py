"""The model index: light records of one parsed IFC model, built once in the worker.

It is built right after parsing and before any run child is forked, so every run shares it
copy-on-write and never rebuilds it. Everything is read in one pass over the relationship
entities: a `get_psets`/`get_container` call per element walks inverses and costs ~200 µs, which
on a 100k-element model takes longer than the parse itself.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import ifcopenshell
import ifcopenshell.util.element as ifc_element
import numpy as np
from ifcopenshell.ifcopenshell_wrapper import get_info_cpp

if TYPE_CHECKING:
    import pandas as pd

R = TypeVar("R")
Instance = ifcopenshell.entity_instance
#: One property set as stored: (pset name, "pset"/"qto", property names, values).
Segment = tuple[Any, str, tuple[str, ...], tuple[Any, ...]]


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
    property set (type properties, shared psets): list values are the same list object.
    """

    def __init__(self, columns: tuple[list[Any], ...],
                 offsets: dict[int, tuple[int, int]]) -> None:
        self._columns = columns
        self._offsets = offsets  # entity id -> (first row, end row)
        self._df: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self._columns[0])

    def __iter__(self) -> Iterator[PropertyRecord]:
        return map(PropertyRecord._make, zip(*self._columns))

    def __getitem__(self, row: int) -> PropertyRecord:
        return PropertyRecord._make(column[row] for column in self._columns)

    def __repr__(self) -> str:
        return f"<Properties: {len(self)} values of {len(self._offsets)} products>"

    @property
    def columns(self) -> dict[str, list[Any]]:
        """The columns by name (the index's own lists: treat them as read-only)."""
        return dict(zip(COLUMNS, self._columns))

    def for_entity(self, entity: int | EntityRecord) -> list[PropertyRecord]:
        """The rows of one product (by STEP id or record); empty when it has none."""
        entity_id = entity.id if isinstance(entity, EntityRecord) else entity
        start, end = self._offsets.get(entity_id, (0, 0))
        return [PropertyRecord._make(c[i] for c in self._columns) for i in range(start, end)]

    @property
    def df(self) -> pd.DataFrame:
        """The same rows as a DataFrame (columns in record order), built once and cached."""
        if self._df is None:
            import pandas as pd

            self._df = pd.DataFrame(dict(zip(COLUMNS, self._columns)), columns=list(COLUMNS))
        return self._df


class ModelIndex:
    """Records of one model: entities, properties, systems, materials and types."""

    def __init__(self, model: ifcopenshell.file, model_path: str | None,
                 entities: RecordList[EntityRecord], properties: Properties,
                 systems: RecordList[SystemRecord], materials: RecordList[MaterialRecord],
                 types: RecordList[TypeRecord], timings: dict[str, float]) -> None:
        self.model, self.model_path = model, model_path
        self.entities, self.properties = entities, properties
        self.systems, self.materials, self.types = systems, materials, types
        self.timings = timings  # seconds per build phase, for the benchmarks
        self._by_id = {record.id: record for record in entities}

    def __repr__(self) -> str:
        return (f"<ModelIndex {self.model_path or 'unsaved model'}: {len(self.entities)} products,"
                f" {len(self.properties)} property values>")

    def entity(self, step_id: int) -> EntityRecord | None:
        """The record of a product by STEP id; None when the id is not a product."""
        return self._by_id.get(step_id)

    @classmethod
    def build(cls, model: ifcopenshell.file, model_path: str | None = None) -> ModelIndex:
        """Index a parsed model. Call once, before forking run children."""
        # The build creates millions of small objects, none in cycles; the cyclic GC would
        # rescan them over and over (measured: a third of the build time).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            index = cls._build(model, model_path)
        finally:
            if gc_was_enabled:
                gc.enable()
        started = time.perf_counter()
        _release_free_memory()
        index.timings["trim_s"] = time.perf_counter() - started
        return index

    @classmethod
    def _build(cls, model: ifcopenshell.file, model_path: str | None) -> ModelIndex:
        clock = time.perf_counter()
        timings: dict[str, float] = {}

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name], clock = now - clock, now

        rels = _Relations(model)
        lap("relations_s")
        entities, type_ids = _build_entities(model, rels)
        lap("entities_s")
        rels.read_property_sets()
        lap("property_sets_s")
        properties = _build_properties(entities, type_ids, rels)
        lap("property_rows_s")
        systems = _build_systems(model)
        materials = _build_materials(model, entities, type_ids)
        types = RecordList(
            TypeRecord(t.id(), t.get_argument(0), t.is_a(), t.get_argument(2),
                       rels.occurrences.get(t.id(), []))
            for t in _by_type(model, "IfcTypeObject"))
        lap("groups_s")
        return cls(model, model_path, entities, properties, systems, materials, types, timings)


def _release_free_memory() -> None:
    """Return the build's freed temporaries to the OS (glibc keeps them): the run children's
    memory is measured, and free pages held by the worker count against it (~50 MB at 100k)."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _by_type(model: ifcopenshell.file, ifc_class: str) -> tuple[Instance, ...]:
    """`model.by_type`, empty for a class the model's schema does not have."""
    try:
        return model.by_type(ifc_class)
    except RuntimeError:
        return ()


class _Relations:
    """Child -> parent maps read from one pass over the relationship entities.

    `unsure` holds elements with two parents of one kind: util.element takes the first of the
    inverse, whose order a pass over relationships cannot know, so those ask util.element.
    """

    def __init__(self, model: ifcopenshell.file) -> None:
        self.model = model
        self.unsure: set[int] = set()
        self.contained: dict[int, int] = {}
        self.aggregate: dict[int, int] = {}
        self.nest: dict[int, int] = {}
        self.fills: dict[int, int] = {}
        self.voids: dict[int, int] = {}
        self.adheres: dict[int, int] = {}
        self.type_of: dict[int, int] = {}
        self.occurrences: dict[int, list[int]] = {}
        self.defined_by: dict[int, tuple[int, ...]] = {}  # object -> its property sets, in order
        self.definitions: dict[int, Segment] = {}
        self._type_segments: dict[int, tuple[list[Segment], frozenset[Any]]] = {}
        self._inherited: dict[Any, list[Segment]] = {}
        self.pool: dict[str, str] = {}  # one object per distinct text read
        can_be_contained: dict[str, bool] = {}
        for rel in _by_type(model, "IfcRelContainedInSpatialStructure"):
            structure = rel.get_argument(5).id()
            for child in rel.get_argument(4) or ():
                cls = child.is_a()
                if cls not in can_be_contained:  # util.element ignores a contained storey
                    can_be_contained[cls] = \
                        "ContainedInStructure" in child.get_inverse_attribute_names()
                if can_be_contained[cls]:
                    self._link(self.contained, child.id(), structure)
        # Each of these has its parent at attribute 4 and its child (or children) at 5.
        for name, mapping in (("IfcRelAggregates", self.aggregate), ("IfcRelNests", self.nest),
                              ("IfcRelFillsElement", self.fills), ("IfcRelVoidsElement", self.voids),
                              ("IfcRelAdheresToElement", self.adheres)):
            for rel in _by_type(model, name):
                parent, children = rel.get_argument(4), rel.get_argument(5)
                if parent is None or children is None:
                    continue
                for child in children if isinstance(children, tuple) else (children,):
                    self._link(mapping, child.id(), parent.id())
        if model.schema == "IFC2X3":  # one Decomposes inverse for both: its order decides
            self.unsure.update(self.aggregate.keys() & self.nest.keys())
        for rel in _by_type(model, "IfcRelDefinesByType"):
            type_id = rel.get_argument(5).id()
            children = [o.id() for o in rel.get_argument(4) or ()]
            self.occurrences.setdefault(type_id, []).extend(children)
            for child in children:
                if self.type_of.setdefault(child, type_id) != type_id:
                    self.unsure.add(child)

    def read_property_sets(self) -> None:
        """Read every property set once, and which objects each one defines, in order."""
        definitions, defined_by = self.definitions, self.defined_by
        for rel in _by_type(self.model, "IfcRelDefinesByProperties"):  # hot: kept inline
            definition = rel.get_argument(5)
            if definition is None:
                continue
            ids: tuple[int, ...] = (definition.id(),)
            if not ids[0]:  # an IfcPropertySetDefinitionSet: several sets in one relationship
                ids = tuple(d.id() for d in self._read(definition))
            elif ids[0] not in definitions:
                definitions[ids[0]] = _read_definition(definition, self.pool)
            for obj in rel.get_argument(4) or ():
                oid = obj.id()
                known = defined_by.get(oid)
                defined_by[oid] = known + ids if known else ids

    def _link(self, mapping: dict[int, int], child: int, parent: int) -> None:
        if mapping.setdefault(child, parent) != parent:
            self.unsure.add(child)

    def _read(self, definition: Instance | None) -> tuple[Instance, ...]:
        """Read definitions into `definitions`; an IfcPropertySetDefinitionSet holds several."""
        if definition is None:
            return ()
        found = (definition,) if definition.id() else tuple(definition.get_argument(0))
        for d in found:
            if d.id() not in self.definitions:
                self.definitions[d.id()] = _read_definition(d, self.pool)
        return found

    def type_id(self, element_id: int) -> int | None:
        if element_id in self.unsure:
            found = ifc_element.get_type(self.model.by_id(element_id))
            return found.id() if found else None
        return self.type_of.get(element_id)

    def merged_segments(self, element_id: int) -> list[Segment]:
        """One pset name twice: get_psets merges in IsDefinedBy order, the later value wins."""
        ordered = [d.id() for rel in self.model.by_id(element_id).IsDefinedBy
                   if rel.is_a("IfcRelDefinesByProperties")
                   for d in self._read(rel.RelatingPropertyDefinition)]
        return _merge_same_names([self.definitions[i] for i in ordered])

    def inherited(self, type_id: int, own: list[Segment]) -> list[Segment]:
        """The type's property sets, without the values the occurrence redefines."""
        cached = self._type_segments.get(type_id)
        if cached is None:
            found = self.model.by_id(type_id).HasPropertySets or ()
            read = [d.id() for definition in found for d in self._read(definition)]
            segments = _merge_same_names([self.definitions[i] for i in read])
            cached = self._type_segments[type_id] = (segments, frozenset(s[0] for s in segments))
        segments, names = cached
        clash = tuple((s[0], s[2]) for s in own if s[0] in names)
        if not clash:
            return segments
        # Occurrences of one type mostly redefine the same names: filter once per combination.
        key = (type_id, clash)
        kept = self._inherited.get(key)
        if kept is None:
            taken: dict[Any, set[str]] = {}
            for pset, seg_names in clash:
                taken.setdefault(pset, set()).update(seg_names)
            kept = self._inherited[key] = _without_names(segments, taken)
        return kept


def _read_definition(definition: Instance, pool: dict[str, str]) -> Segment:
    """One property set definition, valued exactly as `get_property_definition` values it."""
    cls = definition.is_a()
    values: dict[str, Any] | None = None
    if cls == "IfcPropertySet" or cls == "IfcElementQuantity":
        # One C++ call per set rather than a Python wrapper per property and per value.
        values = _read_info(get_info_cpp(definition, True, False), cls)
    if values is None:  # predefined sets, or properties only util.element knows how to value
        values = ifc_element.get_property_definition(definition)
        values.pop("id", None)
    kind = "qto" if cls == "IfcElementQuantity" else "pset"
    # Each read makes new strings: share equal ones, as a 100k-element model repeats the same
    # few hundred names (and many labels) a million times.
    share = pool.setdefault
    name = definition.get_argument(2)
    return (share(name, name) if name else name, kind, tuple(share(n, n) for n in values),
            tuple(share(v, v) if type(v) is str else v for v in values.values()))


def _read_info(info: dict[str, Any], cls: str) -> dict[str, Any] | None:
    """Values from a set's `get_info_cpp` dict; None when it holds an unusual property."""
    values: dict[str, Any] = {}
    if cls == "IfcElementQuantity":
        for quantity in info["Quantities"] or ():
            attribute = _QUANTITY_VALUE.get(quantity["type"])
            if attribute is None:  # complex quantity
                return None
            values[quantity["Name"]] = quantity[attribute]
        return values
    for prop in info["HasProperties"] or ():
        kind = prop["type"]
        if kind == "IfcPropertySingleValue":
            v = prop["NominalValue"]
            values[prop["Name"]] = None if v is None else v["wrappedValue"]
        elif kind == "IfcPropertyEnumeratedValue" or kind == "IfcPropertyListValue":
            vs = prop["EnumerationValues" if kind == "IfcPropertyEnumeratedValue" else "ListValues"]
            values[prop["Name"]] = [v["wrappedValue"] for v in vs] if vs else None
        else:  # bounded, table, complex, reference: get_psets has its own shapes for them
            return None
    return values


_QUANTITY_VALUE = {
    "IfcQuantityLength": "LengthValue", "IfcQuantityArea": "AreaValue",
    "IfcQuantityVolume": "VolumeValue", "IfcQuantityCount": "CountValue",
    "IfcQuantityWeight": "WeightValue", "IfcQuantityTime": "TimeValue",
    "IfcQuantityNumber": "NumberValue"}


def _merge_same_names(segments: list[Segment]) -> list[Segment]:
    """Drop values a later segment of the same pset name redefines (dict.update semantics)."""
    if len({s[0] for s in segments}) == len(segments):
        return segments
    seen: set[tuple[Any, str]] = set()
    kept: list[Segment] = []
    for pset, kind, names, values in reversed(segments):
        keep = [i for i, n in enumerate(names) if (pset, n) not in seen]
        seen.update((pset, n) for n in names)
        kept.append((pset, kind, tuple(names[i] for i in keep), tuple(values[i] for i in keep)))
    return kept[::-1]


def _without_names(segments: list[Segment], taken: dict[Any, set[str]]) -> list[Segment]:
    """The segments without the (pset, name) pairs in `taken`."""
    kept: list[Segment] = []
    for segment in segments:
        pset, kind, names, values = segment
        if pset not in taken:
            kept.append(segment)
            continue
        keep = [i for i, n in enumerate(names) if n not in taken[pset]]
        if keep:
            kept.append((pset, kind, tuple(names[i] for i in keep),
                         tuple(values[i] for i in keep)))
    return kept


class _StoreyFinder:
    """`get_container(e, ifc_class="IfcBuildingStorey")` from the maps, memoised.

    Elements in `unsure` are asked through their real inverses, exactly as util.element does.
    Unlike util.element, a cycle of parents ends the walk (no storey) instead of never ending.
    """

    def __init__(self, model: ifcopenshell.file, rels: _Relations) -> None:
        self.model, self.rels = model, rels
        self.storeys = {s.id(): s.get_argument(2) for s in model.by_type("IfcBuildingStorey")}
        self.memo: dict[int, int | None] = {}

    def name(self, element_id: int) -> str | None:
        found = self._storey(element_id)
        return self.storeys[found] if found else None

    def _storey(self, element_id: int) -> int | None:
        memo, path = self.memo, [element_id]
        found: int | None = None
        current: int | None = element_id
        while current is not None:
            if current in memo:
                found = memo[current]
                break
            container = self._contained(current)
            if container is not None:  # contained: walk up aggregates only, never the parent
                climbed: list[int | None] = [container]
                while container is not None and container not in self.storeys:
                    container = self._parent(container, aggregate_only=True)
                    if container in climbed:
                        container = None
                    climbed.append(container)
                found = container
                break
            current = self._parent(current)
            if current is None or current in path:  # no parent left, or a cycle
                break
            path.append(current)
        for step in path:
            memo[step] = found
        return found

    def _contained(self, node: int) -> int | None:
        if node not in self.rels.unsure:
            return self.rels.contained.get(node)
        rels = getattr(self.model.by_id(node), "ContainedInStructure", None)
        return rels[0].RelatingStructure.id() if rels else None

    def _parent(self, node: int, aggregate_only: bool = False) -> int | None:
        r = self.rels
        if node in r.unsure:
            element = self.model.by_id(node)
            found = ifc_element.get_aggregate(element) if aggregate_only \
                else ifc_element.get_parent(element)
            return found.id() if found else None
        if aggregate_only:
            return r.aggregate.get(node)
        # get_parent's order, its direct container aside (the caller has checked that).
        return (r.aggregate.get(node) or r.nest.get(node) or r.fills.get(node)
                or r.voids.get(node) or r.adheres.get(node))


def _build_entities(model: ifcopenshell.file,
                    rels: _Relations) -> tuple[RecordList[EntityRecord], list[int | None]]:
    """A record per IfcProduct, and the id of each one's type (None when untyped)."""
    type_names = {t.id(): t.get_argument(2) for t in _by_type(model, "IfcTypeObject")}
    storey_of = _StoreyFinder(model, rels).name
    type_id = rels.type_id
    entities: RecordList[EntityRecord] = RecordList()
    type_ids: list[int | None] = []
    for e in model.by_type("IfcProduct"):  # the hot loop: attributes by index, no util calls
        eid = e.id()
        tid = type_id(eid)
        type_ids.append(tid)
        entities.append(EntityRecord(
            model, eid, e.get_argument(0), e.is_a(), e.get_argument(2), e.get_argument(3),
            e.get_argument(4), storey_of(eid), type_names.get(tid) if tid else None))
    return entities, type_ids


def _build_properties(entities: list[EntityRecord], type_ids: list[int | None],
                      rels: _Relations) -> Properties:
    """One row per value, merged as `get_psets` merges: the occurrence wins over its type."""
    segments: list[Segment] = []
    owners: list[EntityRecord] = []  # per segment
    sources: list[str] = []  # per segment
    spans: list[tuple[int, int, int]] = []  # entity id, first segment, end segment
    defined_by, definitions, inherited_of = rels.defined_by, rels.definitions, rels.inherited
    for record, type_id in zip(entities, type_ids):
        ids = defined_by.get(record.id)
        own = [definitions[i] for i in ids] if ids else []
        if len(own) > 1 and len({s[0] for s in own}) < len(own):
            own = rels.merged_segments(record.id)
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
    return Properties(columns, offsets)


def _build_systems(model: ifcopenshell.file) -> RecordList[SystemRecord]:
    """Systems and their members through IfcRelAssignsToGroup."""
    members: dict[int, list[int]] = {}
    for rel in _by_type(model, "IfcRelAssignsToGroup"):
        group = rel.get_argument(6)  # RelatingGroup
        if group is not None:
            members.setdefault(group.id(), []).extend(o.id() for o in rel.get_argument(4) or ())
    return RecordList(
        SystemRecord(s.id(), s.get_argument(0), s.is_a(), s.get_argument(2),
                     members.get(s.id(), []))
        for s in _by_type(model, "IfcSystem"))


def _build_materials(model: ifcopenshell.file, entities: list[EntityRecord],
                     type_ids: list[int | None]) -> RecordList[MaterialRecord]:
    """Materials and the products using them; a product without its own inherits its type's."""
    resolved: dict[int, list[int]] = {}  # relating material definition -> IfcMaterial ids
    direct: dict[int, set[int]] = {}  # occurrence or type -> IfcMaterial ids
    for rel in _by_type(model, "IfcRelAssociatesMaterial"):
        definition = rel.get_argument(5)  # RelatingMaterial
        if definition is None:
            continue
        if definition.id() not in resolved:
            resolved[definition.id()] = [m.id() for m in _materials_of(definition)]
        for obj in rel.get_argument(4) or ():
            direct.setdefault(obj.id(), set()).update(resolved[definition.id()])
    users: dict[int, list[int]] = {}
    for record, type_id in zip(entities, type_ids):
        # As util.element.get_material: the type's material counts only when the occurrence
        # has none of its own.
        found = direct.get(record.id) or (direct.get(type_id) if type_id else None)
        for material in sorted(found or ()):
            users.setdefault(material, []).append(record.id)
    return RecordList(
        MaterialRecord(m.id(), m.get_argument(0), m.get_argument(2) if len(m) > 2 else None,
                       users.get(m.id(), []))  # IFC2X3 materials have no Category
        for m in _by_type(model, "IfcMaterial"))


def _materials_of(definition: Instance) -> list[Instance]:
    """The IfcMaterial objects behind a material select (sets, usages, layers, ...)."""
    if definition.is_a("IfcMaterial"):
        return [definition]
    if definition.is_a("IfcMaterialList"):
        return [m for m in definition.Materials or () if m is not None]
    if definition.is_a("IfcMaterialLayerSetUsage"):
        return _materials_of(definition.ForLayerSet)
    if definition.is_a("IfcMaterialProfileSetUsage"):
        found = _materials_of(definition.ForProfileSet)
        if definition.is_a("IfcMaterialProfileSetUsageTapering"):
            found += _materials_of(definition.ForProfileEndSet)
        return found
    for set_class, parts_attribute in (("IfcMaterialLayerSet", "MaterialLayers"),
                                       ("IfcMaterialProfileSet", "MaterialProfiles"),
                                       ("IfcMaterialConstituentSet", "MaterialConstituents")):
        if definition.is_a(set_class):
            parts = getattr(definition, parts_attribute) or ()
            return [p.Material for p in parts if p.Material is not None]
    material = getattr(definition, "Material", None)  # a single layer, profile or constituent
    return [material] if material is not None else []
