# /// ifcscript
# name = "Model Summary"
# description = """An overview of the model: its schema, the application that wrote it, its \
# units and georeferencing (IfcMapConversion and IfcProjectedCRS, or the ePSet_MapConversion and \
# ePSet_ProjectedCRS property sets of an IFC2X3 project, and the site's latitude and longitude), \
# the number of products of each exact class, the storeys with their elevation (in the model's \
# length unit) and the number of products placed on each (contained in the storey or in a space \
# of it, or part of an element that is: where ifcopenshell.util.element.get_container finds \
# the storey), the types with their occurrences, the materials, the systems and the property \
# and quantity sets in use with the number of elements carrying each (their own or through \
# their type)."""
# category = "Overview"
# ///

# Names provided by the app (no import needed): model, schema, entities, properties, types,
# materials, systems, unit_symbol, show_table, show_chart, progress, result, pd. See the
# "Export Elements to CSV" built-in for the full list.

import collections

import ifcopenshell.util.element
import ifcopenshell.util.unit


def has_class(class_name):
    """Whether the model's schema knows a class (IfcMapConversion is not in IFC2X3)."""
    try:
        model.by_type(class_name)
    except RuntimeError:
        return False
    return True


def plain(value):
    """An attribute value as JSON can carry it: entities by their name or STEP id."""
    if isinstance(value, ifcopenshell.entity_instance):
        if value.is_a("IfcNamedUnit") or value.is_a("IfcDerivedUnit"):
            return unit_symbol(value)
        return getattr(value, "Name", None) or f"#{value.id()} {value.is_a()}"
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


# --- 1. Schema and authoring application --------------------------------------------------
progress(0.0, "Reading the header")
header = model.header.file_name
originating_system = header.originating_system or None
# The project's owner history names the application that wrote the project; any other
# IfcApplication is the next best thing; the STEP header's originating system the last.
projects = model.by_type("IfcProject")
owner_history = getattr(projects[0], "OwnerHistory", None) if projects else None
application_entity = (owner_history.OwningApplication if owner_history else None) \
    or next(iter(model.by_type("IfcApplication")), None)
if application_entity is not None:
    name = application_entity.ApplicationFullName or application_entity.ApplicationIdentifier
    version = application_entity.Version
    application = f"{name} {version}" if version and version not in (name or "") else name
    developer = application_entity.ApplicationDeveloper
    developer = getattr(developer, "Name", None) or getattr(developer, "Identification", None) \
        if developer else None
else:
    application, version, developer = originating_system, None, None

overview = [
    {"Item": "Schema", "Value": schema},
    {"Item": "Application", "Value": application},
    {"Item": "Application developer", "Value": developer},
    {"Item": "Originating system (header)", "Value": originating_system},
    {"Item": "Preprocessor (header)", "Value": header.preprocessor_version or None},
    {"Item": "Written (header)", "Value": header.time_stamp or None},
    {"Item": "Project", "Value": projects[0].Name if projects else None},
]

# --- 2. Units -------------------------------------------------------------------------------
# The project's unit assignment: one row per unit type (length, area, volume, angle...), each
# with unit_symbol(unit): "mm", "m2", "kg/m3", or the unit's name where it has no symbol.
unit_rows = []
# (util.unit.get_unit_assignment expects a project; a model may have none.)
assignment = ifcopenshell.util.unit.get_unit_assignment(model) if projects else None
for unit in (assignment.Units or ()) if assignment else ():
    if unit.is_a("IfcMonetaryUnit"):
        currency = unit.Currency
        unit_rows.append({"Unit type": "MONETARYUNIT", "Unit": currency, "Symbol": currency,
                          "Scale to SI": None})
        continue
    unit_type = unit.UnitType
    if unit_type == "USERDEFINED":
        unit_type = getattr(unit, "UserDefinedType", None) or unit_type
    if unit.is_a("IfcNamedUnit"):
        try:
            full_name = ifcopenshell.util.unit.get_full_unit_name(unit)
        except Exception:
            full_name = unit.Name
    else:  # a derived unit (W/(m2.K)...) has no single name
        full_name = None
    try:
        scale = ifcopenshell.util.unit.get_unit_scale(unit)
    except Exception:
        scale = None
    unit_rows.append({"Unit type": unit_type, "Unit": full_name, "Symbol": unit_symbol(unit),
                      "Scale to SI": scale})
units = {row["Unit type"]: row["Symbol"] for row in unit_rows}
length_unit = units.get("LENGTHUNIT")

# --- 3. Georeferencing ----------------------------------------------------------------------
# IFC4 and later: an IfcCoordinateOperation (IfcMapConversion, IfcRigidOperation...) from the
# model's context to a CRS (IfcProjectedCRS). IFC2X3 has neither: the georeferencing guide of
# buildingSMART puts the same attributes in property sets on the project.
progress(0.1, "Reading the georeferencing")
georeferencing = {}
if has_class("IfcCoordinateOperation"):
    operation = next(iter(model.by_type("IfcCoordinateOperation")), None)
    if operation is not None:
        info = operation.get_info(recursive=False)
        georeferencing["map_conversion"] = {
            key: plain(value) for key, value in info.items() if key not in ("id", "type")}
        georeferencing["map_conversion"]["class"] = operation.is_a()
    crs = next(iter(model.by_type("IfcCoordinateReferenceSystem")), None)
    if crs is not None:
        info = crs.get_info(recursive=False)
        georeferencing["projected_crs"] = {
            key: plain(value) for key, value in info.items() if key not in ("id", "type")}
        georeferencing["projected_crs"]["class"] = crs.is_a()
elif projects:
    project_psets = ifcopenshell.util.element.get_psets(projects[0])
    for pset_name, key in (("ePSet_MapConversion", "map_conversion"),
                           ("ePSet_ProjectedCRS", "projected_crs")):
        if pset_name in project_psets:
            values = {k: plain(v) for k, v in project_psets[pset_name].items() if k != "id"}
            georeferencing[key] = dict(values, source=pset_name)
# The site's latitude, longitude and elevation: a rougher georeference many models carry.
for site in model.by_type("IfcSite"):
    if site.RefLatitude or site.RefLongitude:
        def degrees(dms):
            # Degrees, minutes, seconds and millionths of a second, all with the same sign.
            parts = list(dms) + [0] * (4 - len(dms))
            return parts[0] + parts[1] / 60 + parts[2] / 3600 + parts[3] / 3.6e9
        georeferencing["site"] = {
            "name": site.Name,
            "latitude": degrees(site.RefLatitude) if site.RefLatitude else None,
            "longitude": degrees(site.RefLongitude) if site.RefLongitude else None,
            "elevation": site.RefElevation,
        }
        break
geo_rows = [{"Source": source, "Attribute": key, "Value": str(value) if isinstance(value, list)
             else value}
            for source, values in georeferencing.items() for key, value in values.items()]

# --- 4. Products by exact class -------------------------------------------------------------
progress(0.2, "Counting products")
counts = collections.Counter(record.ifc_type for record in entities)
counts = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

# --- 5. Storeys -----------------------------------------------------------------------------
# Every product record knows its storey (found as util.element.get_container(e,
# ifc_class="IfcBuildingStorey") finds it) by name. When two storeys share a name, the name
# alone cannot tell them apart, so then each product asks get_container itself.
progress(0.3, "Counting the elements of each storey")
storeys = model.by_type("IfcBuildingStorey")
per_storey = collections.Counter()
names = [storey.Name for storey in storeys]
if len(set(names)) == len(names):
    by_name = {storey.Name: storey.id() for storey in storeys}
    for record in entities:
        if record.storey is not None:
            per_storey[by_name[record.storey]] += 1
else:
    for record in entities:
        container = ifcopenshell.util.element.get_container(
            record.ifc, ifc_class="IfcBuildingStorey")
        if container is not None:
            per_storey[container.id()] += 1
without_storey = len(entities) - sum(per_storey.values())
# Lowest storey first; storeys without an elevation last, in the model's order.
ordered = sorted(storeys, key=lambda s: (s.Elevation is None, s.Elevation or 0.0))
storey_rows = [{"name": s.Name, "elevation": s.Elevation, "elements": per_storey[s.id()]}
               for s in ordered]

# --- 6. Types, materials, systems -----------------------------------------------------------
progress(0.5, "Listing types, materials and systems")
type_rows = sorted(({"GlobalId": t.ifc_guid, "Class": t.ifc_type, "Name": t.name,
                     "Occurrences": len(t.occurrence_ids)} for t in types),
                   key=lambda row: (row["Class"], str(row["Name"])))
material_rows = sorted(({"Material": m.name, "Category": m.category,
                         "Elements": len(m.element_ids)} for m in materials),
                       key=lambda row: str(row["Material"]))
system_rows = sorted(({"GlobalId": s.ifc_guid, "Class": s.ifc_type, "Name": s.name,
                       "Members": len(s.member_ids)} for s in systems),
                     key=lambda row: (row["Class"], str(row["Name"])))

# --- 7. Property and quantity sets in use ---------------------------------------------------
# properties.df has one row per value; counting the distinct elements per set name says how
# many elements carry each set (values inherited from a type count for its occurrences).
progress(0.7, "Counting property sets")
values = properties.df
if len(values):
    usage = (values.groupby(["pset", "kind"], sort=False)["entity_id"].nunique()
             .reset_index(name="elements")
             .sort_values(["kind", "elements", "pset"], ascending=[True, False, True]))
    pset_rows = [{"Set": row.pset, "Kind": "quantities" if row.kind == "qto" else "properties",
                  "Elements": int(row.elements)} for row in usage.itertuples()]
else:
    pset_rows = []
property_sets = {row["Set"]: row["Elements"] for row in pset_rows if row["Kind"] == "properties"}
quantity_sets = {row["Set"]: row["Elements"] for row in pset_rows if row["Kind"] == "quantities"}

# --- 8. Show --------------------------------------------------------------------------------
progress(0.9, "Showing the summary")
overview += [
    {"Item": "Length unit", "Value": length_unit},
    {"Item": "Georeferenced", "Value": "yes" if "map_conversion" in georeferencing
     else "site latitude/longitude only" if georeferencing else "no"},
    {"Item": "Products", "Value": len(entities)},
    {"Item": "Products without storey", "Value": without_storey},
    {"Item": "Storeys", "Value": len(storeys)},
    {"Item": "Types", "Value": len(type_rows)},
    {"Item": "Materials", "Value": len(material_rows)},
    {"Item": "Systems", "Value": len(system_rows)},
    {"Item": "Property sets in use", "Value": len(property_sets)},
    {"Item": "Quantity sets in use", "Value": len(quantity_sets)},
]
# Values of mixed kinds display as text in one column.
show_table([{"Item": r["Item"], "Value": None if r["Value"] is None else str(r["Value"])}
            for r in overview], title="Model")
show_table(unit_rows, title="Units")
if geo_rows:
    show_table(geo_rows, title="Georeferencing")
class_rows = [{"Class": name, "Count": count} for name, count in counts.items()]
show_table(class_rows, title=f"Products by class ({len(entities)})")
if counts:
    show_chart("bar", list(counts), list(counts.values()), title="Products by class")
show_table([{"Storey": r["name"], f"Elevation ({length_unit or 'model units'})": r["elevation"],
             "Elements": r["elements"]} for r in storey_rows],
           title=f"Storeys ({len(storey_rows)})")
for rows, title in ((type_rows, "Types"), (material_rows, "Materials"),
                    (system_rows, "Systems"), (pset_rows, "Property and quantity sets")):
    show_table(rows, title=f"{title} ({len(rows)})")

print(f"{schema} model written by {application or 'an unknown application'}: "
      f"{len(entities)} products in {len(counts)} classes, {len(storeys)} storeys, "
      f"{len(type_rows)} types, {len(material_rows)} materials, {len(system_rows)} systems, "
      f"{len(property_sets)} property sets and {len(quantity_sets)} quantity sets in use; "
      f"length unit {length_unit or 'not set'}; "
      + ("georeferenced" if "map_conversion" in georeferencing else "no map conversion") + ".")

# `result` is what workflows and `ifcscript run --json` see.
result = {
    "schema": schema,
    "application": application,
    "counts": counts,
    "storeys": storey_rows,
    "header": {"originating_system": originating_system,
               "preprocessor_version": header.preprocessor_version or None,
               "time_stamp": header.time_stamp or None},
    "units": units,
    "georeferencing": georeferencing or None,
    "products": len(entities),
    "elements_without_storey": without_storey,
    "types": len(type_rows),
    "materials": [row["Material"] for row in material_rows],
    "systems": [{"name": row["Name"], "ifc_type": row["Class"], "members": row["Members"]}
                for row in system_rows],
    "property_sets": property_sets,
    "quantity_sets": quantity_sets,
}
