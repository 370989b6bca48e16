# /// ifcscript
# name = "Export Elements to CSV"
# description = """Writes one row per element chosen by an IFC class or selector query: \
# attribute columns (by default GlobalId, class, name, storey, type and materials), then one \
# column per property (Pset.Property) and per quantity (Qto.Quantity), all of them or only the \
# property sets and properties you name. Values come as stored in the model, in its units; a \
# value set on the element wins over the one inherited from its type. The file is CSV, or an \
# Excel workbook (XLSX) with the format parameter."""
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
# help = """Name of the file written into the run's output folder (.csv or .xlsx is added or \
# swapped to match the format)"""
#
# [[parameters]]
# name = "format"
# type = "choice"
# choices = ["csv", "xlsx"]
# default = "csv"
# label = "Format"
# help = "csv (UTF-8, comma separated) or xlsx (an Excel workbook with one sheet)"
#
# [[parameters]]
# name = "attributes"
# type = "str"
# default = "GlobalId, Class, Name, Storey, Type, Materials"
# label = "Attribute columns"
# help = """Comma-separated attribute columns, in order: GlobalId, Class, Name, Storey, Type, \
# Materials, or any IFC attribute of the elements (Description, ObjectType, Tag, \
# PredefinedType...). Leave empty for none."""
#
# [[parameters]]
# name = "include_properties"
# type = "bool"
# default = true
# label = "Include properties"
# help = "Add a column per property of the property sets (Pset.Property)"
#
# [[parameters]]
# name = "include_quantities"
# type = "bool"
# default = true
# label = "Include quantities"
# help = "Add a column per quantity of the quantity sets (Qto.Quantity)"
#
# [[parameters]]
# name = "properties"
# type = "str"
# default = ""
# label = "Only these sets / properties"
# help = """Empty: every property set and quantity set. Otherwise a comma-separated list of \
# property set names (all their properties) and Pset.Property names; * matches any text. \
# Example: "Pset_WallCommon, Qto_WallBaseQuantities.NetVolume, Pset_*Common.FireRating"."""
#
# [[parameters]]
# name = "table_rows"
# type = "int"
# default = 0
# min = 0
# label = "Rows shown in the window"
# help = """0 shows every row. Otherwise the table shown with the run has at most this many \
# rows, the first ones (a little faster on very large models); the file always has every row."""
# ///

# This script runs with these names already defined (no import needed):
#   model       the open IFC model (an ifcopenshell.file)
#   entities    every IfcProduct as a light record (.id, .ifc_guid, .ifc_type, .name,
#               .storey, .type_name, .ifc = the ifcopenshell entity)
#   properties  every property and quantity value; properties.df is a pandas DataFrame
#               with the columns entity_id, ifc_guid, pset, name, value, kind, source
#   params      the parameters declared above, already typed and defaulted
#   pd, np      pandas and numpy
#   select      select("IfcWall, IfcSlab"): the elements an IFC class or selector query
#               chooses, by STEP id; a misspelt class or a bad query is a clear error
#   save_output, show_table, progress, result: see below

import re

import ifcopenshell.util.element

# The attribute columns this script computes itself; any other name is read as an IFC attribute.
COMPUTED = ["GlobalId", "Class", "Name", "Storey", "Type", "Materials"]
# The computed columns that the `entities` records already hold for every product.
RECORD_FIELDS = {"GlobalId": "ifc_guid", "Class": "ifc_type", "Name": "name", "Storey": "storey",
                 "Type": "type_name"}


def split_list(text):
    """'a, b,, c' -> ['a', 'b', 'c'] (commas or new lines separate the items)."""
    return [item.strip() for item in re.split(r"[,\n]", text or "") if item.strip()]


# --- 1. The elements ----------------------------------------------------------------------
# select() takes a plain class ("IfcWall": its instances, subclasses included) or any query
# IfcOpenShell's selector understands. Only rooted entities (IfcRoot) have a GlobalId, so
# anything else a query returns is skipped.
progress(0.0, "Selecting elements")
elements = [e for e in select(params["query"]) if e.is_a("IfcRoot")]
element_ids = [e.id() for e in elements]

# Which attribute columns, in the user's order. Names are matched without regard to case.
attribute_columns = []
for name in split_list(params["attributes"]):
    known = next((c for c in COMPUTED if c.lower() == name.lower()), None)
    if known is None:  # an IFC attribute: at least one chosen element must have it
        known = next((e.attribute_name(i) for e in elements for i in range(len(e))
                      if e.attribute_name(i).lower() == name.lower()), None)
        if known is None and elements:
            raise ValueError(f"attributes: {name!r} is neither one of {', '.join(COMPUTED)} "
                             f"nor an IFC attribute of the chosen elements")
        known = known or name
    if known not in attribute_columns:
        attribute_columns.append(known)


# --- 2. Attribute columns -----------------------------------------------------------------
# The `entities` records already know each product's GlobalId, class, name, storey and type
# name, so these columns are read from them, column by column. Materials come from one pass
# over the material relationships (much faster than asking element by element): an element's
# own material wins, else its type's, and a layer, profile or constituent set or a list gives
# the names of its materials. Elements that are not products (types, for instance) are asked
# one by one; there are few of them.


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


def cell(value):
    """An IFC attribute value as a table cell: entities by name (or #id), lists joined."""
    if isinstance(value, ifcopenshell.entity_instance):
        return getattr(value, "Name", None) or f"#{value.id()}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(cell(v)) for v in value)
    return value


def not_a_product(element, column, element_type):
    """A computed column of an element that has no record in `entities` (a type object...)."""
    if column == "Storey":
        container = ifcopenshell.util.element.get_container(element, ifc_class="IfcBuildingStorey")
        return container.Name if container else None
    if column == "Type":
        return element_type.Name if element_type else None
    return {"GlobalId": element.GlobalId, "Class": element.is_a(), "Name": element.Name}[column]


progress(0.2, f"Reading {len(elements)} elements")
entity_records = {record.id: record for record in entities}
records = [entity_records.get(i) for i in element_ids]  # None: not a product
type_of = {}  # STEP id of an element -> STEP id of its type (a type object is its own type)
for element_type in types:
    for occurrence in element_type.occurrence_ids:
        type_of[occurrence] = element_type.id
for element, record in zip(elements, records):
    if record is None and element.is_a("IfcTypeObject"):
        type_of[element.id()] = element.id()
materials_of = {}  # STEP id of an element or type -> its material names
if "Materials" in attribute_columns:
    for relationship in model.by_type("IfcRelAssociatesMaterial"):
        names = material_names(relationship.RelatingMaterial)
        for related in relationship.RelatedObjects:
            materials_of.setdefault(related.id(), names)

columns = {}
for column in attribute_columns:
    if column == "Materials":
        columns[column] = [materials_of[i] if i in materials_of
                           else materials_of.get(type_of.get(i)) for i in element_ids]
    elif column in RECORD_FIELDS:
        field = RECORD_FIELDS[column]
        columns[column] = [
            getattr(record, field) if record is not None else not_a_product(
                element, column, model.by_id(type_of[element.id()])
                if element.id() in type_of else None)
            for element, record in zip(elements, records)]
    else:
        columns[column] = [cell(getattr(element, column, None)) for element in elements]
table = pd.DataFrame(columns, columns=attribute_columns, index=pd.Index(element_ids, name="id"),
                     dtype=object)

# --- 3. Property and quantity columns -----------------------------------------------------
# properties.df holds one row per value (long format) for every product. Keeping the rows of
# our elements and spreading them into one column per "Pset.Property" (a pivot, done here with
# numpy on integer codes) is far faster than calling get_psets for every element. Elements
# that are not products (types, for instance) are not in properties.df; there are few of them,
# so they are asked one by one.
kinds = []
if params["include_properties"]:
    kinds.append("pset")
if params["include_quantities"]:
    kinds.append("qto")
progress(0.5, "Collecting properties and quantities")
values = properties.df
keep = values["kind"].isin(kinds).to_numpy(copy=True)
if len(element_ids) < len(entities) or any(r is None for r in records):
    keep &= values["entity_id"].isin(element_ids).to_numpy()
values = values[["entity_id", "pset", "name", "value", "source"]][keep]
others = [e for e, r in zip(elements, records) if r is None]
if others and kinds:
    extra = []
    for element in others:
        for pset, props in ifcopenshell.util.element.get_psets(
                element, psets_only=kinds == ["pset"], qtos_only=kinds == ["qto"]).items():
            extra += [(element.id(), pset, name, value, "occurrence")
                      for name, value in props.items() if name != "id"]
    values = pd.concat([values, pd.DataFrame(extra, columns=values.columns)], ignore_index=True)

# Each value's (property set, property) pair and its column "Pset.Property", as integer codes.
pset_codes, _ = pd.factorize(values["pset"], use_na_sentinel=False)
name_codes, names = pd.factorize(values["name"], use_na_sentinel=False)
pairs, pair_of_row = np.unique(pset_codes.astype(np.int64) * max(len(names), 1) + name_codes,
                               return_inverse=True)
first_row = np.zeros(len(pairs), dtype=np.int64)
first_row[pair_of_row[::-1]] = np.arange(len(pair_of_row))[::-1]  # each pair's first row
pair_names = values[["pset", "name"]].iloc[first_row]
column_of_pair, column_names = pd.factorize(
    pair_names["pset"].astype(str) + "." + pair_names["name"].astype(str))
column_of_row = column_of_pair[pair_of_row] if len(pair_of_row) else pair_of_row

# Only the property sets and properties asked for: a pattern names a set or a Set.Property.
wanted = split_list(params["properties"])
chosen = np.ones(len(pairs), dtype=bool)
if wanted and len(pairs):
    patterns = [re.compile(".*".join(map(re.escape, w.split("*"))), re.IGNORECASE)
                for w in wanted]
    pair_text = list(zip(pair_names["pset"].astype(str), pair_names["name"].astype(str)))
    chosen = np.array([any(p.fullmatch(pset) or p.fullmatch(f"{pset}.{name}") for p in patterns)
                       for pset, name in pair_text], dtype=bool)
    for w, p in zip(wanted, patterns):
        if not any(p.fullmatch(s) or p.fullmatch(f"{s}.{n}")
                   for (s, n), c in zip(pair_text, chosen) if c):
            print(f"Note: {w!r} matches no property of the chosen elements")

order = np.flatnonzero(chosen[pair_of_row]) if len(pair_of_row) else pair_of_row
if len(order):
    # When a property is set on the element and on its type, the element's own value wins:
    # order the rows so own values come last, then keep the last row per element and column.
    own = values["source"].to_numpy()[order] == "occurrence"
    order = order[np.argsort(own, kind="stable")]
    row = np.searchsorted(np.asarray(element_ids, dtype=np.int64),
                          values["entity_id"].to_numpy(dtype=np.int64)[order])
    cell_of = row * len(column_names) + column_of_row[order]
    last = np.sort(len(order) - 1 - np.unique(cell_of[::-1], return_index=True)[1])
    order, cell_of = order[last], cell_of[last]
    # List values (enumerations, list properties) become one cell: "a, b, c".
    cells = [", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v
             for v in values["value"].to_numpy()[order].tolist()]
    grid = np.full((len(element_ids), len(column_names)), np.nan, dtype=object)
    grid.ravel()[cell_of] = cells
    # Columns grouped by property set, properties sorted by name inside each set (a column
    # named by the first row that has it).
    used, first = np.unique(column_of_row[order], return_index=True)
    first_rows = order[np.sort(first)]
    heads = values[["pset", "name"]].iloc[first_rows].reset_index(drop=True)
    heads["code"] = column_of_row[first_rows]
    heads = heads.sort_values(["pset", "name"], key=lambda s: s.astype(str).str.lower())
    wide = pd.DataFrame(grid[:, heads["code"].to_numpy()], index=table.index,
                        columns=list(column_names[heads["code"].to_numpy()]), dtype=object)
    # An attribute column and a property column could share a name: the property gets a suffix.
    wide.columns = [c + " (property)" if c in table.columns else c for c in wide.columns]
    table = table.join(wide)

table = table.reset_index(drop=True)


# --- 4. Output ----------------------------------------------------------------------------
# save_output writes into this run's output folder: a DataFrame becomes a CSV file, and
# {sheet name: DataFrame} given an .xlsx name an Excel workbook (bold header row, text kept as
# text).
extension = "." + params["format"]
output = params["output"].strip() or "elements.csv"
stem, dot, suffix = output.rpartition(".")
if dot and suffix.lower() in ("csv", "xlsx"):
    output = stem
output += extension
progress(0.8, f"Writing {output}")
if params["format"] == "xlsx":
    save_output(output, {"Elements": table})
else:
    save_output(output, table)

# show_table shows the rows in the window; the GlobalId column links each row to its element.
# On a very large model the window gets the first rows only: the file is the export.
shown = table if not params["table_rows"] else table.head(params["table_rows"])
# Columns that hold only decimal numbers (quantities, mostly) go to the window as numbers,
# which is also the quicker way for the table to travel.
shown = shown.copy()
for position in range(len(shown.columns)):
    if all(type(v) is float for v in shown.iloc[:, position].tolist()):  # NaN is a float too
        shown.isetitem(position, shown.iloc[:, position].astype(float))
title = f"{params['query']} ({len(table)} elements)"
if len(shown) < len(table):
    title = f"{params['query']} (first {len(shown)} of {len(table)} elements; all in {output})"
show_table(shown, title=title)
if table.empty:
    print(f"No elements match {params['query']!r}; the file has only its header row.")
print(f"Exported {len(table)} elements ({params['query']}) with {len(table.columns)} columns "
      f"to {output}")

# `result` is what workflows and `ifcscript run --json` see.
result = {"rows": len(table), "columns": [str(c) for c in table.columns], "file": output}
