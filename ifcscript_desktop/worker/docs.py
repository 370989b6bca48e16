"""F1 help on ifcopenshell names: the docstring of a function, class, method or module, or the
schema's description of an IFC class or property set.

The name comes from the editor, that is from text anyone may have written, so it is resolved
only within ifcopenshell and ifctester: a fixed list of modules may be imported (importing one
has no effect beyond defining its functions), the rest of the name is a `getattr` walk that
never enters a private name, and every step must be a module of that list or a function or
class defined in those packages (`ifcopenshell.os.system` stops at `os`). Nothing is called.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
from typing import Any, Literal, cast

#: The modules a name may lead to (and that may be imported to answer it).
MODULES = (
    "ifcopenshell", "ifcopenshell.guid", "ifcopenshell.geom", "ifcopenshell.api",
    *(f"ifcopenshell.util.{name}" for name in (
        "element", "selector", "unit", "pset", "placement", "shape", "classification",
        "system", "type", "date", "attribute", "schema", "representation", "geolocation",
        "constraint", "cost", "sequence", "resource", "doc", "shape_builder", "alignment")),
    "ifctester", "ifctester.ids", "ifctester.facet", "ifctester.reporter",
)
#: The packages whose functions and classes may be shown.
PACKAGES = ("ifcopenshell", "ifctester")
#: Where a bare name (`get_psets`, `by_type`) is looked for, in this order.
SEARCHED = (
    "ifcopenshell.util.element", "ifcopenshell.util.selector", "ifcopenshell",
    "ifcopenshell.file", "ifcopenshell.entity_instance", "ifcopenshell.util.unit",
    "ifcopenshell.util.pset", "ifcopenshell.util.placement", "ifcopenshell.util.classification",
    "ifcopenshell.util.system", "ifcopenshell.util.type", "ifcopenshell.util.date",
    "ifcopenshell.util.shape", "ifcopenshell.util.attribute", "ifcopenshell.util.schema",
    "ifcopenshell.util.representation", "ifcopenshell.guid", "ifcopenshell.geom",
    "ifctester.ids", "ifctester.facet", "ifctester.reporter",
)
#: Where a method of a script's variable is looked for first.
METHOD_OWNERS = ("ifcopenshell.entity_instance", "ifcopenshell.file")
#: Names scripts use for ifcopenshell objects: the context's `model`, a record's `ifc`.
ALIASES = {"model": "ifcopenshell.file", "ifc": "ifcopenshell.entity_instance",
           "util": "ifcopenshell.util", "api": "ifcopenshell.api", "guid": "ifcopenshell.guid",
           "geom": "ifcopenshell.geom", "ids": "ifctester.ids", "facet": "ifctester.facet",
           "reporter": "ifctester.reporter"}
#: The schemas ifcopenshell.util.doc describes.
DOC_SCHEMAS = ("IFC2X3", "IFC4", "IFC4X3")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_MAX_NAME = 200


@functools.cache
def api_modules() -> tuple[str, ...]:
    """The `ifcopenshell.api.<domain>` packages, listed without importing any of them.
    Listed once per worker: pkgutil takes 70-320 ms and every F1 lookup checks the list."""
    import ifcopenshell.api

    return tuple(f"ifcopenshell.api.{m.name}" for m in pkgutil.iter_modules(ifcopenshell.api.__path__)
                 if not m.name.startswith("_"))


def find_doc(name: str, schema: str | None = None) -> dict[str, Any] | None:
    """`{name, kind, signature, doc}` for `name`, or None when it is no ifcopenshell name."""
    name = name.strip().removesuffix("()")
    if len(name) > _MAX_NAME or not _NAME.fullmatch(name):
        return None
    parts = name.split(".")
    if any(part.startswith("_") for part in parts):
        return None
    if len(parts) == 1 and name[:3].lower() == "ifc":
        return _ifc_class(name, schema)
    if len(parts) == 1 and name.startswith(("Pset_", "Qto_")):
        return _property_set(name, schema)
    found = _dotted(parts)
    if found is None and len(parts) > 1 and parts[0] not in ALIASES and parts[0] not in PACKAGES:
        # A variable's method (`wall.is_a`, `f.by_type`): an element's or a file's first.
        found = _search(parts[-1], METHOD_OWNERS + SEARCHED)
    if found is None:
        return None
    qualified, target = found
    return _describe(qualified, target)


# -- resolving ---------------------------------------------------------------------------------
def _allowed_modules() -> tuple[str, ...]:
    return MODULES + api_modules()


def _import(module: str) -> Any:
    if module not in _allowed_modules():
        return None
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _in_packages(target: Any) -> bool:
    """A module of the list, or a function, class or property defined in ifcopenshell/ifctester."""
    if inspect.ismodule(target):
        return target.__name__ in _allowed_modules()
    if isinstance(target, property):
        target = target.fget
    module = getattr(target, "__module__", None)
    if not isinstance(module, str) or module.split(".")[0] not in PACKAGES:
        return False
    return inspect.isroutine(target) or inspect.isclass(target)


def _walk(start: Any, qualified: str, rest: list[str]) -> tuple[str, Any] | None:
    target = start
    for part in rest:
        nested = f"{qualified}.{part}"
        step = inspect.getattr_static(target, part, None) if inspect.isclass(target) \
            else getattr(target, part, None)
        if step is None or (inspect.ismodule(step) and step.__name__ != nested):
            step = _import(nested)  # a submodule not imported yet (`util.unit`)
        if isinstance(step, (staticmethod, classmethod)):
            step = step.__func__
        if step is None or not _in_packages(step):
            return None
        target, qualified = step, nested
    return qualified, target


def _start(path: str) -> tuple[str, Any, list[str]] | None:
    """The longest listed module `path` starts with, and the parts after it."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if module in _allowed_modules():
            imported = _import(module)
            if imported is not None:
                return module, imported, parts[cut:]
    return None


def _dotted(parts: list[str]) -> tuple[str, Any] | None:
    root = parts[0]
    if root in ALIASES:
        path = ".".join([ALIASES[root], *parts[1:]])
    elif root in PACKAGES:
        path = ".".join(parts)
    else:
        short = [m for m in _allowed_modules() if m.rsplit(".", 1)[-1] == root and "." in m]
        if short:  # `import ifcopenshell.util.element as element`
            path = ".".join([short[0], *parts[1:]])
        elif len(parts) == 1:
            return _search(root)
        else:
            return None
    start = _start(path)
    if start is None:
        return None
    module, imported, rest = start
    return _walk(imported, module, rest)


def _search(word: str, places: tuple[str, ...] = SEARCHED) -> tuple[str, Any] | None:
    for place in places:
        start = _start(place)
        if start is None:
            continue
        found = _walk(start[1], start[0], [*start[2], word])
        if found is not None and not inspect.ismodule(found[1]):
            return found
    return None


# -- describing --------------------------------------------------------------------------------
def _describe(qualified: str, target: Any) -> dict[str, Any]:
    if isinstance(target, property):
        target = target.fget
    kind = ("module" if inspect.ismodule(target) else "class" if inspect.isclass(target)
            else "function")
    signature = ""
    if kind != "module":
        try:
            signature = str(inspect.signature(target))
        except (TypeError, ValueError):  # a C++ wrapper without a signature
            signature = ""
    doc = inspect.cleandoc(target.__doc__) if isinstance(target.__doc__, str) else ""
    if kind == "module":
        names = sorted(n for n, v in vars(target).items() if not n.startswith("_")
                       and inspect.isfunction(v) and v.__module__ == target.__name__)
        listing = f"Functions: {', '.join(names)}" if names else ""
        doc = "\n\n".join(text for text in (doc, listing) if text)
    return {"name": qualified, "kind": kind, "signature": signature,
            "doc": doc or "(ifcopenshell gives no description.)"}


DocSchema = Literal["IFC2X3", "IFC4", "IFC4X3"]


def _doc_schema(schema: str | None) -> DocSchema:
    """The schema util.doc knows that `schema` (IFC4X3_ADD2, IFC2X3...) belongs to."""
    text = (schema or "IFC4").upper()
    found = next((s for s in sorted(DOC_SCHEMAS, key=len, reverse=True) if text.startswith(s)),
                 "IFC4")
    return cast(DocSchema, found)


def _ifc_class(name: str, schema: str | None) -> dict[str, Any] | None:
    import ifcopenshell.util.doc as ifcdoc
    import ifcopenshell.ifcopenshell_wrapper as wrapper

    version = _doc_schema(schema)
    try:
        declaration = wrapper.schema_by_name(version).declaration_by_name(name)
    except (RuntimeError, KeyError, IndexError):
        return None
    proper = declaration.name()
    entry: dict[str, Any]
    try:
        entry = dict(ifcdoc.get_entity_doc(version, proper, recursive=False) or {})
    except (KeyError, AttributeError, TypeError):
        entry = {}
    lines = [str(entry.get("description") or "")]
    supertype = declaration.supertype() if hasattr(declaration, "supertype") else None
    if supertype is not None:
        lines.append(f"Subtype of {supertype.name()}.")
    if hasattr(declaration, "all_attributes"):
        lines.append("Attributes: " + ", ".join(a.name() for a in declaration.all_attributes()))
    predefined = entry.get("predefined_types") or {}
    if predefined:
        lines.append("Predefined types: " + ", ".join(predefined))
    if entry.get("spec_url"):
        lines.append(str(entry["spec_url"]))
    return {"name": proper, "kind": f"{version} class", "signature": "",
            "doc": "\n\n".join(line for line in lines if line)}


def _property_set(name: str, schema: str | None) -> dict[str, Any] | None:
    import ifcopenshell.util.doc as ifcdoc

    version = _doc_schema(schema)
    try:
        entry = ifcdoc.get_property_set_doc(version, name)
    except (KeyError, AttributeError, TypeError):
        entry = None
    if not entry:
        return None
    lines = [str(entry.get("description") or "")]
    properties = entry.get("properties") or {}
    lines.extend(f"{prop}: {text}" for prop, text in properties.items())
    if entry.get("spec_url"):
        lines.append(str(entry["spec_url"]))
    return {"name": name, "kind": f"{version} property set", "signature": "",
            "doc": "\n\n".join(line for line in lines if line)}
