"""Model queries the window asks the worker: tree nodes, one element's details, selector filters."""

from __future__ import annotations

from typing import Any

import ifcopenshell
import ifcopenshell.util.element as element_util
import ifcopenshell.util.selector as selector

from ifcscript_desktop.worker.results import to_jsonable


class QueryError(ValueError):
    """A query the user typed cannot be understood."""


def _node(entity: ifcopenshell.entity_instance, has_children: bool) -> dict[str, Any]:
    return {
        "id": entity.id(),
        "guid": getattr(entity, "GlobalId", None),
        "type": entity.is_a(),
        "name": getattr(entity, "Name", None),
        "has_children": has_children,
    }


def _spatial_children(entity: ifcopenshell.entity_instance) -> list[ifcopenshell.entity_instance]:
    children: list[ifcopenshell.entity_instance] = []
    for rel in getattr(entity, "IsDecomposedBy", ()) or ():
        children.extend(rel.RelatedObjects)
    for rel in getattr(entity, "ContainsElements", ()) or ():
        children.extend(rel.RelatedElements)
    for rel in getattr(entity, "IsNestedBy", ()) or ():
        children.extend(rel.RelatedObjects)
    return children


def tree(model: ifcopenshell.file, parent: int | None, view: str) -> list[dict[str, Any]]:
    """Children of `parent` (None: the roots) in the spatial or by-class view."""
    if view == "class":
        return _class_tree(model, parent)
    roots: list[ifcopenshell.entity_instance]
    if parent is None:
        roots = list(model.by_type("IfcProject"))
    else:
        roots = _spatial_children(model.by_id(parent))
    return [_node(e, bool(_spatial_children(e))) for e in roots]


def _class_tree(model: ifcopenshell.file, parent: Any) -> list[dict[str, Any]]:
    if parent is None:
        counts: dict[str, int] = {}
        for product in model.by_type("IfcProduct"):
            counts[product.is_a()] = counts.get(product.is_a(), 0) + 1
        return [{"id": name, "guid": None, "type": name, "name": f"{name} ({n})", "has_children": True}
                for name, n in sorted(counts.items())]
    return [_node(e, False) for e in model.by_type(str(parent), include_subtypes=False)]


def resolve(model: ifcopenshell.file, ref: int | str) -> ifcopenshell.entity_instance:
    """An element by STEP id or GlobalId."""
    try:
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            return model.by_id(int(ref))
        return model.by_guid(str(ref))
    except RuntimeError:
        raise QueryError(f"The model has no element {ref}.") from None


def element(model: ifcopenshell.file, ref: int | str) -> dict[str, Any]:
    """Everything the properties pane shows for one element."""
    entity = resolve(model, ref)
    info = entity.get_info(recursive=False, include_identifier=False)
    attributes = {k: _plain(v) for k, v in info.items() if k != "type"}
    element_type = element_util.get_type(entity) if hasattr(entity, "IsTypedBy") or hasattr(entity, "IsDefinedBy") else None
    materials = element_util.get_materials(entity) if entity.is_a("IfcProduct") or entity.is_a("IfcTypeObject") else []
    container = element_util.get_container(entity) if entity.is_a("IfcProduct") else None
    return {
        "id": entity.id(),
        "type": entity.is_a(),
        "attributes": attributes,
        "element_type": _node(element_type, False) if element_type else None,
        "container": _node(container, False) if container else None,
        "materials": [m.Name for m in materials],
        "psets": to_jsonable(element_util.get_psets(entity, psets_only=True)),
        "quantities": to_jsonable(element_util.get_psets(entity, qtos_only=True)),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, ifcopenshell.entity_instance):
        return f"#{value.id()} {value.is_a()}" if value.id() else str(value.wrappedValue) if hasattr(value, "wrappedValue") else value.is_a()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return to_jsonable(value)


def filter_ids(model: ifcopenshell.file, query: str) -> list[int]:
    """STEP ids of the elements a class name or ifcopenshell selector query picks."""
    query = query.strip()
    if not query:
        return []
    try:
        return sorted(e.id() for e in selector.filter_elements(model, query))
    except Exception as exc:  # the selector grammar raises lark errors of many kinds
        raise QueryError(f"The filter {query!r} is not a valid class name or selector query: "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
