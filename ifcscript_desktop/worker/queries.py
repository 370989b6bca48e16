"""Model queries the window asks the worker: tree nodes, one element's details, selector filters.

The `tree` op answers one level at a time, so the window never loads a whole model. Views:
`spatial` (project > site > building > storey > element), `class` (class name > elements),
`type` (type class > type > occurrences), `system` (system > members) and `material`
(material > elements using it, a type's material counting for occurrences without their own).
Two more views reuse the op: `filter` (`parent` is a class name or selector query; a flat list
of the matches) and `path:<view>` (`parent` is a STEP id or a list of them; for each, the node
keys from the top level down to its parent in that view, or None when the view does not show it).
Every node carries `count`, the number of its children.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import ifcopenshell
import ifcopenshell.util.element as element_util
import ifcopenshell.util.selector as selector

from ifcscript_desktop.worker.results import to_jsonable
from ifcscript_desktop.worker.units import value_units

Entity = ifcopenshell.entity_instance
Key = int | str | None


class QueryError(ValueError):
    """A query the user typed cannot be understood."""


# Derived maps that need a pass over the whole model, kept as long as the model (the worker's
# model never changes; runs change copies in forked children).
_memo: weakref.WeakKeyDictionary[ifcopenshell.file, dict[str, Any]] = weakref.WeakKeyDictionary()


def _node(entity: Entity, count: int = 0) -> dict[str, Any]:
    return {
        "id": entity.id(),
        "guid": getattr(entity, "GlobalId", None),
        "type": entity.is_a(),
        "name": getattr(entity, "Name", None),
        "has_children": count > 0,
        "count": count,
    }


def _group(name: str, count: int) -> dict[str, Any]:
    """A node that stands for a class, keyed by its name."""
    return {"id": name, "guid": None, "type": name, "name": f"{name} ({count})",
            "has_children": count > 0, "count": count}


def _as_tuple(value: Any) -> tuple[Any, ...]:
    """Inverse attributes are sets in IFC4 and sometimes single values in IFC2X3."""
    if value is None:
        return ()
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def tree(model: ifcopenshell.file, parent: Any, view: str) -> list[dict[str, Any]]:
    """Children of `parent` (None: the top level) in `view`; see the module docstring."""
    if view.startswith("path:"):
        ids = parent if isinstance(parent, list) else [parent]
        return paths(model, ids, view.removeprefix("path:"))
    if view == "filter":
        return [_node(e) for e in _select(model, str(parent or ""))]
    children = _VIEWS.get(view)
    if children is None:
        raise QueryError(f"The model tree has no view {view!r} (views: {', '.join(_VIEWS)}).")
    return children(model, parent)


# -- spatial -------------------------------------------------------------------------------------
def _spatial_children(entity: Entity) -> list[Entity]:
    children: list[Entity] = []
    for rel in getattr(entity, "IsDecomposedBy", ()) or ():
        children.extend(rel.RelatedObjects)
    for rel in getattr(entity, "ContainsElements", ()) or ():
        children.extend(rel.RelatedElements)
    for rel in getattr(entity, "IsNestedBy", ()) or ():
        children.extend(rel.RelatedObjects)
    return children


def _spatial_parent(entity: Entity) -> Entity | None:
    for rel in getattr(entity, "Decomposes", ()) or ():
        return rel.RelatingObject
    for rel in getattr(entity, "ContainedInStructure", ()) or ():
        return rel.RelatingStructure
    for rel in getattr(entity, "Nests", ()) or ():
        return rel.RelatingObject
    return None


def _spatial_tree(model: ifcopenshell.file, parent: Key) -> list[dict[str, Any]]:
    entities = model.by_type("IfcProject") if parent is None else _spatial_children(model.by_id(int(parent)))
    return [_node(e, len(_spatial_children(e))) for e in entities]


def _spatial_path(model: ifcopenshell.file, entity: Entity) -> list[Key] | None:
    chain: list[Key] = []
    current: Entity | None = entity
    while current is not None and len(chain) < 100:
        if current.is_a("IfcProject"):
            return chain[::-1]
        current = _spatial_parent(current)
        if current is not None:
            chain.append(current.id())
    return None  # not under a project: the spatial view does not show it


# -- class ---------------------------------------------------------------------------------------
def _class_tree(model: ifcopenshell.file, parent: Key) -> list[dict[str, Any]]:
    if parent is None:
        counts: dict[str, int] = {}
        for product in model.by_type("IfcProduct"):
            counts[product.is_a()] = counts.get(product.is_a(), 0) + 1
        return [_group(name, n) for name, n in sorted(counts.items())]
    return [_node(e) for e in model.by_type(str(parent), include_subtypes=False)]


def _class_path(model: ifcopenshell.file, entity: Entity) -> list[Key] | None:
    return [entity.is_a()] if entity.is_a("IfcProduct") else None


# -- type ----------------------------------------------------------------------------------------
def _type_tree(model: ifcopenshell.file, parent: Key) -> list[dict[str, Any]]:
    if parent is None:
        counts: dict[str, int] = {}
        for type_object in model.by_type("IfcTypeObject"):
            counts[type_object.is_a()] = counts.get(type_object.is_a(), 0) + 1
        return [_group(name, n) for name, n in sorted(counts.items())]
    if isinstance(parent, str) and not parent.isdigit():
        types = model.by_type(parent, include_subtypes=False)
        return [_node(t, len(element_util.get_types(t))) for t in types]
    return [_node(e) for e in element_util.get_types(model.by_id(int(parent)))]


def _type_path(model: ifcopenshell.file, entity: Entity) -> list[Key] | None:
    if entity.is_a("IfcTypeObject"):
        return [entity.is_a()]
    element_type = element_util.get_type(entity) if entity.is_a("IfcObject") else None
    return [element_type.is_a(), element_type.id()] if element_type else None


# -- system --------------------------------------------------------------------------------------
def _members(group: Entity) -> list[Entity]:
    return [o for rel in _as_tuple(getattr(group, "IsGroupedBy", None)) for o in rel.RelatedObjects or ()]


def _system_node(entity: Entity) -> dict[str, Any]:
    return _node(entity, len(_members(entity)) if entity.is_a("IfcSystem") else 0)


def _system_tree(model: ifcopenshell.file, parent: Key) -> list[dict[str, Any]]:
    if parent is None:
        return [_system_node(s) for s in model.by_type("IfcSystem")]
    return [_system_node(e) for e in _members(model.by_id(int(parent)))]


def _system_path(model: ifcopenshell.file, entity: Entity) -> list[Key] | None:
    if entity.is_a("IfcSystem"):
        return []
    for rel in getattr(entity, "HasAssignments", ()) or ():
        group = rel.RelatingGroup if rel.is_a("IfcRelAssignsToGroup") else None
        if group is not None and group.is_a("IfcSystem"):
            return [group.id()]
    return None


# -- material ------------------------------------------------------------------------------------
_PARTS = {"IfcMaterialList": "Materials", "IfcMaterialLayerSet": "MaterialLayers",
          "IfcMaterialProfileSet": "MaterialProfiles", "IfcMaterialConstituentSet": "MaterialConstituents"}


def materials_of(definition: Entity) -> list[Entity]:
    """The IfcMaterial objects behind a material select (the rule ModelIndex's `materials` uses)."""
    if definition.is_a("IfcMaterial"):
        return [definition]
    if definition.is_a("IfcMaterialLayerSetUsage"):
        return materials_of(definition.ForLayerSet)
    if definition.is_a("IfcMaterialProfileSetUsage"):
        ends = definition.ForProfileEndSet if definition.is_a("IfcMaterialProfileSetUsageTapering") else None
        return materials_of(definition.ForProfileSet) + (materials_of(ends) if ends else [])
    for set_class, parts in _PARTS.items():
        if definition.is_a(set_class):
            found = getattr(definition, parts) or ()
            return [p if p.is_a("IfcMaterial") else p.Material for p in found
                    if p is not None and (p.is_a("IfcMaterial") or p.Material is not None)]
    material = getattr(definition, "Material", None)  # a single layer, profile or constituent
    return [material] if material is not None else []


def _material_users(model: ifcopenshell.file) -> dict[int, list[int]]:
    """IfcMaterial id -> products using it (their own material, else their type's)."""
    memo = _memo.setdefault(model, {})
    if "material_users" in memo:
        return memo["material_users"]
    resolved: dict[int, list[int]] = {}
    direct: dict[int, set[int]] = {}
    for rel in model.by_type("IfcRelAssociatesMaterial"):
        definition = rel.RelatingMaterial
        if definition is None:
            continue
        if definition.id() not in resolved:
            resolved[definition.id()] = [m.id() for m in materials_of(definition)]
        for obj in rel.RelatedObjects or ():
            direct.setdefault(obj.id(), set()).update(resolved[definition.id()])
    type_of: dict[int, int] = {}
    for rel in model.by_type("IfcRelDefinesByType"):
        for obj in rel.RelatedObjects or ():
            type_of[obj.id()] = rel.RelatingType.id()
    users: dict[int, list[int]] = {}
    for product in model.by_type("IfcProduct"):
        step_id = product.id()
        found = direct.get(step_id) or direct.get(type_of.get(step_id, 0))
        for material in sorted(found or ()):
            users.setdefault(material, []).append(step_id)
    memo["material_users"] = users
    memo["material_of"] = {p: m for m, ps in users.items() for p in ps}
    return users


def _material_tree(model: ifcopenshell.file, parent: Key) -> list[dict[str, Any]]:
    users = _material_users(model)
    if parent is None:
        materials = sorted(model.by_type("IfcMaterial"), key=lambda m: (str(m.Name or ""), m.id()))
        return [_node(m, len(users.get(m.id(), ()))) for m in materials]
    return [_node(model.by_id(i)) for i in users.get(int(parent), ())]


def _material_path(model: ifcopenshell.file, entity: Entity) -> list[Key] | None:
    if entity.is_a("IfcMaterial"):
        return []
    _material_users(model)
    material = _memo[model]["material_of"].get(entity.id())
    return None if material is None else [material]


_VIEWS: dict[str, Callable[[ifcopenshell.file, Key], list[dict[str, Any]]]] = {
    "spatial": _spatial_tree, "class": _class_tree, "type": _type_tree,
    "system": _system_tree, "material": _material_tree,
}
_PATHS: dict[str, Callable[[ifcopenshell.file, Entity], list[Key] | None]] = {
    "spatial": _spatial_path, "class": _class_path, "type": _type_path,
    "system": _system_path, "material": _material_path, "filter": lambda model, entity: [],
}


def paths(model: ifcopenshell.file, ids: list[Any], view: str) -> list[dict[str, Any]]:
    """For each STEP id, the keys of the nodes above it in `view` (None: not shown there)."""
    find = _PATHS.get(view)
    if find is None:
        raise QueryError(f"The model tree has no view {view!r} (views: {', '.join(_PATHS)}).")
    found: list[dict[str, Any]] = []
    for ref in ids:
        try:
            entity = model.by_id(int(ref))
        except (RuntimeError, TypeError, ValueError):
            found.append({"id": ref, "path": None})
            continue
        found.append({"id": entity.id(), "path": find(model, entity)})
    return found


# -- one element, filters ------------------------------------------------------------------------
def resolve(model: ifcopenshell.file, ref: int | str) -> Entity:
    """An element by STEP id or GlobalId."""
    try:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return model.by_id(int(ref))
        return model.by_guid(str(ref))
    except RuntimeError:
        raise QueryError(f"The model has no element {ref}.") from None


def element(model: ifcopenshell.file, ref: int | str) -> dict[str, Any]:
    """Everything the properties pane shows for one element.

    `psets` and `quantities` hold the values as stored (in the model's units); `units` says which
    unit each value with one is in: {"psets": {set: {property: "mm"}}, "quantities": {...}}.
    """
    entity = resolve(model, ref)
    info = entity.get_info(recursive=False, include_identifier=False)
    attributes = {k: _plain(v) for k, v in info.items() if k != "type"}
    typed = hasattr(entity, "IsTypedBy") or hasattr(entity, "IsDefinedBy")
    element_type = element_util.get_type(entity) if typed else None
    product = entity.is_a("IfcProduct")
    materials = element_util.get_materials(entity) if product or entity.is_a("IfcTypeObject") else []
    container = element_util.get_container(entity) if product else None
    return {
        "id": entity.id(),
        "type": entity.is_a(),
        "attributes": attributes,
        "element_type": _node(element_type) if element_type else None,
        "container": _node(container) if container else None,
        "materials": [m.Name for m in materials],
        "psets": to_jsonable(element_util.get_psets(entity, psets_only=True)),
        "quantities": to_jsonable(element_util.get_psets(entity, qtos_only=True)),
        "units": {
            "psets": value_units(model, element_util.get_psets(entity, psets_only=True, verbose=True)),
            "quantities": value_units(model, element_util.get_psets(entity, qtos_only=True,
                                                                     verbose=True)),
        },
    }


def _plain(value: Any) -> Any:
    if isinstance(value, ifcopenshell.entity_instance):
        if value.id():
            return f"#{value.id()} {value.is_a()}"
        return str(value.wrappedValue) if hasattr(value, "wrappedValue") else value.is_a()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return to_jsonable(value)


def _select(model: ifcopenshell.file, query: str) -> list[Entity]:
    query = query.strip()
    if not query:
        return []
    try:
        return sorted(selector.filter_elements(model, query), key=lambda e: e.id())
    except Exception as exc:  # the selector grammar raises lark errors of many kinds
        raise QueryError(f"The filter {query!r} is not a valid class name or selector query: "
                         f"{_selector_problem(exc)}") from None


#: Words for the selector grammar's terminals that have no literal text of their own.
_TERMINALS = {"ESCAPED_STRING": 'a "quoted text"', "SIGNED_DECIMAL": "a number"}
_PATTERNS = (("Ifc", "an IFC class (IfcWall)"), ("[0-3]", "a GlobalId"),
             ("[A-Z]", "an attribute name (Name)"))


def _selector_problem(exc: Exception) -> str:
    """Lark's message made whole and readable: its first line, then every expected item (the
    message lists them on lines of their own, as lark's internal terminal names)."""
    lines = str(exc).strip().splitlines()
    first = lines[0].strip().removesuffix("Expected one of:").strip().rstrip(".") if lines \
        else type(exc).__name__
    char, column = getattr(exc, "char", None), getattr(exc, "column", None)
    if char is not None and isinstance(column, int):
        first = f"{char!r} at character {column} is not expected there"
    elif first.startswith("Unexpected end-of-input"):
        first = "the query ends too early"
    expected = getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ()
    words = sorted({_terminal_words(str(name)) for name in expected})
    said = f"{first}. Expected one of: {', '.join(words)}." if words else f"{first}."
    return said + (" A selector looks like IfcWall, Name=\"Wall 01\" or "
                   "IfcWall, /Pset_WallCommon/.FireRating=EI60.")


def _terminal_words(name: str) -> str:
    if name in _TERMINALS:
        return _TERMINALS[name]
    try:
        pattern = selector.filter_elements_grammar.get_terminal(name).pattern
    except (AttributeError, KeyError):
        return name
    if pattern.type == "str":
        return f'"{pattern.value}"'
    value = str(pattern.value)
    return next((words for start, words in _PATTERNS if value.startswith(start)), "a word")


def filter_ids(model: ifcopenshell.file, query: str) -> list[int]:
    """STEP ids of the elements a class name or ifcopenshell selector query picks."""
    return [e.id() for e in _select(model, query)]


def schema_classes(model: ifcopenshell.file) -> list[str]:
    """Every entity class of the model's schema, for completion in the window's editor."""
    schema = ifcopenshell.ifcopenshell_wrapper.schema_by_name(model.schema_identifier)
    return sorted(d.name() for d in schema.declarations()
                  if isinstance(d, ifcopenshell.ifcopenshell_wrapper.entity))
