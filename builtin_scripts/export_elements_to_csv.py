# /// ifcscript
# name = "Export Elements to CSV"
# description = """Writes one CSV row per element chosen by an IFC class or selector query: \
# GlobalId, class, name, storey, type and materials, then one column per property \
# (Pset.Property) and per quantity (Qto.Quantity). Values come as stored in the model, in its \
# units; a value set on the element wins over the one inherited from its type."""
# category = "Export"
#
# [[parameters]]
# name = "query"
# type = "ifc_class"
# default = "IfcElement"
# label = "Elements"
# help = """An IFC class (IfcWall) or an IfcOpenShell selector query, e.g. "IfcWall, IfcSlab" \
# or "IfcWall, /Pset_.*Common/.IsExternal=TRUE"."""
#
# [[parameters]]
# name = "output"
# type = "str"
# default = "elements.csv"
# label = "Output file"
# help = "Name of the CSV file written into the run's output folder (.csv is added if missing)"
#
# [[parameters]]
# name = "include_properties"
# type = "bool"
# default = true
# label = "Include properties"
# help = "Add a column for every property of the property sets (Pset.Property)"
#
# [[parameters]]
# name = "include_quantities"
# type = "bool"
# default = true
# label = "Include quantities"
# help = "Add a column for every quantity of the quantity sets (Qto.Quantity)"
# ///

# This script runs with these names already defined (no import needed):
#   model       the open IFC model (an ifcopenshell.file)
#   entities    every IfcProduct as a light record (.id, .ifc_guid, .ifc_type, .name,
#               .storey, .type_name, .ifc = the ifcopenshell entity)
#   properties  every property and quantity value; properties.df is a pandas DataFrame
#               with the columns entity_id, ifc_guid, pset, name, value, kind, source
#   params      the parameters declared above, already typed and defaulted
#   pd, np      pandas and numpy
#   save_output, show_table, progress, result: see below

import re

import ifcopenshell.util.element
import ifcopenshell.util.selector

ATTRIBUTE_COLUMNS = ["GlobalId", "Class", "Name", "Storey", "Type", "Materials"]

# --- 1. The elements ----------------------------------------------------------------------
# filter_elements understands a plain class ("IfcWall") as well as the full selector syntax.
# Only rooted entities (IfcRoot) have a GlobalId, so anything else a query returns is skipped.
progress(0.0, "Selecting elements")
# The selector quietly returns nothing for a misspelt class, so check class names first.
for class_name in re.findall(r"(?<![\w/.\"'])Ifc[A-Za-z0-9]+", params["query"]):
    try:
        model.by_type(class_name)
    except RuntimeError:
        raise ValueError(f"{class_name} is not a class of the model's schema "
                         f"{model.schema}") from None
try:
    selected = ifcopenshell.util.selector.filter_elements(model, params["query"])
except Exception as error:  # the selector's parser reports mistakes in several ways
    reason = " ".join(str(error).split())[:300] or type(error).__name__
    raise ValueError(f"{params['query']!r} is not an IFC class or selector query the model "
                     f"understands: {reason}") from None
elements = sorted((e for e in selected if e.is_a("IfcRoot")), key=lambda e: e.id())
element_ids = [e.id() for e in elements]


# --- 2. Attribute columns -----------------------------------------------------------------
# The `entities` records already know each product's storey and type name. Materials come from
# one pass over the material relationships (much faster than asking element by element): an
# element's own material wins, else its type's, and a layer, profile or constituent set or a
# list gives the names of its materials.


def material_names(material):
    """Names of the materials in a material definition, in order (a layer set lists each
    layer, so a material used by two layers appears twice, as in IfcOpenShell's ifccsv)."""
    if material.is_a("IfcMaterialLayerSetUsage"):
        material = material.ForLayerSet
    elif material.is_a("IfcMaterialProfileSetUsage"):
        material = material.ForProfileSet
    if material.is_a("IfcMaterial"):
        parts = [material]
    elif material.is_a("IfcMaterialLayerSet"):
        parts = [layer.Material for layer in material.MaterialLayers]
    elif material.is_a("IfcMaterialProfileSet"):
        parts = [profile.Material for profile in material.MaterialProfiles]
    elif material.is_a("IfcMaterialConstituentSet"):
        parts = [constituent.Material for constituent in material.MaterialConstituents]
    elif material.is_a("IfcMaterialList"):
        parts = list(material.Materials)
    else:
        parts = []
    return ", ".join(part.Name for part in parts if part is not None and part.Name) or None


progress(0.2, f"Reading {len(elements)} elements")
materials_of = {}  # STEP id of an element or type -> its material names
for relationship in model.by_type("IfcRelAssociatesMaterial"):
    names = material_names(relationship.RelatingMaterial)
    for related in relationship.RelatedObjects:
        materials_of.setdefault(related.id(), names)
type_of = {}  # STEP id of an occurrence -> its type
for relationship in model.by_type("IfcRelDefinesByType"):
    for related in relationship.RelatedObjects:
        type_of[related.id()] = relationship.RelatingType

records = {record.id: record for record in entities}
rows = []
for element in elements:
    element_id = element.id()
    # A type object is its own type, as ifcopenshell.util.element.get_type says.
    element_type = type_of.get(element_id) or (element if element.is_a("IfcTypeObject") else None)
    record = records.get(element_id)
    if record is not None:
        storey, type_name = record.storey, record.type_name
    else:  # not a product (a query for IfcWallType, for example): ask ifcopenshell
        container = ifcopenshell.util.element.get_container(element, ifc_class="IfcBuildingStorey")
        storey = container.Name if container else None
        type_name = element_type.Name if element_type else None
    if element_id in materials_of:
        materials = materials_of[element_id]
    else:
        materials = materials_of.get(element_type.id()) if element_type else None
    rows.append([element.GlobalId, element.is_a(), element.Name, storey, type_name, materials])
table = pd.DataFrame(rows, columns=ATTRIBUTE_COLUMNS, index=pd.Index(element_ids, name="id"))

# --- 3. Property and quantity columns -----------------------------------------------------
# properties.df holds one row per value (long format). Keeping the rows of our elements and
# pivoting them gives one column per "Pset.Property": far faster than calling get_psets for
# every element.
kinds = []
if params["include_properties"]:
    kinds.append("pset")
if params["include_quantities"]:
    kinds.append("qto")
progress(0.6, "Collecting properties and quantities")
values = properties.df
values = values[values["entity_id"].isin(element_ids) & values["kind"].isin(kinds)]
if len(values):
    values = values.assign(
        column=values["pset"].astype(str) + "." + values["name"].astype(str),
        own=values["source"] == "occurrence",
    )
    # When a property is set on the element and on its type, the element's own value wins:
    # sort so own values come last, then keep the last row per element and column.
    values = values.sort_values("own", kind="stable")
    values = values.drop_duplicates(["entity_id", "column"], keep="last")
    # List values (enumerations, list properties) become one cell: "a, b, c".
    values["value"] = values["value"].map(
        lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    wide = values.pivot(index="entity_id", columns="column", values="value")
    # Columns grouped by property set, properties sorted by name inside each set.
    order = values[["pset", "name", "column"]].drop_duplicates("column")
    order = order.sort_values(["pset", "name"], key=lambda s: s.astype(str).str.lower())
    table = table.join(wide[list(order["column"])])

# --- 4. Output ----------------------------------------------------------------------------
# save_output writes into this run's output folder; a DataFrame becomes a CSV file.
output = params["output"].strip() or "elements.csv"
if not output.lower().endswith(".csv"):
    output += ".csv"
table = table.reset_index(drop=True)
progress(0.9, f"Writing {output}")
save_output(output, table)

# show_table shows the rows in the window; the GlobalId column links each row to its element.
show_table(table, title=f"{params['query']} ({len(table)} elements)")
if table.empty:
    print(f"No elements match {params['query']!r}; the CSV has only its header row.")
print(f"Exported {len(table)} elements ({params['query']}) with {len(table.columns)} columns "
      f"to {output}")

# `result` is what workflows and `ifcscript run --json` see.
result = {"rows": len(table), "columns": list(table.columns), "file": output}
