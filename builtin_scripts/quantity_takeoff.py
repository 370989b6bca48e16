# /// ifcscript
# name = "Quantity Takeoff"
# description = """Sums the quantities of the model's quantity sets (BaseQuantities, \
# Qto_WallBaseQuantities...: lengths, areas, volumes, counts, weights, times) over the chosen \
# elements, grouped by class, type or storey. Sums are in the model's units (ifcopenshell.util.unit: \
# the quantity's own unit, else the project's unit for its kind), each quantity named \
# "QuantitySet.Quantity" with its unit. A quantity set on the element wins over the same one \
# inherited from its type. Elements without any quantity are listed (and highlighted). Types \
# with the same name are summed together; so are storeys with the same name."""
# category = "Quantities"
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
# name = "group_by"
# type = "choice"
# choices = ["class", "type", "storey"]
# default = "class"
# label = "Group by"
# help = "Sum the quantities per IFC class, per type (by name) or per storey (by name)"
# ///

# Names provided by the app (no import needed): model, entities, types, properties, params,
# select, unit_symbol, show_table, show_chart, highlight, progress, result, pd. See the
# "Export Elements to CSV" built-in for the full list.

import ifcopenshell.util.element
import ifcopenshell.util.unit

group_by = params["group_by"]
NO_GROUP = {"class": "(no class)", "type": "(no type)", "storey": "(no storey)"}[group_by]

# What each kind of IFC quantity measures, and the project unit it is given in when the
# quantity does not name its own unit.
KINDS = {
    "IfcQuantityLength": ("length", "LENGTHUNIT"),
    "IfcQuantityArea": ("area", "AREAUNIT"),
    "IfcQuantityVolume": ("volume", "VOLUMEUNIT"),
    "IfcQuantityCount": ("count", None),
    "IfcQuantityWeight": ("weight", "MASSUNIT"),
    "IfcQuantityTime": ("time", "TIMEUNIT"),
    "IfcQuantityNumber": ("number", None),  # IFC4X3
}


# --- 1. The elements ----------------------------------------------------------------------
progress(0.0, "Selecting elements")
elements = [e for e in select(params["query"]) if e.is_a("IfcRoot")]
element_ids = [e.id() for e in elements]

# --- 2. The group of each element ---------------------------------------------------------
# The product records know each product's storey and type name; anything else (a query for
# type objects, say) asks ifcopenshell.
records = {record.id: record for record in entities}


def group_of(element):
    record = records.get(element.id())
    if group_by == "class":
        return element.is_a()
    if group_by == "storey":
        if record is not None:
            return record.storey or NO_GROUP
        container = ifcopenshell.util.element.get_container(element, ifc_class="IfcBuildingStorey")
        return (container.Name or f"#{container.id()}") if container else NO_GROUP
    if record is not None:
        return record.type_name or NO_GROUP
    element_type = ifcopenshell.util.element.get_type(element)
    return (element_type.Name if element_type else None) or NO_GROUP


progress(0.2, "Grouping elements")
groups = {element.id(): group_of(element) for element in elements}

# --- 3. The kind and unit of every quantity -----------------------------------------------
# properties.df carries the values, not what they measure: one pass over the model's
# quantity sets says, for each "Set.Quantity" name, whether it is a length, an area... and its
# unit (the quantity's own, else the project's unit of that kind).
progress(0.3, "Reading quantity units")


def project_unit(unit_type):
    """The project's unit of a kind ("LENGTHUNIT"...), None without a project or that unit."""
    if not model.by_type("IfcProject"):  # util.unit expects a project
        return None
    return ifcopenshell.util.unit.get_project_unit(model, unit_type)


project_units = {unit_type: unit_symbol(project_unit(unit_type))
                 for _, unit_type in KINDS.values() if unit_type}
quantity_info = {}  # (set name, quantity name) -> (kind, unit symbol)
for quantity_set in model.by_type("IfcElementQuantity"):
    for quantity in quantity_set.Quantities or ():
        key = (quantity_set.Name, quantity.Name)
        kind, unit_type = KINDS.get(quantity.is_a(), (None, None))
        if kind is None:  # a complex quantity: a group of quantities, not one number
            continue
        if quantity.Unit is not None:
            unit = unit_symbol(quantity.Unit)
        elif unit_type is None:
            unit = None
        else:
            unit = project_units[unit_type]
        seen = quantity_info.get(key)
        if seen is None:
            quantity_info[key] = (kind, unit)
        elif seen != (kind, unit):  # the same name measured two ways: say so, sum anyway
            quantity_info[key] = (seen[0] if seen[0] == kind else "mixed",
                                  seen[1] if seen[1] == unit else "mixed units")

# --- 4. The quantity values ---------------------------------------------------------------
# properties.df has one row per value; keep the quantity rows of our elements. A set the
# element has itself wins over the same set inherited from its type, as in
# ifcopenshell.util.element.get_psets (value by value).
progress(0.5, "Summing quantities")
values = properties.df
values = values[(values["kind"] == "qto") & values["entity_id"].isin(element_ids)]
values = values.assign(number=pd.to_numeric(values["value"], errors="coerce"))
values = values[values["number"].notna()]
# Sorting own values last and keeping the last row per element and quantity does that.
values = values.assign(own=values["source"] == "occurrence").sort_values("own", kind="stable")
values = values.drop_duplicates(["entity_id", "pset", "name"], keep="last")
values = values.assign(group=values["entity_id"].map(groups))

with_quantities = set(values["entity_id"])
sums = (values.groupby(["group", "pset", "name"], sort=True)
        .agg(elements=("entity_id", "nunique"), total=("number", "sum"))
        .reset_index())
with_per_group = values.groupby("group")["entity_id"].nunique()
group_sizes = pd.Series(groups, dtype=object).value_counts() if groups else pd.Series(dtype=int)


def info(pset, name):
    return quantity_info.get((pset, name), (None, None))


rows = []
for row in sums.itertuples(index=False):
    kind, unit = info(row.pset, row.name)
    rows.append({group_by.capitalize(): row.group, "Quantity set": row.pset,
                 "Quantity": row.name, "Kind": kind, "Unit": unit,
                 "Elements": int(row.elements), "Sum": float(row.total)})

# --- 5. Elements without quantities -------------------------------------------------------
missing = [e for e in elements if e.id() not in with_quantities]
missing_rows = []
for element in missing:
    record = records.get(element.id())
    missing_rows.append({"GlobalId": element.GlobalId, "Class": element.is_a(),
                         "Name": element.Name,
                         "Storey": record.storey if record is not None else None,
                         "Type": record.type_name if record is not None else None})

# --- 6. Show ------------------------------------------------------------------------------
progress(0.9, "Showing the takeoff")
title = {"class": "class", "type": "type", "storey": "storey"}[group_by]
show_table(rows, title=f"Quantities by {title} ({params['query']})")

# A compact view: one row per group, the element counts, then each volume, area and length
# quantity's sum as a column "Set.Quantity [unit]".
if rows:
    wide = sums.assign(column=[f"{p}.{n}" + (f" [{info(p, n)[1]}]" if info(p, n)[1] else "")
                               for p, n in zip(sums["pset"], sums["name"])])
    wide = wide.pivot(index="group", columns="column", values="total")
    overview = pd.DataFrame({
        group_by.capitalize(): group_sizes.index,
        "Elements": group_sizes.values,
        "With quantities": [int(with_per_group.get(g, 0)) for g in group_sizes.index],
    })
    overview = overview.merge(wide, left_on=group_by.capitalize(), right_index=True, how="left")
    show_table(overview, title=f"Sums per {title}, one column per quantity")

    # Chart the volume (else area, else length) quantity that the most elements carry.
    carried = sums.groupby(["pset", "name"])["elements"].sum()
    for chart_kind in ("volume", "area", "length"):
        candidates = [(int(count), p, n) for (p, n), count in carried.items()
                      if info(p, n)[0] == chart_kind]
        if candidates:
            _, pset, name = max(candidates)
            chosen = sums[(sums["pset"] == pset) & (sums["name"] == name)]
            unit = info(pset, name)[1]
            show_chart("bar", list(chosen["group"]), [float(v) for v in chosen["total"]],
                       title=f"{pset}.{name}" + (f" [{unit}]" if unit else "") + f" by {title}")
            break

if missing_rows:
    show_table(missing_rows, title=f"Elements without quantities ({len(missing_rows)})")
    highlight([e.id() for e in missing], color="#FF7F0E")

print(f"{len(elements)} elements ({params['query']}), {len(with_quantities)} with quantities, "
      f"{len(missing)} without; {len(quantity_info)} quantity names, grouped by {group_by} "
      f"into {len(group_sizes)} groups.")

# `result` is what workflows and `ifcscript run --json` see: per group, the element count and
# each quantity's sum; the unit and kind of each quantity once in "quantities".
by_group = {}
for group, size in group_sizes.items():
    by_group[group] = {"elements": int(size), "with_quantities": 0, "sums": {}}
for row in sums.itertuples(index=False):
    by_group[row.group]["sums"][f"{row.pset}.{row.name}"] = float(row.total)
for group, count in with_per_group.items():
    by_group[group]["with_quantities"] = int(count)
used = sorted({(p, n) for p, n in zip(sums["pset"], sums["name"])})
result = {
    "query": params["query"],
    "group_by": group_by,
    "elements": len(elements),
    "with_quantities": len(with_quantities),
    "without_quantities": len(missing),
    "groups": by_group,
    "quantities": {f"{p}.{n}": {"kind": info(p, n)[0], "unit": info(p, n)[1]} for p, n in used},
    "units": {kind: project_units.get(unit_type) for kind, unit_type in
              (("length", "LENGTHUNIT"), ("area", "AREAUNIT"), ("volume", "VOLUMEUNIT"),
               ("weight", "MASSUNIT"), ("time", "TIMEUNIT"))},
    "without_quantities_guids": [row["GlobalId"] for row in missing_rows],
}
