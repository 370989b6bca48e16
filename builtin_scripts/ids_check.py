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
# highlight, color_by, progress, result, pd. See the "Export Elements to CSV" built-in for the
# full list.
# ifctester is on the sandbox's import allowlist (its ids, facet and reporter modules).

import functools

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
# Elements, each counted once however many specifications it is checked by: the window shows
# "FAIL: 13 failed" beside the run from these counts.
applicable_ids = {element.id() for spec in ids.specifications
                  for element in spec.applicable_entities}
failed_total = len(failing_elements)

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
# The model coloured by outcome: every element an IDS specification applies to passed or failed.
outcome = {}
for spec in ids.specifications:
    for element in spec.applicable_entities:
        if element.is_a("IfcObjectDefinition"):
            outcome[element.id()] = "failed" if element.id() in failing_elements else "passed"
color_by(outcome, title=f"IDS {ids_name}")
for spec in specifications:
    print(f"{spec['status']}  {spec['name']}: {spec['applicable']} applicable, "
          f"{spec['passed']} passed, {spec['failed']} failed")
print(f"{status}: {sum(s['status'] == 'PASS' for s in specifications)} of "
      f"{len(specifications)} specifications of {ids_name} pass")

# --- 5. Reports -----------------------------------------------------------------------------
# ifctester's own reports, written into the run's output folder. Its JSON reporter works out the
# details of every applicable element (type, predefined type, name, tag...) once per
# specification and again for each requirement the element passes, and the HTML and BCF
# reporters each make the whole JSON report again first: on a model of 100,000 elements that
# took three times as long as the check itself. So here the report is made once, with each
# element's details worked out once, and the three files are written from it: JSON, then BCF
# (it reads the failures), then HTML (it shortens the lists of elements in place, so it comes
# last). The files are the ones ifctester's reporters write on their own.
progress(0.8, "Writing the reports")
base = params["report_name"].strip() or "ids_report"
for extension in (".html", ".json", ".bcf"):
    if base.lower().endswith(extension):
        base = base[:-len(extension)]

type_of = {}  # STEP id of an object -> STEP id of its type (one pass over the `types` records)
for element_type in types:
    for occurrence in element_type.occurrence_ids:
        type_of.setdefault(occurrence, element_type.id)
DETAILS = ("Name", "Description", "GlobalId", "Tag", "PredefinedType", "ObjectType",
           "ElementType", "ProcessType")
positions = {}  # class name -> {attribute: its position} for the DETAILS the class has


def attributes(entity):
    """{attribute: value} of the DETAILS attributes an entity has, read by position (quicker
    than by name when there are many elements)."""
    found = positions.get(entity.is_a())
    if found is None:
        names = entity.get_attribute_names()
        found = positions[entity.is_a()] = {n: names.index(n) for n in DETAILS if n in names}
    return {name: entity.get_argument(index) for name, index in found.items()}


@functools.lru_cache(maxsize=None)
def type_details(type_id):
    """(the type object, its DETAILS attributes) by STEP id."""
    element_type = model.by_id(type_id)
    return element_type, attributes(element_type)


def predefined_type(own, of_type):
    """ifcopenshell.util.element.get_predefined_type from attributes already read: the type's
    predefined type (or its user-defined ElementType/ProcessType) wins, then the element's."""
    if of_type is not None:
        value = of_type.get("PredefinedType")
        if value == "USERDEFINED" or not value:
            value = of_type.get("ElementType", ...)
            if value is ...:
                value = of_type.get("ProcessType")
        if value and value != "NOTDEFINED":
            return value
    value = own.get("PredefinedType")
    if value == "USERDEFINED" or not value:
        value = own.get("ObjectType")
    return value


class Report(ifctester.reporter.Json):
    """ifctester's JSON report, each element's details worked out once (the same keys and
    values as ifctester's: the type as util.element.get_type finds it, and so on)."""

    def __init__(self, ids):
        super().__init__(ids)
        self.details = {}
        self.written = {}  # id() of an entity object -> its STEP line, as the JSON writes it

    def encode(self, value):
        """What json.dumps writes for an entity: its STEP line, as ifctester writes it; made
        once per entity object (each one is in several lists)."""
        text = self.written.get(id(value))
        if text is None:
            text = self.written[id(value)] = super().encode(value)
        return text

    def entity(self, element):
        found = self.details.get(element.id())
        if found is None:
            own = attributes(element)
            if element.is_a("IfcTypeObject"):  # a type is its own type
                element_type, of_type = element, own
            elif element.id() in type_of:
                element_type, of_type = type_details(type_of[element.id()])
            else:
                element_type, of_type = None, None
            found = self.details[element.id()] = {
                "element": element, "element_type": element_type, "class": element.is_a(),
                "predefined_type": predefined_type(own, of_type), "name": own.get("Name"),
                "description": own.get("Description"), "id": element.id(),
                "global_id": own.get("GlobalId"), "tag": own.get("Tag")}
        return dict(found)  # a copy per list: the HTML report marks some entries

    def report_applicable_entities(self, specification):
        return [self.entity(e) for e in specification.applicable_entities]

    def report_passed_entities(self, requirement):
        return [self.entity(e) for e in requirement.passed_entities]

    def report_failed_entities(self, requirement):
        return [{"reason": f["reason"], **self.entity(f["element"])}
                for f in requirement.failures]


class Made(ifctester.reporter.Json):
    """A reporter whose report() hands back the results already made (set on `results`)."""

    def report(self):
        return self.results


class Html(ifctester.reporter.Html, Made):
    """ifctester's HTML report from results already made: its report() shortens the lists of
    elements of what Json.report() gives it, which here is `Made.report`."""


report = Report(ids)
report.report()
json_path = save_output(base + ".json", report.to_string())

bcf_report = ifctester.reporter.Bcf(ids)
bcf_report.results = report.results  # the BCF reporter reads the failures of the same results
bcf_path = json_path[:-len(".json")] + ".bcf"  # where save_output puts base + ".bcf"
bcf_report.to_file(bcf_path)  # it can only write a file: recorded on the run below

html_report = Html(ids)
html_report.results = report.results
html_report.report()
save_output(base + ".html", html_report.to_string())
with open(bcf_path, "rb") as written:
    save_output(base + ".bcf", written.read())

progress(1.0, status)
result = {"status": status, "failed": failed_total,
          "passed": len(applicable_ids - set(failing_elements)), "specifications": specifications}
