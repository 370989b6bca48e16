# /// ifcscript
# name = "Property Completeness"
# description = """Checks that the elements of given classes carry the properties a project \
# requires. Each requirement is a row: an IFC class (subclasses included), a property set, a \
# property, and optionally the allowed values. An element MISSES a requirement when it has no \
# such property set, no such property, or an empty value; it VIOLATES it when the value is not \
# allowed. Allowed values are either a list separated by | (compared without regard to case; \
# numbers by value; TRUE/FALSE for booleans; every item of a list value must be allowed) or a \
# regular expression between slashes, /.../, that the whole value must match. A value set on \
# the element wins over the one inherited from its type. One row per finding, a summary per \
# requirement, the offending elements highlighted."""
# category = "Quality"
#
# [[parameters]]
# name = "requirements"
# type = "table"
# label = "Required properties"
# help = """One row per requirement: class, pset, property, allowed (optional: a|b|c or \
# /regex/). On the command line give CSV text with a header row, e.g. \
# "class,pset,property,allowed" then one line per requirement."""
# default = [
#   {class = "IfcWall", pset = "Pset_WallCommon", property = "IsExternal", allowed = "TRUE|FALSE"},
#   {class = "IfcWall", pset = "Pset_WallCommon", property = "LoadBearing", allowed = ""},
#   {class = "IfcDoor", pset = "Pset_DoorCommon", property = "FireRating", allowed = ""},
#   {class = "IfcSlab", pset = "Pset_SlabCommon", property = "IsExternal", allowed = ""},
# ]
# ///

# Names provided by the app (no import needed): model, entities, properties (properties.df is a
# DataFrame with one row per property value: entity_id, ifc_guid, pset, name, value, kind,
# source), params, show_table, highlight, color_by, progress, result, pd. See "Export Elements
# to CSV" for the full list.

import re

import ifcopenshell.util.element

COLUMNS = ["GlobalId", "class", "name", "pset", "property", "value", "problem"]


def cell(row, key):
    """A requirement cell as clean text ('' when the column is absent or empty)."""
    value = row.get(key)
    return "" if value is None else str(value).strip()


def as_text(value):
    """A property value as the text the allowed values are compared with."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def make_check(allowed, where):
    """A function value -> True when allowed, from the requirement's `allowed` cell."""
    if not allowed:
        return lambda value: True
    if len(allowed) >= 2 and allowed.startswith("/") and allowed.endswith("/"):
        try:
            pattern = re.compile(allowed[1:-1])
        except re.error as error:
            raise ValueError(f"{where}: {allowed!r} is not a valid regular expression: "
                             f"{error}") from None
        return lambda value: all(pattern.fullmatch(as_text(v)) for v in items(value))
    options = [option.strip() for option in allowed.split("|") if option.strip()]
    texts = {option.upper() for option in options}
    numbers = {n for n in map(number, options) if n is not None}

    def check(value):
        for v in items(value):
            if as_text(v).upper() in texts:
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v) in numbers:
                continue
            return False
        return True
    return check


def items(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def is_empty(value):
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --- 1. The requirements --------------------------------------------------------------------
requirements = []
for number_, row in enumerate(params["requirements"], start=1):
    if not any(cell(row, key) for key in ("class", "pset", "property", "allowed")):
        continue  # an empty row of the grid
    where = f"requirement {number_}"
    ifc_class, pset, prop = cell(row, "class"), cell(row, "pset"), cell(row, "property")
    if not (ifc_class and pset and prop):
        raise ValueError(f"{where}: class, pset and property are all needed (got class="
                         f"{ifc_class!r}, pset={pset!r}, property={prop!r})")
    try:
        model.by_type(ifc_class)
    except RuntimeError:
        raise ValueError(f"{where}: {ifc_class} is not a class of the model's schema "
                         f"{model.schema}") from None
    allowed = cell(row, "allowed")
    requirements.append({"class": ifc_class, "pset": pset, "property": prop, "allowed": allowed,
                         "check": make_check(allowed, where)})
if not requirements:
    raise ValueError("requirements: give at least one row (class, pset, property)")

# --- 2. The values, in one pass over properties.df --------------------------------------------
# Only the (pset, property) pairs the requirements name are kept. A value on the element wins
# over the type's: sort so the element's own rows come last and keep the last row per element.
progress(0.1, "Reading property values")
frame = properties.df
wanted = {(r["pset"], r["property"]) for r in requirements}
frame = frame[frame["pset"].isin({p for p, _ in wanted}) & frame["name"].isin({n for _, n in wanted})]
frame = frame.assign(own=frame["source"] == "occurrence").sort_values("own", kind="stable")
frame = frame.drop_duplicates(["entity_id", "pset", "name"], keep="last")
values = {(int(e), s, n): v for e, s, n, v in
          zip(frame["entity_id"], frame["pset"], frame["name"], frame["value"])}
# Which elements have each property set at all (to tell "no property set" from "no property").
sets = properties.df[properties.df["pset"].isin({p for p, _ in wanted})]
has_pset = set(zip(sets["entity_id"].astype(int), sets["pset"]))
records = {record.id: record for record in entities}

# --- 3. Check every element of every requirement ------------------------------------------
findings, summary, offenders = [], [], set()
met = {}  # element id -> [requirements met, requirements that apply], to colour the model by
for number_, requirement in enumerate(requirements, start=1):
    progress(0.2 + 0.7 * number_ / len(requirements), f"Checking {requirement['property']}")
    counts = {"missing": 0, "invalid": 0, "ok": 0}
    elements = model.by_type(requirement["class"])
    type_values = {}  # types are not in properties.df: read them with get_psets
    for element in elements:
        element_id = element.id()
        key = (element_id, requirement["pset"], requirement["property"])
        if element_id in records:
            value = values.get(key)
            pset_found = (element_id, requirement["pset"]) in has_pset
            property_found = key in values
        else:
            psets = ifcopenshell.util.element.get_psets(element)
            pset_found = requirement["pset"] in psets
            property_found = pset_found and requirement["property"] in psets[requirement["pset"]]
            value = psets[requirement["pset"]].get(requirement["property"]) if pset_found else None
        if not pset_found:
            problem, status = f"property set {requirement['pset']} is missing", "missing"
        elif not property_found:
            problem, status = f"property {requirement['property']} is missing", "missing"
        elif is_empty(value):
            problem, status = "the value is empty", "missing"
        elif not requirement["check"](value):
            problem, status = f"value not allowed (allowed: {requirement['allowed']})", "invalid"
        else:
            problem, status = None, "ok"
        counts[status] += 1
        tally = met.setdefault(element_id, [0, 0])
        tally[0] += status == "ok"
        tally[1] += 1
        if problem:
            offenders.add(element_id)
            findings.append({
                "GlobalId": element.GlobalId, "class": element.is_a(),
                "name": getattr(element, "Name", None), "pset": requirement["pset"],
                "property": requirement["property"],
                "value": None if is_empty(value) else (
                    ", ".join(map(as_text, value)) if isinstance(value, (list, tuple))
                    else as_text(value)),
                "problem": problem,
            })
    summary.append({"class": requirement["class"], "pset": requirement["pset"],
                    "property": requirement["property"], "allowed": requirement["allowed"],
                    "checked": len(elements), **counts})

# --- 4. Report ----------------------------------------------------------------------------
progress(1.0, "Done")
summary_table = pd.DataFrame(summary, columns=["class", "pset", "property", "allowed",
                                               "checked", "missing", "invalid", "ok"])
show_table(summary_table, title="Requirements")
if findings:
    # The GlobalId column links each row to its element in the window.
    show_table(pd.DataFrame(findings, columns=COLUMNS), title=f"Findings ({len(findings)})")
    highlight(sorted(offenders), color="#D62728")
# The model coloured by completeness: the share of its requirements each element meets.
color_by({element_id: round(100 * ok / applicable, 1) for element_id, (ok, applicable) in met.items()},
         title="Requirements met (%)")
checked = sum(s["checked"] for s in summary)
missing = sum(s["missing"] for s in summary)
invalid = sum(s["invalid"] for s in summary)
status = "FAIL" if findings else "PASS"
for s in summary:
    print(f"{s['class']} {s['pset']}.{s['property']}: {s['checked']} checked, "
          f"{s['missing']} missing, {s['invalid']} invalid, {s['ok']} ok")
print(f"{status}: {len(offenders)} of the checked elements miss or violate a requirement")

result = {
    "status": status,
    "checked": checked,
    "missing": missing,
    "invalid": invalid,
    "ok": checked - missing - invalid,
    "elements_with_findings": len(offenders),
    "requirements": summary,
    "findings": findings,
}
