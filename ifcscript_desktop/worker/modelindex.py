"""The model index: light records of one parsed IFC model, built once in the worker.

It is built right after parsing and before any run child is forked, so every run shares it
copy-on-write and never rebuilds it. Everything is read in one pass over the relationship
entities rather than a `util.element` call per element (~200 µs each: longer than the parse on a
100k-element model). The property rows cost about as much as the parse again, so they are made
only when first needed: the worker calls `ensure_properties()` (in several processes) before it
forks a run whose script names `properties`; any other first use makes them where it happens.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

import ifcopenshell

from ifcscript_desktop.worker.heap import settle
from ifcscript_desktop.worker.properties import (
    COLUMNS, Columns, Offsets, Properties, PropertyRecord, build_rows)
from ifcscript_desktop.worker.propertyread import PARALLEL_MIN_RELATIONS, PropertyReading
from ifcscript_desktop.worker.records import (
    EntityRecord, Instance, MaterialRecord, Record, RecordList, SystemRecord, TypeRecord)
from ifcscript_desktop.worker.relations import Relations, StoreyFinder, by_type

__all__ = ["COLUMNS", "EntityRecord", "MaterialRecord", "ModelIndex", "Properties",
           "PropertyRecord", "Record", "RecordList", "SystemRecord", "TypeRecord"]


class ModelIndex:
    """Records of one model: entities, properties, systems, materials and types."""

    def __init__(self, model: ifcopenshell.file, model_path: str | None,
                 entities: RecordList[EntityRecord], properties: Properties,
                 systems: RecordList[SystemRecord], materials: RecordList[MaterialRecord],
                 types: RecordList[TypeRecord], timings: dict[str, float],
                 property_maker: _PropertyMaker | None = None) -> None:
        self.model, self.model_path = model, model_path
        self.entities, self.properties = entities, properties
        self.systems, self.materials, self.types = systems, materials, types
        self.timings = timings  # seconds per build phase, for the benchmarks
        self._by_id = {record.id: record for record in entities}
        self._property_maker = property_maker

    def __repr__(self) -> str:
        values = f"{len(self.properties)} property values" if self.properties.built \
            else "property values not read yet"
        return (f"<ModelIndex {self.model_path or 'unsaved model'}: {len(self.entities)} products,"
                f" {values}>")

    def entity(self, step_id: int) -> EntityRecord | None:
        """The record of a product by STEP id; None when the id is not a product."""
        return self._by_id.get(step_id)

    @property
    def properties_built(self) -> bool:
        """Whether the property rows exist (in this process)."""
        return self.properties.built

    def ensure_properties(self, processes: int | None = None,
                          min_relations: int = PARALLEL_MIN_RELATIONS) -> Properties:
        """Make the property rows now unless they exist: read in `processes` processes (None:
        one per core, at most 4; the others forked) when the model has at least
        `min_relations` property relationships. Call in the worker, before forking the runs
        that will use them."""
        maker = self._property_maker
        if maker is not None and not self.properties.built:
            self.properties.build(lambda: maker(processes, min_relations))
            self.timings["trim_s"] = self.timings.get("trim_s", 0.0) + settle()
        return self.properties

    @classmethod
    def build(cls, model: ifcopenshell.file, model_path: str | None = None, *,
              properties: bool = False, processes: int | None = None,
              min_relations: int = PARALLEL_MIN_RELATIONS) -> ModelIndex:
        """Index a parsed model. Call once, before forking run children. The property rows wait
        for their first use unless `properties`: then other processes read the property sets
        while this one indexes the rest (see `ensure_properties` for the other arguments)."""
        with _collector_paused():
            reading = PropertyReading(model, processes, min_relations) if properties else None
            try:
                index = cls._build(model, model_path)
            except BaseException:
                if reading is not None:
                    reading.cancel()
                raise
            maker = index._property_maker
            if reading is not None and maker is not None:
                index.properties.build(lambda: maker(reading=reading))
        index.timings["trim_s"] = settle()
        return index

    @classmethod
    def _build(cls, model: ifcopenshell.file, model_path: str | None) -> ModelIndex:
        clock = time.perf_counter()
        timings: dict[str, float] = {}

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[name], clock = now - clock, now

        rels = Relations(model)
        lap("relations_s")
        entities, type_ids = _build_entities(model, rels)
        lap("entities_s")
        systems = _build_systems(model)
        materials = _build_materials(model, entities, type_ids)
        types = RecordList(
            TypeRecord(t.id(), t.get_argument(0), t.is_a(), t.get_argument(2),
                       rels.occurrences.get(t.id(), []))
            for t in by_type(model, "IfcTypeObject"))
        lap("groups_s")
        maker = _PropertyMaker(model, entities, type_ids, timings)
        return cls(model, model_path, entities, Properties.deferred(maker), systems, materials,
                   types, timings, maker)


class _PropertyMaker:
    """Makes the property rows of an index when first needed (serially, unless told)."""

    def __init__(self, model: ifcopenshell.file, entities: list[EntityRecord],
                 type_ids: list[int | None], timings: dict[str, float]) -> None:
        self.model, self.entities, self.type_ids, self.timings = model, entities, type_ids, timings

    def __call__(self, processes: int | None = 1, min_relations: int = PARALLEL_MIN_RELATIONS,
                 reading: PropertyReading | None = None) -> tuple[Columns, Offsets]:
        with _collector_paused():
            started = time.perf_counter()
            if reading is None:
                reading = PropertyReading(self.model, processes, min_relations)
            sets, used = reading.finish()
            read = time.perf_counter()
            rows = build_rows(self.entities, self.type_ids, sets)
        self.timings.update(property_sets_s=read - started,
                            property_rows_s=time.perf_counter() - read, property_processes=used)
        return rows


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The build creates millions of small objects, none in cycles; the cyclic GC would rescan
    them over and over (measured: a third of the build time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build_entities(model: ifcopenshell.file,
                    rels: Relations) -> tuple[RecordList[EntityRecord], list[int | None]]:
    """A record per IfcProduct, and the id of each one's type (None when untyped)."""
    type_names = {t.id(): t.get_argument(2) for t in by_type(model, "IfcTypeObject")}
    storey_of = StoreyFinder(model, rels).name
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


def _build_systems(model: ifcopenshell.file) -> RecordList[SystemRecord]:
    """Systems and their members through IfcRelAssignsToGroup."""
    members: dict[int, list[int]] = {}
    for rel in by_type(model, "IfcRelAssignsToGroup"):
        group = rel.get_argument(6)  # RelatingGroup
        if group is not None:
            members.setdefault(group.id(), []).extend(o.id() for o in rel.get_argument(4) or ())
    return RecordList(
        SystemRecord(s.id(), s.get_argument(0), s.is_a(), s.get_argument(2),
                     members.get(s.id(), []))
        for s in by_type(model, "IfcSystem"))


def _build_materials(model: ifcopenshell.file, entities: list[EntityRecord],
                     type_ids: list[int | None]) -> RecordList[MaterialRecord]:
    """Materials and the products using them; a product without its own inherits its type's."""
    resolved: dict[int, list[int]] = {}  # relating material definition -> IfcMaterial ids
    direct: dict[int, set[int]] = {}  # occurrence or type -> IfcMaterial ids
    for rel in by_type(model, "IfcRelAssociatesMaterial"):
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
        for m in by_type(model, "IfcMaterial"))


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
