"""Synthetic IFC4 models for the benchmarks, generated quickly and cached.

A model of about N products: a project, site, building and storeys; walls, slabs, columns, beams,
doors and windows in openings, pipe and duct segments, terminals and furniture, each with an
extruded-area-solid body (doors, windows, openings, terminals and furniture share one per type);
types with a type property set and materials (layer sets on wall and slab types, used by their
occurrences through a layer set usage); containment in storeys; per occurrence a standard property
set (`PROPERTIES_PER_ELEMENT` values: the knob that sizes the file, tuned so the 100k model is
about 100 MB) and element quantities; distribution systems (water and air) with their members.

A separate model of mapped items (`generate_mapped`, cached as `synthetic-mapped-<size>-v<N>.ifc`):
half as many products as the size (10k at `20k`), every one an `IfcFurniture` whose body is an
`IfcMappedItem` of the one representation map of one `IfcFurnitureType` (a desk: a top, four round
legs and a modesty panel, in two surface styles), placed on a grid in storeys in four
orientations. Each occurrence has its own shape representation and mapped item, as exporters
write them; only the map is shared. It measures whether a shared type mesh is held once.

Entities are created in bulk with `model.create_entity` (the `ifcopenshell.api` per element would
take hours at 100k). Values come from a seeded generator, so a size always gives the same file.
Files are cached in `bench/models/` under a name holding the size and `GENERATOR_VERSION`.

    python bench/synthetic.py 20k            # prints the cached (or new) file's path
    python bench/synthetic.py 5000 --out m.ifc
    python bench/synthetic.py 20k --mapped   # the mapped-items model of that size
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ifcopenshell
import ifcopenshell.guid

#: Bump whenever the generated content changes, so stale cached files are not reused.
GENERATOR_VERSION = 2
#: The same for the mapped-items model (its own number, so the other models stay as they are).
MAPPED_VERSION = 1
MODELS_DIR = Path(__file__).resolve().parent / "models"
SIZES = {"tiny": 200, "2k": 2_000, "20k": 20_000, "100k": 100_000}
#: Property values per occurrence (its standard set first, the rest in a `Synthetic_Data` set);
#: the knob that sizes the file: tuned so the 100k model is about 100 MB.
PROPERTIES_PER_ELEMENT = 2


@dataclass(frozen=True)
class Kind:
    """One class of element the generator makes."""

    ifc_class: str
    type_class: str | None
    share: float  # of the elements
    pset: str
    props: tuple[tuple[str, str], ...]  # (property name, value kind) of the occurrence pset
    qto: str
    quantities: tuple[tuple[str, str], ...]  # (quantity name, IfcQuantity class)
    size: tuple[float, float, float]  # profile x, profile y, extrusion depth (metres)
    shared_body: bool = False  # one body per type (doors, windows, ...) instead of one each
    layered: bool = False  # a layer set on the type and a layer set usage on occurrences


_LEN, _AREA, _VOL = "IfcQuantityLength", "IfcQuantityArea", "IfcQuantityVolume"
KINDS = (
    Kind("IfcWall", "IfcWallType", 0.25, "Pset_WallCommon",
         (("Reference", "id"), ("IsExternal", "bool"), ("LoadBearing", "bool"),
          ("FireRating", "label"), ("ThermalTransmittance", "u"), ("Status", "enum")),
         "Qto_WallBaseQuantities",
         (("Length", _LEN), ("NetSideArea", _AREA), ("NetVolume", _VOL)), (5.0, 0.2, 3.0),
         layered=True),
    Kind("IfcSlab", "IfcSlabType", 0.04, "Pset_SlabCommon",
         (("Reference", "id"), ("IsExternal", "bool"), ("LoadBearing", "bool"),
          ("FireRating", "label"), ("PitchAngle", "real")),
         "Qto_SlabBaseQuantities",
         (("Width", _LEN), ("NetArea", _AREA), ("NetVolume", _VOL)),
         (8.0, 6.0, 0.25), layered=True),
    Kind("IfcColumn", "IfcColumnType", 0.08, "Pset_ColumnCommon",
         (("Reference", "id"), ("IsExternal", "bool"), ("LoadBearing", "bool"),
          ("FireRating", "label"), ("Slope", "real")),
         "Qto_ColumnBaseQuantities", (("Length", _LEN), ("NetVolume", _VOL)), (0.4, 0.4, 3.0)),
    Kind("IfcBeam", "IfcBeamType", 0.08, "Pset_BeamCommon",
         (("Reference", "id"), ("IsExternal", "bool"), ("LoadBearing", "bool"),
          ("FireRating", "label"), ("Span", "len")),
         "Qto_BeamBaseQuantities", (("Length", _LEN), ("NetVolume", _VOL)), (0.3, 0.5, 6.0)),
    Kind("IfcDoor", "IfcDoorType", 0.07, "Pset_DoorCommon",
         (("Reference", "id"), ("IsExternal", "bool"), ("FireRating", "label"),
          ("AcousticRating", "label"), ("HandicapAccessible", "bool"), ("SelfClosing", "bool")),
         "Qto_DoorBaseQuantities", (("Width", _LEN), ("Height", _LEN), ("Area", _AREA)),
         (1.0, 0.1, 2.1), shared_body=True),
    Kind("IfcWindow", "IfcWindowType", 0.10, "Pset_WindowCommon",
         (("Reference", "id"), ("IsExternal", "bool"), ("FireRating", "label"),
          ("ThermalTransmittance", "u"), ("GlazingAreaFraction", "real")),
         "Qto_WindowBaseQuantities", (("Width", _LEN), ("Height", _LEN), ("Area", _AREA)),
         (1.2, 0.1, 1.4), shared_body=True),
    Kind("IfcOpeningElement", None, 0.17, "Pset_OpeningElementCommon",
         (("Reference", "id"), ("Purpose", "label"), ("FireExit", "bool")),
         "Qto_OpeningElementBaseQuantities", (("Width", _LEN), ("Height", _LEN), ("Depth", _LEN)),
         (1.2, 0.3, 2.1), shared_body=True),
    Kind("IfcPipeSegment", "IfcPipeSegmentType", 0.08, "Pset_PipeSegmentOccurrence",
         (("InteriorRoughnessCoefficient", "len"), ("Color", "label"), ("Gradient", "real")),
         "Qto_PipeSegmentBaseQuantities", (("Length", _LEN), ("GrossCrossSectionArea", _AREA)),
         (0.05, 0.05, 4.0)),
    Kind("IfcDuctSegment", "IfcDuctSegmentType", 0.06, "Pset_DuctSegmentOccurrence",
         (("InteriorRoughnessCoefficient", "len"), ("HasLiner", "bool"), ("Color", "label")),
         "Qto_DuctSegmentBaseQuantities", (("Length", _LEN), ("GrossCrossSectionArea", _AREA)),
         (0.4, 0.3, 4.0)),
    Kind("IfcAirTerminal", "IfcAirTerminalType", 0.03, "Pset_AirTerminalOccurrence",
         (("AirflowType", "label"), ("Location", "label")),
         "Qto_AirTerminalBaseQuantities", (("GrossWeight", "IfcQuantityWeight"),),
         (0.6, 0.6, 0.2), shared_body=True),
    Kind("IfcSanitaryTerminal", "IfcSanitaryTerminalType", 0.02, "Pset_ManufacturerOccurrence",
         (("SerialNumber", "id"), ("BarCode", "id"), ("AcquisitionDate", "label")),
         "Qto_SanitaryTerminalBaseQuantities", (("GrossWeight", "IfcQuantityWeight"),),
         (0.5, 0.4, 0.8), shared_body=True),
    Kind("IfcFurniture", "IfcFurnitureType", 0.02, "Pset_ManufacturerOccurrence",
         (("SerialNumber", "id"), ("BarCode", "id"), ("AcquisitionDate", "label")),
         "Qto_FurnitureBaseQuantities", (("GrossWeight", "IfcQuantityWeight"),),
         (1.6, 0.8, 0.75), shared_body=True),
)
_KIND = {k.ifc_class: k for k in KINDS}
MATERIALS = ("Concrete C30/37", "Brick", "Mineral wool", "Gypsum board", "Steel S355", "Timber GL24h",
             "Glass", "Aluminium", "Copper", "PVC", "Galvanised steel", "Oak")
FIRE_RATINGS = ("REI 30", "REI 60", "REI 90", "EI 30", "none")
STATUS = ("NEW", "EXISTING", "DEMOLISH", "TEMPORARY")
#: Mandatory attributes some type classes have besides PredefinedType.
_TYPE_EXTRAS = {"IfcDoorType": {"OperationType": "SINGLE_SWING_LEFT"},
                "IfcWindowType": {"PartitioningType": "SINGLE_PANEL"},
                "IfcFurnitureType": {"AssemblyPlace": "FACTORY"}}
_VALUE_CLASS = {"id": "IfcIdentifier", "label": "IfcLabel", "bool": "IfcBoolean",
                "real": "IfcReal", "len": "IfcPositiveLengthMeasure",
                "u": "IfcThermalTransmittanceMeasure", "int": "IfcInteger"}


def size_products(size: str) -> int:
    """Products of a named size (`tiny`, `2k`, ...) or a plain number."""
    if size in SIZES:
        return SIZES[size]
    try:
        return int(size)
    except ValueError:
        raise ValueError(f"unknown size {size!r}: use {', '.join(SIZES)} or a number") from None


def cached_path(size: str, models_dir: Path = MODELS_DIR) -> Path:
    return models_dir / f"synthetic-{size}-v{GENERATOR_VERSION}.ifc"


def mapped_path(size: str, models_dir: Path = MODELS_DIR) -> Path:
    return models_dir / f"synthetic-mapped-{size}-v{MAPPED_VERSION}.ifc"


def mapped_copies(size: str) -> int:
    """Mapped copies in the mapped-items model of `size`: half its products (10k at 20k)."""
    return max(2, size_products(size) // 2)


def ensure_model(size: str, models_dir: Path = MODELS_DIR, log: Any = None) -> Path:
    """The cached model of `size`, generated first if missing."""
    return _ensure(cached_path(size, models_dir), f"the {size} model ({size_products(size)} "
                   "products)", lambda out: generate(size_products(size), out), log)


def ensure_mapped_model(size: str, models_dir: Path = MODELS_DIR, log: Any = None) -> Path:
    """The cached mapped-items model of `size`, generated first if missing."""
    copies = mapped_copies(size)
    return _ensure(mapped_path(size, models_dir), f"the {size} mapped-items model ({copies} "
                   "copies of one type)", lambda out: generate_mapped(copies, out), log)


def _ensure(path: Path, what: str, write: Any, log: Any) -> Path:
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if log:
        log(f"generating {what} ...")
    fd, tmp = tempfile.mkstemp(suffix=".ifc.part", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)  # atomic: a half-written file is never taken for a cached one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if log:
        log(f"  {path.name}: {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
    return path


def generate(products: int, path: Path, seed: int = 1) -> dict[str, int]:
    """Write a synthetic model of about `products` IfcProducts to `path`; return counts."""
    builder = _Builder(seed)
    counts = builder.build(products)
    builder.model.write(str(path))
    return counts


def generate_mapped(copies: int, path: Path, seed: int = 1) -> dict[str, int]:
    """Write the mapped-items model (`copies` mapped occurrences of one type) to `path`."""
    builder = _Builder(seed)
    counts = builder.build_mapped(copies)
    builder.model.write(str(path))
    return counts


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.model = ifcopenshell.file(schema="IFC4")
        self.c = self.model.create_entity

    def guid(self) -> str:
        return ifcopenshell.guid.compress("%032x" % self.rng.getrandbits(128))

    # -- fixed parts -----------------------------------------------------------------------------
    def _header(self) -> None:
        c = self.c
        self.origin = c("IfcCartesianPoint", (0.0, 0.0, 0.0))
        self.z = c("IfcDirection", (0.0, 0.0, 1.0))
        self.x = c("IfcDirection", (1.0, 0.0, 0.0))
        self.origin_axis = c("IfcAxis2Placement3D", self.origin, None, None)
        self.profile_axis = c("IfcAxis2Placement2D", c("IfcCartesianPoint", (0.0, 0.0)), None)
        person = c("IfcPerson", FamilyName="Bench", GivenName="Synthetic")
        org = c("IfcOrganization", Name="IFC Script Desktop")
        app = c("IfcApplication", org, str(GENERATOR_VERSION), "IFC Script Desktop synthetic model",
                "ifcscript-bench")
        self.owner = c("IfcOwnerHistory", c("IfcPersonAndOrganization", person, org), app,
                       None, "ADDED", None, None, None, 1_700_000_000)
        units = [c("IfcSIUnit", UnitType="LENGTHUNIT", Name="METRE"),
                 c("IfcSIUnit", UnitType="AREAUNIT", Name="SQUARE_METRE"),
                 c("IfcSIUnit", UnitType="VOLUMEUNIT", Name="CUBIC_METRE"),
                 c("IfcSIUnit", UnitType="MASSUNIT", Prefix="KILO", Name="GRAM"),
                 c("IfcSIUnit", UnitType="PLANEANGLEUNIT", Name="RADIAN")]
        context = c("IfcGeometricRepresentationContext", None, "Model", 3, 1e-5,
                    self.origin_axis, None)
        self.body_context = c("IfcGeometricRepresentationSubContext", ContextIdentifier="Body",
                              ContextType="Model", ParentContext=context, TargetView="MODEL_VIEW")
        self.project = c("IfcProject", self.guid(), self.owner, "Synthetic project", None, None,
                         None, None, [context], c("IfcUnitAssignment", units))

    def _spatial(self, storeys: int) -> None:
        c = self.c
        site_place = c("IfcLocalPlacement", None, self.origin_axis)
        building_place = c("IfcLocalPlacement", site_place, self.origin_axis)
        site = c("IfcSite", self.guid(), self.owner, "Site", None, None, site_place, None, None,
                 "ELEMENT")
        self.building = c("IfcBuilding", self.guid(), self.owner, "Building A", None, None,
                          building_place, None, None, "ELEMENT")
        self.storeys = []
        for i in range(storeys):
            axis = c("IfcAxis2Placement3D", c("IfcCartesianPoint", (0.0, 0.0, 3.2 * i)), None, None)
            place = c("IfcLocalPlacement", building_place, axis)
            self.storeys.append(c("IfcBuildingStorey", self.guid(), self.owner, f"Level {i:02d}",
                                  None, None, place, None, None, "ELEMENT", 3.2 * i))
        self._aggregate(self.project, [site])
        self._aggregate(site, [self.building])
        self._aggregate(self.building, self.storeys)

    def _aggregate(self, whole: Any, parts: list[Any]) -> None:
        self.c("IfcRelAggregates", self.guid(), self.owner, None, None, whole, parts)

    # -- types and materials --------------------------------------------------------------------
    def _types(self, per_kind: int) -> None:
        c, rng = self.c, self.rng
        materials = [c("IfcMaterial", name, None, category)
                     for name, category in zip(MATERIALS, ("Concrete", "Masonry", "Insulation",
                                                           "Finish", "Steel", "Wood", "Glass",
                                                           "Metal", "Metal", "Plastic", "Metal",
                                                           "Wood"))]
        self.types: dict[str, list[dict[str, Any]]] = {}
        self.untyped_bodies: dict[str, Any] = {}
        for kind in KINDS:
            if kind.type_class is None:
                continue
            entries = []
            for t in range(per_kind):
                name = f"{kind.ifc_class[3:]} type {t + 1:02d}"
                props = [self._prop("Manufacturer", "label", f"Maker {rng.randint(1, 9)}"),
                         self._prop("ModelLabel", "label", f"{name} model"),
                         self._prop("ModelReference", "id", f"REF-{rng.randint(1000, 9999)}"),
                         self._prop("ProductionYear", "int", rng.randint(2010, 2024))]
                type_pset = c("IfcPropertySet", self.guid(), self.owner,
                              "Pset_ManufacturerTypeInformation", None, props)
                type_obj = c(kind.type_class, GlobalId=self.guid(), OwnerHistory=self.owner,
                             Name=name, HasPropertySets=[type_pset], PredefinedType="NOTDEFINED",
                             **_TYPE_EXTRAS.get(kind.type_class, {}))
                entry: dict[str, Any] = {"type": type_obj, "occurrences": [], "name": name}
                if kind.layered:
                    layers = [c("IfcMaterialLayer", rng.choice(materials), round(0.02 + 0.1 * rng.random(), 3),
                                None, f"Layer {i + 1}") for i in range(rng.randint(2, 4))]
                    layer_set = c("IfcMaterialLayerSet", layers, name, None)
                    self._associate(layer_set, [type_obj])
                    entry["usage"] = c("IfcMaterialLayerSetUsage", layer_set, "AXIS2", "POSITIVE", 0.0,
                                       None)
                else:
                    self._associate(rng.choice(materials), [type_obj])
                x, y, depth = kind.size
                entry["profile"] = c("IfcRectangleProfileDef", "AREA", None, self.profile_axis,
                                     x * (0.8 + 0.4 * rng.random()), y)
                if kind.shared_body:
                    entry["body"] = self._body(c("IfcExtrudedAreaSolid", entry["profile"],
                                                 self.origin_axis, self.z, depth))
                entries.append(entry)
            self.types[kind.ifc_class] = entries

    def _body(self, solid: Any) -> Any:
        return self.c("IfcProductDefinitionShape", None, None, [
            self.c("IfcShapeRepresentation", self.body_context, "Body", "SweptSolid", [solid])])

    def _untyped_body(self, kind: Kind) -> Any:
        """One body shared by every element of an untyped kind (openings)."""
        if kind.ifc_class not in self.untyped_bodies:
            x, y, depth = kind.size
            profile = self.c("IfcRectangleProfileDef", "AREA", None, self.profile_axis, x, y)
            self.untyped_bodies[kind.ifc_class] = self._body(
                self.c("IfcExtrudedAreaSolid", profile, self.origin_axis, self.z, depth))
        return self.untyped_bodies[kind.ifc_class]

    def _associate(self, material: Any, objects: list[Any]) -> None:
        self.c("IfcRelAssociatesMaterial", self.guid(), self.owner, None, None, objects, material)

    def _prop(self, name: str, kind: str, value: Any) -> Any:
        c = self.c
        if kind == "enum":
            return c("IfcPropertyEnumeratedValue", name, None, [c("IfcLabel", value)], None)
        return c("IfcPropertySingleValue", name, None, c(_VALUE_CLASS[kind], value), None)

    def _value(self, kind: str, i: int) -> Any:
        rng = self.rng
        if kind == "id":
            return f"R-{i:06d}"
        if kind == "label":
            return rng.choice(FIRE_RATINGS)
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "enum":
            return rng.choice(STATUS)
        if kind == "u":
            return round(0.1 + rng.random(), 3)
        return round(0.01 + 10 * rng.random(), 3)

    # -- elements -------------------------------------------------------------------------------
    def build(self, products: int) -> dict[str, int]:
        storeys = max(2, min(40, products // 2500))
        self._header()
        self._spatial(storeys)
        self._types(max(3, min(40, products // 2500)))
        elements = max(len(KINDS), products - 2 - storeys)
        counts = {k.ifc_class: max(1, round(k.share * elements)) for k in KINDS}
        counts["IfcWall"] += elements - sum(counts.values())  # rounding lands on walls
        # Openings are cut for doors and windows, so there is one per door or window.
        counts["IfcOpeningElement"] = counts["IfcDoor"] + counts["IfcWindow"]
        counts["IfcWall"] = elements - sum(v for k, v in counts.items() if k != "IfcWall")
        self.members: dict[str, list[Any]] = {"water": [], "air": []}
        for s, storey in enumerate(self.storeys):
            share = {k: _split(n, storeys, s) for k, n in counts.items()}
            share["IfcOpeningElement"] = share["IfcDoor"] + share["IfcWindow"]
            self._storey(storey, share)
        self._type_rels()
        self._systems()
        return counts

    def build_mapped(self, copies: int) -> dict[str, int]:
        """One furniture type with a representation map, and `copies` occurrences mapping it."""
        c = self.c
        storeys = max(2, min(40, copies // 1250))
        self._header()
        self._spatial(storeys)
        mapping = c("IfcRepresentationMap", self.origin_axis, self._desk())
        desk = c("IfcFurnitureType", GlobalId=self.guid(), OwnerHistory=self.owner,
                 Name="Desk 1600", RepresentationMaps=[mapping], PredefinedType="DESK",
                 AssemblyPlace="FACTORY")
        target = c("IfcCartesianTransformationOperator3D", None, None, self.origin, None, None)
        turns = [c("IfcDirection", d) for d in ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0),
                                                (-1.0, 0.0, 0.0), (0.0, -1.0, 0.0))]
        occurrences: list[Any] = []
        for number, storey in enumerate(self.storeys):
            count = _split(copies, storeys, number)
            columns = max(1, int(count ** 0.5))
            contained = []
            for i in range(count):
                point = c("IfcCartesianPoint", (2.2 * (i % columns), 1.6 * (i // columns), 0.0))
                axis = c("IfcAxis2Placement3D", point, self.z, turns[i % len(turns)])
                body = c("IfcProductDefinitionShape", None, None, [
                    c("IfcShapeRepresentation", self.body_context, "Body", "MappedRepresentation",
                      [c("IfcMappedItem", mapping, target)])])
                contained.append(c("IfcFurniture", self.guid(), self.owner,
                                   f"Desk {storey.Name[-2:]}-{i:05d}", None, "Desk 1600",
                                   c("IfcLocalPlacement", storey.ObjectPlacement, axis), body,
                                   f"D{i}", "DESK"))
            c("IfcRelContainedInSpatialStructure", self.guid(), self.owner, None, None,
              contained, storey)
            occurrences += contained
        c("IfcRelDefinesByType", self.guid(), self.owner, None, None, occurrences, desk)
        return {"IfcFurniture": len(occurrences), "IfcFurnitureType": 1, "storeys": storeys}

    def _desk(self) -> Any:
        """The desk's body: a top and a modesty panel (wood), four round legs (steel)."""
        c = self.c

        def solid(profile: Any, at: tuple[float, float, float], depth: float) -> Any:
            place = c("IfcAxis2Placement3D", c("IfcCartesianPoint", at), None, None)
            return c("IfcExtrudedAreaSolid", profile, place, self.z, depth)

        def style(name: str, rgb: tuple[float, float, float]) -> Any:
            rendering = c("IfcSurfaceStyleRendering", SurfaceColour=c("IfcColourRgb", None, *rgb),
                          Transparency=0.0, ReflectanceMethod="NOTDEFINED")
            return c("IfcSurfaceStyle", name, "BOTH", [rendering])

        def rectangle(x: float, y: float) -> Any:
            return c("IfcRectangleProfileDef", "AREA", None, self.profile_axis, x, y)

        top = solid(rectangle(1.6, 0.8), (0.0, 0.0, 0.72), 0.03)
        panel = solid(rectangle(1.4, 0.02), (0.0, 0.3, 0.3), 0.4)
        leg = c("IfcCircleProfileDef", "AREA", None, self.profile_axis, 0.025)
        legs = [solid(leg, (x, y, 0.0), 0.72) for x in (-0.75, 0.75) for y in (-0.35, 0.35)]
        wood, steel = style("Oak", (0.65, 0.5, 0.3)), style("Steel", (0.3, 0.3, 0.32))
        for item, surface in [(top, wood), (panel, wood)] + [(leg_, steel) for leg_ in legs]:
            c("IfcStyledItem", item, [surface], None)
        return c("IfcShapeRepresentation", self.body_context, "Body", "SweptSolid",
                 [top, panel, *legs])

    def _storey(self, storey: Any, share: dict[str, int]) -> None:
        contained: list[Any] = []
        walls = [self._element(_KIND["IfcWall"], storey, i) for i in range(share["IfcWall"])]
        contained += walls
        for ifc_class in ("IfcSlab", "IfcColumn", "IfcBeam", "IfcPipeSegment", "IfcDuctSegment",
                          "IfcAirTerminal", "IfcSanitaryTerminal", "IfcFurniture"):
            made = [self._element(_KIND[ifc_class], storey, i) for i in range(share[ifc_class])]
            contained += made
            if ifc_class in ("IfcPipeSegment", "IfcSanitaryTerminal"):
                self.members["water"] += made
            elif ifc_class in ("IfcDuctSegment", "IfcAirTerminal"):
                self.members["air"] += made
        fillings = ["IfcDoor"] * share["IfcDoor"] + ["IfcWindow"] * share["IfcWindow"]
        for i, ifc_class in enumerate(fillings):
            wall = walls[i % len(walls)] if walls else None
            opening = self._element(_KIND["IfcOpeningElement"], storey, i, host=wall)
            filling = self._element(_KIND[ifc_class], storey, i, host=opening)
            contained.append(filling)
            if wall is not None:
                self.c("IfcRelVoidsElement", self.guid(), self.owner, None, None, wall, opening)
            self.c("IfcRelFillsElement", self.guid(), self.owner, None, None, opening, filling)
        self.c("IfcRelContainedInSpatialStructure", self.guid(), self.owner, None, None,
               contained, storey)

    def _element(self, kind: Kind, storey: Any, i: int, host: Any = None) -> Any:
        c, rng = self.c, self.rng
        entry = rng.choice(self.types[kind.ifc_class]) if kind.type_class else None
        relative_to = (host or storey).ObjectPlacement
        point = c("IfcCartesianPoint", (round(rng.random() * 80, 3), round(rng.random() * 60, 3), 0.0))
        placement = c("IfcLocalPlacement", relative_to, c("IfcAxis2Placement3D", point, None, None))
        if kind.shared_body:
            body = entry["body"] if entry else self._untyped_body(kind)
        else:
            assert entry is not None
            solid = c("IfcExtrudedAreaSolid", entry["profile"], self.origin_axis, self.z,
                      round(kind.size[2] * (0.5 + rng.random()), 3))
            body = self._body(solid)
        name = f"{kind.ifc_class[3:]} {storey.Name[-2:]}-{i:05d}"
        element = c(kind.ifc_class, self.guid(), self.owner, name, None,
                    entry["name"] if entry else None, placement, body, f"T{i}")
        if entry is not None:
            entry["occurrences"].append(element)
            if "usage" in entry:
                entry.setdefault("usage_occurrences", []).append(element)
        props = [self._prop(name, vk, self._value(vk, i))
                 for name, vk in kind.props[:PROPERTIES_PER_ELEMENT]]
        self._define(element, kind.pset, props, "IfcPropertySet")
        extra_count = max(0, PROPERTIES_PER_ELEMENT - len(kind.props))
        extra = [self._prop(f"Parameter {j:02d}", vk,
                            f"Value {rng.randint(0, 99999)}" if vk == "label" else self._value(vk, i))
                 for j, vk in zip(range(extra_count), ("label", "real", "label", "bool") * 50)]
        if extra:
            self._define(element, "Synthetic_Data", extra, "IfcPropertySet")
        quantities = [c(q_class, q_name, None, None, round(0.1 + 10 * rng.random(), 4), None)
                      for q_name, q_class in kind.quantities]
        self._define(element, kind.qto, quantities, "IfcElementQuantity")
        return element

    def _define(self, element: Any, name: str, values: list[Any], pset_class: str) -> None:
        c = self.c
        if pset_class == "IfcElementQuantity":
            pset = c(pset_class, self.guid(), self.owner, name, None, None, values)
        else:
            pset = c(pset_class, self.guid(), self.owner, name, None, values)
        c("IfcRelDefinesByProperties", self.guid(), self.owner, None, None, [element], pset)

    def _type_rels(self) -> None:
        for entries in self.types.values():
            for entry in entries:
                if entry["occurrences"]:
                    self.c("IfcRelDefinesByType", self.guid(), self.owner, None, None,
                           entry["occurrences"], entry["type"])
                if entry.get("usage_occurrences"):
                    self._associate(entry["usage"], entry["usage_occurrences"])

    def _systems(self) -> None:
        c = self.c
        groups = (("water", "Domestic cold water", "DOMESTICCOLDWATER"),
                  ("air", "Supply air", "VENTILATION"))
        for key, label, predefined in groups:
            members = self.members[key]
            # One system per ~10 storeys' worth of members, as a large building has several risers.
            parts = max(1, len(self.storeys) // 10)
            for p in range(parts):
                chunk = members[p::parts]
                if not chunk:
                    continue
                system = c("IfcDistributionSystem", self.guid(), self.owner, f"{label} {p + 1}", None,
                           None, None, predefined)
                c("IfcRelAssignsToGroup", self.guid(), self.owner, None, None, chunk, None, system)
                c("IfcRelServicesBuildings", self.guid(), self.owner, None, None, system,
                  [self.building])


def _split(total: int, parts: int, index: int) -> int:
    """The `index`-th of `parts` near-equal shares of `total`."""
    return total // parts + (1 if index < total % parts else 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", help=f"{', '.join(SIZES)} or a number of products")
    parser.add_argument("--out", type=Path, help="write here instead of the cache")
    parser.add_argument("--force", action="store_true", help="regenerate even if cached")
    parser.add_argument("--mapped", action="store_true",
                        help="the mapped-items model (half as many copies of one type)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.out:
        counts = (generate_mapped(mapped_copies(args.size), args.out) if args.mapped
                  else generate(size_products(args.size), args.out))
        path = args.out
        print(counts, file=sys.stderr)
    else:
        cached = (mapped_path if args.mapped else cached_path)(args.size)
        if args.force and cached.exists():
            cached.unlink()
        ensure = ensure_mapped_model if args.mapped else ensure_model
        path = ensure(args.size, log=lambda m: print(m, file=sys.stderr))
    print(f"{path.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
