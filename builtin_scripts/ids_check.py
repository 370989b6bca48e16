# /// ifcscript
# name = "IDS Check"
# description = """Checks the model against an IDS file (buildingSMART Information Delivery \
# Specification) with ifctester, the IfcOpenShell IDS checker. Each specification of the IDS \
# says which elements it applies to and what they must carry (attributes, properties, \
# classifications, materials, containment). The script reports, per specification, how many \
# elements it applies to and how many of them pass and fail; lists every failing element with \
# the reason; highlights the failing elements; and writes ifctester's reports into the run's \
# output folder: HTML (to read), JSON (for other tools) and BCF (to open the issues in a BIM \
# viewer). The model FAILs when any specification fails. An IDS file that is not valid IDS ends \
# the run with an error saying what is wrong with it."""
# category = "Quality"
#
# [[parameters]]
# name = "ids"
# type = "file"
# required = true
# label = "IDS file"
# help = "The .ids file to check the model against (IDS 1.0, an XML file)"
#
# [[parameters]]
# name = "report_name"
# type = "str"
# default = "ids_report"
# label = "Report file name"
# help = """Name of the reports written into the run's output folder, without extension: \
# .html, .json and .bcf are added"""
# ///

# Names provided by the app (no import needed): model, params, save_output, show_table,
# highlight, progress, result, pd. See the "Export Elements to CSV" built-in for the full list.
# ifctester is on the sandbox's import allowlist (its ids, facet and reporter modules).

import ifctester.ids
import ifctester.reporter


def file_name(path):
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def one_line(text, limit=300):
    """A message on one line, short enough to read in the run's error."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


ids_path = params["ids"]
ids_name = file_name(ids_path)

# --- 1. Read the IDS ------------------------------------------------------------------------
# ifctester.ids.open checks the file against the IDS XML schema while reading it. Anything
# wrong (not XML, not IDS, a required element missing) becomes one clear sentence that names
# the file, and the run ends as an error.
progress(0.0, f"Reading {ids_name}")
try:
    ids = ifctester.ids.open(ids_path)
except ifctester.ids.IdsXmlValidationError as exc:
    problem = exc.xml_error
    where = f" at {problem.path}" if getattr(problem, "path", None) else ""
    reason = getattr(problem, "reason", None) or problem
    raise ValueError(f"The IDS file {ids_name} is not a valid IDS document{where}: "
                     f"{one_line(reason)}") from None
except Exception as exc:  # not XML at all, an empty file, an unreadable file...
    raise ValueError(f"The IDS file {ids_name} could not be read as IDS: "
                     f"{one_line(exc) or type(exc).__name__}") from None
if not ids.specifications:
    raise ValueError(f"The IDS file {ids_name} has no specifications to check.")

# --- 2. Check the model ---------------------------------------------------------------------
progress(0.1, f"Checking {len(ids.specifications)} specifications")
ids.validate(model, filepath=ids_path)

# --- 3. Counts per specification and the failing elements -----------------------------------
# An element applicable to a specification passes it when it meets every requirement; ifctester
# keeps the elements that failed any requirement in failed_entities.
progress(0.6, "Collecting the results")
specifications = []
failures = []
failing_elements = {}  # STEP id -> entity, to highlight
for spec in ids.specifications:
    applicable = len(spec.applicable_entities)
    failed = len(spec.failed_entities)
    specifications.append({
        "name": spec.name,
        "status": "PASS" if spec.status else "FAIL",
        "applicable": applicable,
        "passed": applicable - failed,
        "failed": failed,
    })
    for requirement in spec.requirements:
        described = requirement.to_string("requirement", spec, requirement)
        for failure in requirement.failures:
            element = failure["element"]
            failing_elements[element.id()] = element
            failures.append({
                "guid": getattr(element, "GlobalId", None),
                "ifc_type": element.is_a(),
                "name": getattr(element, "Name", None),
                "specification": spec.name,
                "requirement": described,
                "reason": failure["reason"],
            })

status = "PASS" if all(s["status"] == "PASS" for s in specifications) else "FAIL"

# --- 4. Show it -----------------------------------------------------------------------------
summary = pd.DataFrame(specifications, columns=["name", "status", "applicable", "passed",
                                                "failed"])
show_table(summary, title=f"Specifications of {ids_name}")
if failures:
    # The guid column links each row to its element in the window.
    show_table(pd.DataFrame(failures, columns=["guid", "ifc_type", "name", "specification",
                                               "requirement", "reason"]),
               title=f"Failing elements ({len(failing_elements)})")
    # Elements, spaces and types can be shown in the model tree; other entities an IDS may
    # check (property sets, materials...) cannot.
    highlight(sorted(i for i, e in failing_elements.items() if e.is_a("IfcObjectDefinition")),
              color="#D62728")
for spec in specifications:
    print(f"{spec['status']}  {spec['name']}: {spec['applicable']} applicable, "
          f"{spec['passed']} passed, {spec['failed']} failed")
print(f"{status}: {sum(s['status'] == 'PASS' for s in specifications)} of "
      f"{len(specifications)} specifications of {ids_name} pass")

# --- 5. Reports -----------------------------------------------------------------------------
# ifctester's own reports. JSON and HTML are rendered to text and saved with save_output; the
# BCF reporter can only write a file, so it writes into the output folder (next to the JSON
# report) and the finished file is then recorded on the run through save_output.
progress(0.8, "Writing the reports")
base = params["report_name"].strip() or "ids_report"
for extension in (".html", ".json", ".bcf"):
    if base.lower().endswith(extension):
        base = base[:-len(extension)]

json_report = ifctester.reporter.Json(ids)
json_report.report()
json_path = save_output(base + ".json", json_report.to_string())

html_report = ifctester.reporter.Html(ids)
html_report.report()
save_output(base + ".html", html_report.to_string())

bcf_report = ifctester.reporter.Bcf(ids)
bcf_report.report()
bcf_path = json_path[:-len(".json")] + ".bcf"  # where save_output puts base + ".bcf"
bcf_report.to_file(bcf_path)
with open(bcf_path, "rb") as written:
    save_output(base + ".bcf", written.read())

progress(1.0, status)
result = {"status": status, "specifications": specifications}
