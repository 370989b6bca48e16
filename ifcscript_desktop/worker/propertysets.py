"""Property set definitions read once, valued exactly as `ifcopenshell.util.element` values them.

The reading is the costly part of the property rows (~2 µs per value through ifcopenshell's
Python API), so it is done in one pass over IfcRelDefinesByProperties, with one C++ call per
property or per set rather than a Python wrapper per attribute; `worker.propertyread` splits the
pass between processes on large models.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import repeat
from typing import Any

import ifcopenshell
import ifcopenshell.util.element as ifc_element
from ifcopenshell.ifcopenshell_wrapper import get_info_cpp

from ifcscript_desktop.worker.relations import by_type

Instance = ifcopenshell.entity_instance
#: One property set as stored: (pset name, "pset"/"qto", property names, values).
Segment = tuple[Any, str, tuple[str, ...], tuple[Any, ...]]
#: What one pass over some relationships found: the definitions it read (None for those only
#: util.element can value, read afterwards) and, per object, the ids of its sets in order.
Chunk = tuple[dict[int, Segment | None], dict[int, tuple[int, ...]]]
#: Sets at least this long are read with one recursive C++ call even when they carry an owner
#: history (which that call copies each time: ~5 µs, paid back by the saved per-property calls;
#: measured on exported models, whose sets mostly hold 1 to 7 or else 15 to 40 properties).
WHOLE_SET_MIN = 12

_UNUSUAL = object()  # a property only util.element knows how to value
_QUANTITY_VALUE = {
    "IfcQuantityLength": "LengthValue", "IfcQuantityArea": "AreaValue",
    "IfcQuantityVolume": "VolumeValue", "IfcQuantityCount": "CountValue",
    "IfcQuantityWeight": "WeightValue", "IfcQuantityTime": "TimeValue",
    "IfcQuantityNumber": "NumberValue"}


class SetReader:
    """Reads property set definitions into segments, sharing equal texts between them."""

    def __init__(self, model: ifcopenshell.file) -> None:
        # Without owner histories a recursive get_info of a whole set is the cheapest read;
        # with them it would copy the owner history's entities for every set.
        self.whole_sets = not by_type(model, "IfcOwnerHistory")
        self.pool: dict[str, str] = {}  # one object per distinct text read
        self.name_lists: dict[tuple[str, ...], tuple[str, ...]] = {}  # likewise per names list
        self._large: dict[Any, bool] = {}  # set name -> whether the last one was large

    def read_relations(self, rels: Sequence[Instance]) -> Chunk:
        """Read the sets these relationships assign, and which objects each defines, in order."""
        definitions: dict[int, Segment | None] = {}
        defined_by: dict[int, tuple[int, ...]] = {}
        read = self.read_quickly
        for rel in rels:  # hot: kept inline
            definition = rel.get_argument(5)
            if definition is None:
                continue
            ids: tuple[int, ...] = (definition.id(),)
            if not ids[0]:  # an IfcPropertySetDefinitionSet: several sets in one relationship
                found = tuple(definition.get_argument(0))
                ids = tuple(d.id() for d in found)
                for d in found:
                    if d.id() not in definitions:
                        definitions[d.id()] = read(d)
            elif ids[0] not in definitions:
                definitions[ids[0]] = read(definition)
            for obj in rel.get_argument(4) or ():
                oid = obj.id()
                known = defined_by.get(oid)
                defined_by[oid] = known + ids if known else ids
        return definitions, defined_by

    def read(self, definition: Instance) -> Segment:
        """One definition, whatever it holds."""
        return self.read_quickly(definition) or self.read_slowly(definition)

    def read_quickly(self, definition: Instance) -> Segment | None:
        """A property set or quantity set of common values; None for anything else."""
        cls = definition.is_a()
        if cls == "IfcPropertySet":
            members_at, members_name = 4, "HasProperties"
        elif cls == "IfcElementQuantity":
            members_at, members_name = 5, "Quantities"
        else:
            return None
        name = definition.get_argument(2)
        infos: Sequence[dict[str, Any]] | Iterator[dict[str, Any]]
        if self.whole_sets or self._large.get(name, False):  # one C++ call for everything
            infos = get_info_cpp(definition, True, False)[members_name] or ()
            size = len(infos)
        else:
            members = definition.get_argument(members_at) or ()
            size = len(members)
            if size >= WHOLE_SET_MIN:
                infos = get_info_cpp(definition, True, False)[members_name] or ()
            else:  # one call per property: no copy of the set's owner history
                infos = map(get_info_cpp, members, repeat(True), repeat(False))
        # Sets of one name have much the same size: the next one is read the same way.
        self._large[name] = size >= WHOLE_SET_MIN
        values: dict[str, Any] = {}
        for info in infos:
            if info["type"] == "IfcPropertySingleValue":  # most of them: inline
                value = info["NominalValue"]
                values[info["Name"]] = None if value is None else value["wrappedValue"]
                continue
            value = _value_of(info)
            if value is _UNUSUAL:
                return None
            values[info["Name"]] = value
        return self._segment(name, cls, values)

    def read_slowly(self, definition: Instance) -> Segment:
        """Predefined sets and unusual properties, valued by util.element itself."""
        values = ifc_element.get_property_definition(definition)
        values.pop("id", None)
        return self._segment(definition.get_argument(2), definition.is_a(), values)

    def _segment(self, name: Any, cls: str, values: dict[str, Any]) -> Segment:
        # Each read makes new strings: share equal ones, as a 100k-element model repeats the
        # same few hundred names (and many labels) a million times, in a few lists of names.
        share = self.pool.setdefault
        read = tuple(values)
        names = self.name_lists.get(read)
        if names is None:
            names = self.name_lists[read] = tuple(share(n, n) for n in read)
        return (share(name, name) if name else name,
                "qto" if cls == "IfcElementQuantity" else "pset", names,
                tuple(share(v, v) if type(v) is str else v for v in values.values()))


def _value_of(info: dict[str, Any]) -> Any:
    """A property's or quantity's value from its get_info dict, as util.element values it."""
    kind = info["type"]
    if kind == "IfcPropertySingleValue":
        v = info["NominalValue"]
        return None if v is None else v["wrappedValue"]
    if kind == "IfcPropertyEnumeratedValue" or kind == "IfcPropertyListValue":
        vs = info["EnumerationValues" if kind == "IfcPropertyEnumeratedValue" else "ListValues"]
        return [v["wrappedValue"] for v in vs] if vs else None
    attribute = _QUANTITY_VALUE.get(kind)
    # Bounded, table, complex or reference properties, complex quantities: get_psets has its
    # own shapes for them.
    return _UNUSUAL if attribute is None else info[attribute]


class PropertySets:
    """Every property set of a model, and which sets define each object, in order."""

    def __init__(self, model: ifcopenshell.file, reader: SetReader) -> None:
        self.model, self.reader = model, reader
        self.definitions: dict[int, Segment] = {}
        self.defined_by: dict[int, tuple[int, ...]] = {}  # object -> its property sets, in order
        self._type_segments: dict[int, tuple[list[Segment], frozenset[Any]]] = {}
        self._inherited: dict[Any, list[Segment]] = {}

    def add(self, chunk: Chunk) -> None:
        """Take in what a pass over the relationships found; call in relationship order."""
        found, links = chunk
        definitions, defined_by = self.definitions, self.defined_by
        for definition_id, segment in found.items():
            if segment is None:
                segment = self.reader.read_slowly(self.model.by_id(definition_id))
            definitions[definition_id] = segment
        if not defined_by:
            defined_by.update(links)
            return
        for oid, ids in links.items():
            known = defined_by.get(oid)
            defined_by[oid] = known + ids if known else ids

    def merged_segments(self, element_id: int) -> list[Segment]:
        """One pset name twice: get_psets merges in IsDefinedBy order, the later value wins."""
        ordered = [d.id() for rel in self.model.by_id(element_id).IsDefinedBy
                   if rel.is_a("IfcRelDefinesByProperties")
                   for d in self._read(rel.RelatingPropertyDefinition)]
        return merge_same_names([self.definitions[i] for i in ordered])

    def inherited(self, type_id: int, own: list[Segment]) -> list[Segment]:
        """The type's property sets, without the values the occurrence redefines."""
        cached = self._type_segments.get(type_id)
        if cached is None:
            found = self.model.by_id(type_id).HasPropertySets or ()
            read = [d.id() for definition in found for d in self._read(definition)]
            segments = merge_same_names([self.definitions[i] for i in read])
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

    def _read(self, definition: Instance | None) -> tuple[Instance, ...]:
        """Read definitions into `definitions`; an IfcPropertySetDefinitionSet holds several."""
        if definition is None:
            return ()
        found = (definition,) if definition.id() else tuple(definition.get_argument(0))
        for d in found:
            if d.id() not in self.definitions:
                self.definitions[d.id()] = self.reader.read(d)
        return found


def merge_same_names(segments: list[Segment]) -> list[Segment]:
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
