# /// ifcscript
# name = "GUID Validation Check"
# description = """Checks the GlobalId of every rooted entity (IfcRoot: elements, spaces, types, \
# property sets, relationships...). A GlobalId must be 22 characters of the IFC base-64 alphabet \
# (0-9, A-Z, a-z, _ and $) and start with 0, 1, 2 or 3: exactly the GlobalIds that decode to a \
# 128-bit UUID (ifcopenshell.guid.expand). It must also be unique within the model and, when \
# other models are given, across them. One finding per problem; the model FAILs when there is \
# any finding."""
# category = "Quality"
#
# [[parameters]]
# name = "other_models"
# type = "files"
# default = []
# label = "Other models"
# help = """More IFC files to check for GlobalIds shared with this model (the other \
# disciplines of a project, for example). The script reads them with ifcopenshell.open, which \
# the sandbox allows for files given as parameters."""
# ///

# Names provided by the app (no import needed): model, model_path, params, show_table,
# highlight, color_by, progress, result, pd, ifcopenshell. See the "Export Elements to CSV" built-in for
# the full list.

import collections
import re

# The 64 characters of IFC's base-64 encoding, in their order.
IFC_BASE64 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$"
ALPHABET = frozenset(IFC_BASE64)
# What a good GlobalId looks like: 22 characters of the alphabet, the first one 0-3. Exactly
# these decode to a 128-bit UUID (ifcopenshell.guid.expand turns them back into one). Nearly
# all GlobalIds match, so this one quick test spares them the detailed checks below, which only
# run to say what is wrong with the others.
WELL_FORMED = re.compile(r"[0-3][0-9A-Za-z_$]{21}")


def format_problems(guid):
    """Everything wrong with the form of one GlobalId, as sentences (empty when it is fine)."""
    if not guid:
        return ["GlobalId is missing"]
    problems = []
    if len(guid) != 22:
        problems.append(f"length is {len(guid)}, not 22")
    bad_characters = sorted(set(guid) - ALPHABET)
    if bad_characters:
        problems.append("characters outside the IFC base-64 alphabet: "
                        + " ".join(repr(c) for c in bad_characters))
    if guid[0] not in "0123":
        # 22 base-64 characters hold 132 bits and a UUID has 128, so the first character
        # carries only 2 bits: 0-3. Anything higher cannot be decoded to a UUID.
        problems.append(f"first character {guid[0]!r} is not 0-3, so it does not decode to "
                        "a 128-bit UUID")
    return problems


def describe(entity):
    return f"#{entity.id()} {entity.is_a()}" + (f" '{entity.Name}'" if entity.Name else "")


def listing(descriptions, limit=5):
    """A readable list that stays short when a GlobalId is shared by very many entities."""
    shown = ", ".join(descriptions[:limit])
    return shown + (f" and {len(descriptions) - limit} more" if len(descriptions) > limit else "")


def file_name(path):
    return path.replace("\\", "/").rsplit("/", 1)[-1]


findings = []
offenders = set()  # STEP ids of the entities with a finding, to highlight
status_of = {}  # STEP id -> the worst finding's kind, to colour the model by


def mark(entity, kind):
    status_of.setdefault(entity.id(), kind)  # invalid, then duplicate, then in another model


def report(entity, problem):
    findings.append({"guid": entity.GlobalId, "ifc_type": entity.is_a(),
                     "name": entity.Name, "problem": problem})
    offenders.add(entity.id())


# --- 1. Format of every GlobalId ----------------------------------------------------------
# Not only products: property sets, relationships and types have GlobalIds too.
progress(0.0, "Checking GlobalId formats")
roots = model.by_type("IfcRoot")
by_guid = collections.defaultdict(list)
invalid_format = 0
for entity in roots:
    guid = entity.GlobalId
    by_guid[guid].append(entity)
    if guid and WELL_FORMED.fullmatch(guid):
        continue
    problems = format_problems(guid)
    if problems:
        invalid_format += 1
        mark(entity, "invalid")
    for problem in problems:
        report(entity, problem)

# --- 2. Duplicates within the model -------------------------------------------------------
progress(0.4, "Looking for duplicates")
duplicated = set()
for guid, sharing in by_guid.items():
    if guid and len(sharing) > 1:
        duplicated.add(guid)
        for entity in sharing:
            mark(entity, "duplicate")
            others = [describe(other) for other in sharing if other is not entity]
            report(entity, f"duplicate GlobalId: also used by {listing(others)}")

# --- 3. Duplicates across other models ----------------------------------------------------
# Each other model is opened just long enough to collect its GlobalIds. File parameters arrive
# as absolute paths, like model_path, so the model itself is easy to leave out.
other_paths = [path for path in params["other_models"] if path != model_path]
for number, path in enumerate(other_paths, start=1):
    progress(0.5 + 0.4 * number / (len(other_paths) + 1), f"Reading {file_name(path)}")
    try:
        other = ifcopenshell.open(path)
    except Exception as exc:
        raise RuntimeError(f"Could not open the other model {path}: {exc}") from None
    elsewhere = collections.defaultdict(list)
    for entity in other.by_type("IfcRoot"):
        if entity.GlobalId in by_guid:
            elsewhere[entity.GlobalId].append(describe(entity))
    for guid, descriptions in elsewhere.items():
        duplicated.add(guid)
        for entity in by_guid[guid]:
            mark(entity, "duplicate in another model")
            report(entity, f"GlobalId also used in {file_name(path)} by {listing(descriptions)}")
    del other

# --- 4. Report ----------------------------------------------------------------------------
status = "FAIL" if findings else "PASS"
progress(1.0, status)
print(f"{status}: {len(roots)} GlobalIds checked, {invalid_format} with a bad format, "
      f"{len(duplicated)} used more than once"
      + (f" (also checked against {len(other_paths)} other models)" if other_paths else ""))

if findings:
    # The guid column links each row to its element in the window.
    show_table(pd.DataFrame(findings, columns=["guid", "ifc_type", "name", "problem"]),
               title=f"GlobalId findings ({len(findings)})")
    # Elements, spaces and types can be shown in the model; property sets and relationships
    # cannot, so only object definitions are highlighted.
    highlight(sorted(i for i in offenders if model.by_id(i).is_a("IfcObjectDefinition")),
              color="#D62728")
# The model coloured by status: every element, space and type (what the model can show).
color_by({entity.id(): status_of.get(entity.id(), "valid")
          for entity in model.by_type("IfcObjectDefinition")}, title="GlobalId status")

result = {
    "status": status,
    "checked": len(roots),
    "invalid_format": invalid_format,
    "duplicate_guids": len(duplicated),
    "findings": findings,
}
