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
# show_table, show_chart, highlight, progress, result, pd. See the "Export Elements to CSV"
# built-in for the full list.

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


def shape_types(representation):
    """The representation types of a shape, looking through mapped (shared) representations."""
    if representation.RepresentationType != "MappedRepresentation":
        return {representation.RepresentationType}
    found = set()
    for item in representation.Items:
        if item.is_a("IfcMappedItem"):
            found |= shape_types(item.MappingSource.MappedRepresentation)
    return found


def geometry(element, seen=None):
    """(body representation types, has a bounding box) of an element, or of its parts when it
    is an aggregate without geometry of its own."""
    body, box = set(), False
    shape = element.Representation
    for representation in shape.Representations if shape else ():
        types = shape_types(representation) - {None}
        identifier = representation.RepresentationIdentifier
        if identifier == "Box" or "BoundingBox" in types:
            box = True
            types.discard("BoundingBox")
        if identifier in ("Body", "Body-FallBack") or (not identifier and types & BODY_3D):
            body |= types
    if not body and not box:
        seen = seen or set()
        seen.add(element.id())
        for relation in element.IsDecomposedBy:
            for part in relation.RelatedObjects:
                if part.id() not in seen and part.is_a("IfcElement"):
                    part_body, part_box = geometry(part, seen)
                    body |= part_body
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
type_of = {}  # element id -> its type object
for relation in all_of("IfcRelDefinesByType"):
    for related in relation.RelatedObjects:
        type_of[related.id()] = relation.RelatingType
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

# Physical elements: no openings and recesses (feature elements) and no virtual elements.
physical = {element.id() for element in model.by_type("IfcElement")
            if not element.is_a("IfcFeatureElement") and not element.is_a("IfcVirtualElement")}
elements = [record for record in entities if record.id in physical]
facts = {}
for number, record in enumerate(elements):
    if number % 5000 == 0:
        progress(0.1 + 0.5 * number / len(elements), "Reading geometry")
    element_type = type_of.get(record.id)
    body, box = geometry(record.ifc)
    facts[record.id] = {
        "body": body,
        "box": box,
        "type": element_type,
        # An element's own material, or else its type's.
        "material": record.id in with_material
        or (element_type is not None and element_type.id() in with_material),
        "connected": record.id in connected,
        "template": common_template(record.ifc_type, element_type.is_a() if element_type else None),
    }

# --- 3. Which properties are filled -------------------------------------------------------
# properties.df has one row per value, inherited type values included. Only the common and
# manufacturer property sets matter here; "filled" means a value that is not empty.
progress(0.65, "Reading property sets")
wanted = {MANUFACTURER_PSET} | {f["template"][0] for f in facts.values() if f["template"]}
values = properties.df
values = values[(values["kind"] == "pset") & values["entity_id"].isin(facts.keys())]
values = values[values["pset"].isin(wanted) | values["pset"].astype(str).str.fullmatch(
    COMMON_PSET.pattern)]
is_filled = values["value"].map(lambda v: v is not None and v != "" and v != [])
values = values[is_filled.astype(bool)]
filled = collections.defaultdict(set)  # (element id, pset) -> names of filled properties
filled_common = set()  # ids of elements with any filled Pset_...Common
for element_id, pset, name in zip(values["entity_id"], values["pset"], values["name"]):
    filled[(element_id, pset)].add(name)
    if COMMON_PSET.fullmatch(pset):
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
    has_common = (filled[(record.id, template[0])] if template else record.id in filled_common)
    if not has_common:
        missing.append(f"no filled {template[0] if template else 'Pset_...Common'}")
    if not fact["connected"]:
        missing.append("no connections or ports")
    if missing:
        return 300, ", ".join(missing)
    if not filled[(record.id, MANUFACTURER_PSET)]:
        return 350, f"no filled {MANUFACTURER_PSET}"
    return 400, ""


progress(0.8, "Estimating LOD")
rows = []
by_class = {}
completeness = collections.defaultdict(lambda: [0, 0])  # class -> [filled, standard]
for record in elements:
    fact = facts[record.id]
    lod, reason = estimate(record, fact)
    ifc_class = record.ifc_type
    summary = by_class.setdefault(ifc_class, {
        "count": 0, "lod": {str(level): 0 for level in LEVELS}, "with_geometry": 0,
        "with_type": 0, "with_material": 0, "property_completeness": None,
        "representation_types": collections.Counter(), "below_target": 0})
    summary["count"] += 1
    summary["lod"][str(lod)] += 1
    summary["with_geometry"] += bool(fact["body"] or fact["box"])
    summary["with_type"] += fact["type"] is not None
    summary["with_material"] += fact["material"]
    summary["below_target"] += lod < target
    found = fact["body"] | ({"BoundingBox"} if fact["box"] else set())
    summary["representation_types"].update(found)
    share = None
    if fact["template"]:
        pset, standard = fact["template"]
        done = len(filled[(record.id, pset)] & standard)
        completeness[ifc_class][0] += done
        completeness[ifc_class][1] += len(standard)
        share = round(done / len(standard), 3)
    rows.append({"GlobalId": record.ifc_guid, "Class": ifc_class, "Name": record.name,
                 "LOD": lod, "Next level needs": reason, "Type": record.type_name,
                 "Geometry": ", ".join(sorted(found)),
                 "Property completeness": share, "id": record.id})

for ifc_class, (done, standard) in completeness.items():
    by_class[ifc_class]["property_completeness"] = round(done / standard, 3) if standard else None
for summary in by_class.values():
    summary["representation_types"] = dict(summary["representation_types"].most_common())
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

element_table = pd.DataFrame(rows, columns=["GlobalId", "Class", "Name", "LOD", "Next level needs",
                                            "Type", "Geometry", "Property completeness", "id"])
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

print(f"{len(elements)} elements in {len(by_class)} classes; {len(below)} below LOD {target}. "
      "Per level: " + ", ".join(f"{level}: {n}" for level, n in zip(LEVELS, totals)))

result = {"by_class": by_class, "target_lod": target, "elements": len(elements),
          "below_target": len(below)}
