# /// ifcscript
# name = "LOD Analyzer"
# description = """Estimates the Level of Development of every physical element (IfcElement, \
# without openings and virtual elements) from what the model holds, and summarises it per class.
#
# LOD 100: no body geometry (no "Body" representation, no bounding box).
# LOD 200: some geometry, but only a bounding box, or a proxy class (IfcBuildingElementProxy, \
# IfcProxy), or no 3D solid body, or no type object.
# LOD 300: a specific class with a 3D body (swept solid, B-rep, CSG, tessellation...) and a type.
# LOD 350: LOD 300 plus a material, a filled Pset_<Class>Common and a connection to other \
# elements or ports (connects-elements relations, filling an opening, ports).
# LOD 400: LOD 350 plus manufacturer information (a filled Pset_ManufacturerTypeInformation).
#
# An aggregate without its own geometry (a stair or roof made of parts) is judged by its parts' \
# geometry. Properties count from the element or its type. Property completeness is the share of \
# the standard Pset_<Class>Common properties (IfcOpenShell's templates for the model's schema) \
# that have a value."""
# category = "Quality"
#
# [[parameters]]
# name = "target_lod"
# type = "choice"
# choices = [100, 200, 300, 350, 400]
# default = 300
# label = "Target LOD"
# help = "Elements estimated below this level are listed first and highlighted"
# ///

# Names provided by the app (no import needed): model, schema, entities, properties, params,
# show_table, show_chart, highlight, color_by, progress, result, pd. See the "Export Elements
# to CSV" built-in for the full list.

import collections
import functools
import re

import ifcopenshell.util.pset

LEVELS = (100, 200, 300, 350, 400)
target = int(params["target_lod"])

# Representation types that describe a 3D body (IFC's RepresentationType values).
BODY_3D = {"SweptSolid", "AdvancedSweptSolid", "Brep", "AdvancedBrep", "CSG", "Clipping",
           "SolidModel", "Tessellation", "SurfaceModel", "SectionedSpine"}
PROXY_CLASSES = ("IfcBuildingElementProxy", "IfcProxy")
MANUFACTURER_PSET = "Pset_ManufacturerTypeInformation"
COMMON_PSET = re.compile(r"Pset_\w*Common")


# Attributes read by position in the loops over every element and shape: it skips a lookup by
# name, which counts on a model of 100,000 elements. The positions are the same in IFC2X3, IFC4
# and IFC4X3.
REPRESENTATION = 6  # IfcProduct.Representation
REPRESENTATIONS = 2  # IfcProductRepresentation.Representations
IDENTIFIER, TYPE = 1, 2  # IfcRepresentation.RepresentationIdentifier, .RepresentationType


def shape_types(representation):
    """The representation types of a shape, looking through mapped (shared) representations."""
    representation_type = representation.get_argument(TYPE)
    if representation_type != "MappedRepresentation":
        return {representation_type}
    found = set()
    for item in representation.Items:
        if item.is_a("IfcMappedItem"):
            found |= shape_types(item.MappingSource.MappedRepresentation)
    return found


def shape_geometry(shape):
    """(body representation types, has a bounding box) of a product's shape
    (IfcProductDefinitionShape)."""
    body, box = set(), False
    for representation in shape.get_argument(REPRESENTATIONS):
        types = shape_types(representation) - {None}
        identifier = representation.get_argument(IDENTIFIER)
        if identifier == "Box" or "BoundingBox" in types:
            box = True
            types.discard("BoundingBox")
        if identifier in ("Body", "Body-FallBack") or (not identifier and types & BODY_3D):
            body |= types
    return frozenset(body), box


shapes = {}  # STEP id of a product's shape -> its shape_geometry (elements may share a shape)


def geometry(element, seen=None):
    """(body representation types, has a bounding box) of an element, or of its parts when it
    is an aggregate without geometry of its own."""
    shape = element.get_argument(REPRESENTATION)
    if shape is None:
        body, box = frozenset(), False
    else:
        found = shapes.get(shape.id())
        if found is None:
            found = shapes[shape.id()] = shape_geometry(shape)
        body, box = found
    if not body and not box:
        seen = seen or set()
        seen.add(element.id())
        for relation in element.IsDecomposedBy:
            for part in relation.RelatedObjects:
                if part.id() not in seen and part.is_a("IfcElement"):
                    part_body, part_box = geometry(part, seen)
                    body = body | part_body
                    box = box or part_box
    return body, box


# --- 1. The common property set template of each class -------------------------------------
# Pset_<Class>Common, or Pset_<Class>TypeCommon (IFC4 names many that way); <Class> is the
# element's class without "Ifc" (and without "StandardCase"), or else its type's class.
templates = ifcopenshell.util.pset.PsetQto(
    "IFC2X3" if schema.startswith("IFC2X3") else "IFC4X3" if schema.startswith("IFC4X3")
    else "IFC4")


@functools.lru_cache(maxsize=None)
def common_template(ifc_class, type_class):
    """(pset name, its standard property names) for a class, or None when there is none."""
    bases = [re.sub(r"(StandardCase|ElementedCase)$", "", ifc_class[3:])]
    if type_class:
        bases.append(re.sub(r"(Type|Style)$", "", type_class[3:]))
    for base in bases:
        for name in (f"Pset_{base}Common", f"Pset_{base}TypeCommon"):
            template = templates.get_by_name(name)
            if template is not None and template.HasPropertyTemplates:
                return name, frozenset(p.Name for p in template.HasPropertyTemplates)
    return None


# --- 2. The elements and what each one has ------------------------------------------------
# Types, materials and connections come from one pass over each kind of relationship: far
# faster on a big model than asking ifcopenshell element by element.
def all_of(ifc_class):
    """Every instance of a class, or nothing when the model's schema does not have it."""
    try:
        return model.by_type(ifc_class)
    except RuntimeError:
        return ()


progress(0.0, "Reading types, materials and connections")
type_of = {}  # element id -> the record of its type object (from `types`: id, ifc_type, ...)
for element_type in types:
    for occurrence in element_type.occurrence_ids:
        type_of[occurrence] = element_type
with_material = {related.id() for relation in all_of("IfcRelAssociatesMaterial")
                 for related in relation.RelatedObjects}
connected = set()  # ids of elements joined to others (walls at their ends...) or with ports
for relation in all_of("IfcRelConnectsElements"):  # includes path and realizing connections
    connected.update((relation.RelatingElement.id(), relation.RelatedElement.id()))
for relation in all_of("IfcRelFillsElement"):  # a door or window in its opening
    connected.add(relation.RelatedBuildingElement.id())
for relation in all_of("IfcRelConnectsPortToElement"):  # ports, IFC2X3 style
    connected.add(relation.RelatedElement.id())
for relation in all_of("IfcRelNests"):  # ports, IFC4 style: nested in their element
    if any(part.is_a("IfcPort") for part in relation.RelatedObjects):
        connected.add(relation.RelatingObject.id())

# Physical elements: no openings and recesses (feature elements) and no virtual elements,
# decided once per class. Their geometry is read in the same pass.
physical = {}  # class name -> whether its elements are physical
geometry_of = {}  # element id -> (body representation types, has a bounding box)
candidates = model.by_type("IfcElement")
for number, element in enumerate(candidates):
    if number % 5000 == 0:
        progress(0.1 + 0.5 * number / len(candidates), "Reading geometry")
    ifc_class = element.is_a()
    if ifc_class not in physical:
        physical[ifc_class] = (not element.is_a("IfcFeatureElement")
                               and not element.is_a("IfcVirtualElement"))
    if physical[ifc_class]:
        geometry_of[element.id()] = geometry(element)
elements = [record for record in entities if record.id in geometry_of]
facts = {}
for record in elements:
    element_type = type_of.get(record.id)
    body, box = geometry_of[record.id]
    facts[record.id] = {
        "body": body,
        "box": box,
        "type": element_type,
        # An element's own material, or else its type's.
        "material": record.id in with_material
        or (element_type is not None and element_type.id in with_material),
        "connected": record.id in connected,
        "template": common_template(record.ifc_type,
                                    element_type.ifc_type if element_type else None),
    }

# --- 3. Which properties are filled -------------------------------------------------------
# properties.df has one row per value, inherited type values included. Only the common and
# manufacturer property sets matter here; "filled" means a value that is not empty.
progress(0.65, "Reading property sets")
wanted = {MANUFACTURER_PSET} | {f["template"][0] for f in facts.values() if f["template"]}
# The rows are read from properties.columns (the same rows as properties.df, as plain lists
# by column name), which is quicker than making the whole DataFrame on a big model.
columns = {name: np.array(properties.columns[name], dtype=object)
           for name in ("entity_id", "pset", "name", "value", "kind")}
# The property set names are few: test them once each, then keep the rows whose set passed.
pset_codes, pset_names = pd.factorize(columns["pset"])
keep_pset = np.array([name in wanted or COMMON_PSET.fullmatch(name) is not None
                      for name in pset_names], dtype=bool)
keep = np.append(keep_pset, False)[pset_codes]  # code -1 (no name) reads the False at the end
keep &= columns["kind"] == "pset"
keep &= pd.Series(columns["entity_id"]).isin(list(facts)).to_numpy()
keep[keep] = [v is not None and v != "" and v != [] for v in columns["value"][keep].tolist()]
filled = collections.defaultdict(set)  # (element id, pset) -> names of filled properties
filled_common = set()  # ids of elements with any filled Pset_...Common
common = {name for name in pset_names if COMMON_PSET.fullmatch(name)}
for element_id, pset, name in zip(columns["entity_id"][keep].tolist(),
                                  columns["pset"][keep].tolist(), columns["name"][keep].tolist()):
    filled[(element_id, pset)].add(name)
    if pset in common:
        filled_common.add(element_id)


# --- 4. Estimate the LOD of each element --------------------------------------------------
def estimate(record, fact):
    """(LOD, what keeps the element from the next level)."""
    body, template = fact["body"], fact["template"]
    if not body and not fact["box"]:
        return 100, "no body geometry"
    if not body:
        return 200, "only a bounding box"
    if record.ifc_type in PROXY_CLASSES:
        return 200, f"proxy class {record.ifc_type}"
    if not body & BODY_3D:
        return 200, "no 3D body (" + ", ".join(sorted(body)) + ")"
    if fact["type"] is None:
        return 200, "no type object"
    missing = []
    if not fact["material"]:
        missing.append("no material")
    has_common = (filled.get((record.id, template[0])) if template
                  else record.id in filled_common)
    if not has_common:
        missing.append(f"no filled {template[0] if template else 'Pset_...Common'}")
    if not fact["connected"]:
        missing.append("no connections or ports")
    if missing:
        return 300, ", ".join(missing)
    if not filled.get((record.id, MANUFACTURER_PSET)):
        return 350, f"no filled {MANUFACTURER_PSET}"
    return 400, ""


progress(0.8, "Estimating LOD")
table_columns = ["GlobalId", "Class", "Name", "LOD", "Next level needs", "Type", "Geometry",
                 "Property completeness", "id"]
rows = {column: [] for column in table_columns}  # the element table, column by column
# Elements with the same class, level and kind of geometry, type and material count together:
# the per-class figures are summed from these groups, not element by element.
groups = collections.Counter()
completeness = collections.defaultdict(lambda: [0, 0])  # class -> [filled, standard]
shown_geometry = {}  # (body types, has a box) -> the table's text, e.g. "BoundingBox, Brep"
for record in elements:
    fact = facts[record.id]
    lod, reason = estimate(record, fact)
    ifc_class = record.ifc_type
    geometry_key = (fact["body"], fact["box"])
    groups[(ifc_class, lod, geometry_key, fact["type"] is not None, fact["material"])] += 1
    if geometry_key not in shown_geometry:
        found = fact["body"] | ({"BoundingBox"} if fact["box"] else set())
        shown_geometry[geometry_key] = ", ".join(sorted(found))
    share = None
    if fact["template"]:
        pset, standard = fact["template"]
        done = len(filled.get((record.id, pset), set()) & standard)
        completeness[ifc_class][0] += done
        completeness[ifc_class][1] += len(standard)
        share = round(done / len(standard), 3)
    for column, value in zip(table_columns, (
            record.ifc_guid, ifc_class, record.name, lod, reason, record.type_name,
            shown_geometry[geometry_key], share, record.id)):
        rows[column].append(value)

by_class = {}
for (ifc_class, lod, (body, box), has_type, has_material), count in groups.items():
    summary = by_class.get(ifc_class)
    if summary is None:
        summary = by_class[ifc_class] = {
            "count": 0, "lod": {str(level): 0 for level in LEVELS}, "with_geometry": 0,
            "with_type": 0, "with_material": 0, "property_completeness": None,
            "representation_types": collections.Counter(), "below_target": 0}
    summary["count"] += count
    summary["lod"][str(lod)] += count
    summary["with_geometry"] += count if body or box else 0
    summary["with_type"] += count if has_type else 0
    summary["with_material"] += count if has_material else 0
    summary["below_target"] += count if lod < target else 0
    for found in body | ({"BoundingBox"} if box else set()):
        summary["representation_types"][found] += count
for ifc_class, (done, standard) in completeness.items():
    by_class[ifc_class]["property_completeness"] = round(done / standard, 3) if standard else None
for summary in by_class.values():  # the most used first; equally used ones by name
    summary["representation_types"] = dict(sorted(summary["representation_types"].items(),
                                                  key=lambda item: (-item[1], item[0])))
by_class = dict(sorted(by_class.items()))

# --- 5. Show the results ------------------------------------------------------------------
progress(0.95, "Preparing tables and charts")
classes = list(by_class)
class_table = pd.DataFrame([
    {"Class": ifc_class, "Elements": s["count"],
     **{f"LOD {level}": s["lod"][str(level)] for level in LEVELS},
     f"Below {target}": s["below_target"], "With geometry": s["with_geometry"],
     "With type": s["with_type"], "With material": s["with_material"],
     "Property completeness": s["property_completeness"],
     "Representation types": ", ".join(s["representation_types"])}
    for ifc_class, s in by_class.items()])
show_table(class_table, title="Estimated LOD per class")

element_table = pd.DataFrame(rows, columns=table_columns)
element_table = element_table.sort_values(["LOD", "Class", "Name"], kind="stable")
below = element_table[element_table["LOD"] < target]
# Rows with a GlobalId link to their element; the lowest levels come first.
show_table(element_table.drop(columns="id"), title=f"Elements ({len(below)} below LOD {target})")

totals = [sum(s["lod"][str(level)] for s in by_class.values()) for level in LEVELS]
show_chart("bar", [f"LOD {level}" for level in LEVELS], totals, title="Elements per estimated LOD")
show_chart("bar", classes, [s["count"] for s in by_class.values()], title="Elements per class")
reaching = [round(100 * (s["count"] - s["below_target"]) / s["count"], 1)
            for s in by_class.values()]
show_chart("bar", classes, reaching, title=f"% of elements at LOD {target} or above, per class")
if len(below):
    highlight(below["id"].tolist(), color="#FF7F0E")
# The model coloured by level: "LOD 100" to "LOD 400" (levels, not amounts: categories).
color_by({element_id: f"LOD {lod}" for element_id, lod in zip(rows["id"], rows["LOD"])},
         title="Estimated LOD")

print(f"{len(elements)} elements in {len(by_class)} classes; {len(below)} below LOD {target}. "
      "Per level: " + ", ".join(f"{level}: {n}" for level, n in zip(LEVELS, totals)))

# The verdict the window shows beside the run: an estimate, so elements below the target are a
# warning to look at, not a failed check.
result = {"status": "WARN" if len(below) else "PASS", "by_class": by_class, "target_lod": target,
          "elements": len(elements), "below_target": len(below)}
