"""The tree's search box: plain text or a selector query to a flat, capped list of elements.

Plain text (the filter box's rules, also its tooltip) matches an element (IfcProduct) when:
- its Name contains the text, ignoring case ("wand" finds "Wand-001");
- its GlobalId is the text, or starts with it once the text has 4 characters or more (GlobalIds
  are case-sensitive, and shorter prefixes would match by chance);
- its class is the text without the "Ifc" prefix, ignoring case, or starts with it once the
  text has 3 characters or more ("wall" finds IfcWall and IfcWallStandardCase; "door" IfcDoor).
An exact GlobalId also finds what is not a product (the project, a type, a system).
Rows come GlobalId first, then name matches, then class matches, each in model order.

Selector queries (`IfcWall, /Pset_WallCommon/.FireRating=EI60`) go through
`ifcopenshell.util.selector` as the tree's filter always did (`queries.filter_ids`). Text that
looks like a selector but does not parse as one ("Fenster 80/120") is searched as plain text.

The lookup arrays are made on the first search of a model from its index (a pass over the
records, no attribute read from the model) and kept as long as the index.
"""

from __future__ import annotations

import re
import time
import weakref
from typing import Any

import ifcopenshell

from ifcscript_desktop.worker import queries
from ifcscript_desktop.worker.modelindex import ModelIndex

#: Rows a search sends at most; the reply's `total` says how many matched.
LIMIT = 5000
GUID_PREFIX_MIN = 4
CLASS_PREFIX_MIN = 3
# What makes the text a selector query: a class name as written in IFC (IfcWall, !IfcSlab) or
# an operator (=, /, !, <, >). "wall", "Wand 01" and GlobalIds are plain text.
_SELECTOR = re.compile(r"^\s*!?\s*Ifc[A-Z]|[=/!<>]")


def is_selector_query(text: str) -> bool:
    """`IfcWall`, `IfcWall, /Pset_WallCommon/.FireRating=EI60`, `Name=Foo`: a selector query."""
    return bool(_SELECTOR.search(text))


class _Lookup:
    """What a plain search scans: lower-case names, classes and sorted GlobalIds of the products."""

    def __init__(self, index: ModelIndex) -> None:
        records = index.entities
        self.records = records
        self.names = [(r.name or "").lower() for r in records]
        self.by_class: dict[str, list[int]] = {}
        for position, record in enumerate(records):
            self.by_class.setdefault(record.ifc_type, []).append(position)
        self.guids = [r.ifc_guid or "" for r in records]

    def by_guid(self, text: str) -> list[int]:
        """Positions of the products whose GlobalId is `text` or (long enough) starts with it.
        A scan (~10 ms at 100k products): sorting the GlobalIds first would cost more than it saves."""
        if len(text) < GUID_PREFIX_MIN:
            return [position for position, guid in enumerate(self.guids) if guid == text]
        return [position for position, guid in enumerate(self.guids) if guid.startswith(text)]

    def by_name(self, lowered: str) -> list[int]:
        return [position for position, name in enumerate(self.names) if lowered in name]

    def of_classes(self, lowered: str) -> list[int]:
        word = lowered.removeprefix("ifc")
        if not word:
            return []
        found: list[int] = []
        for ifc_class, positions in self.by_class.items():
            key = ifc_class.lower().removeprefix("ifc")
            if key == word or (len(word) >= CLASS_PREFIX_MIN and key.startswith(word)):
                found.extend(positions)
        return sorted(found)


_lookups: weakref.WeakKeyDictionary[ModelIndex, _Lookup] = weakref.WeakKeyDictionary()


def lookup(index: ModelIndex) -> _Lookup:
    """The search arrays of this index, made on first use."""
    found = _lookups.get(index)
    if found is None:
        found = _lookups[index] = _Lookup(index)
    return found


def _record_row(record: Any, match: str) -> dict[str, Any]:
    return {"id": record.id, "type": record.ifc_type, "name": record.name,
            "guid": record.ifc_guid, "storey": record.storey, "match": match}


def _entity_row(entity: ifcopenshell.entity_instance, match: str) -> dict[str, Any]:
    return {"id": entity.id(), "type": entity.is_a(), "name": getattr(entity, "Name", None),
            "guid": getattr(entity, "GlobalId", None), "storey": None, "match": match}


def search_text(index: ModelIndex, text: str, limit: int = LIMIT) -> dict[str, Any]:
    """Products matching plain `text` by name, GlobalId or class (see the module docstring)."""
    text = text.strip()
    if not text:
        return {"rows": [], "total": 0, "kind": "text"}
    found = lookup(index)
    ordered: dict[int, str] = {}  # position -> what matched, in the order rows are shown
    for position in found.by_guid(text):
        ordered.setdefault(position, "guid")
    lowered = text.lower()
    for position in found.by_name(lowered):
        ordered.setdefault(position, "name")
    for position in found.of_classes(lowered):
        ordered.setdefault(position, "class")
    rows = [_record_row(found.records[p], match) for p, match in list(ordered.items())[:limit]]
    total = len(ordered)
    if not ordered and len(text) == 22:  # an exact GlobalId of something other than a product
        try:
            rows, total = [_entity_row(index.model.by_guid(text), "guid")], 1
        except RuntimeError:
            pass
    return {"rows": rows, "total": total, "kind": "text"}


def search_selector(index: ModelIndex, query: str, limit: int = LIMIT) -> dict[str, Any]:
    """Elements a selector query picks (raises `queries.QueryError` with a sentence)."""
    ids = queries.filter_ids(index.model, query)
    rows = []
    for step_id in ids[:limit]:
        record = index.entity(step_id)
        rows.append(_record_row(record, "selector") if record is not None
                    else _entity_row(index.model.by_id(step_id), "selector"))
    return {"rows": rows, "total": len(ids), "kind": "selector"}


def _selector_or_text(index: ModelIndex, text: str, limit: int) -> dict[str, Any]:
    """A selector query, or, when the text only looks like one ("Fenster 80/120", "T30!",
    "Tür <EI30>": names use the selector's operators), the plain search. The selector's
    complaint is only shown when the name search finds nothing either, and then with it."""
    try:
        return search_selector(index, text.strip(), limit)
    except queries.QueryError as problem:
        found = search_text(index, text, limit)
        if found["total"]:
            return found
        why = str(problem)
        raise queries.QueryError(f"Nothing is named {text.strip()!r} and "
                                 f"{why[:1].lower()}{why[1:]}") from None


def search(index: ModelIndex, text: str, limit: int = LIMIT) -> dict[str, Any]:
    """The `search` request: a selector query or plain text; `kind` in the reply says which."""
    started = time.perf_counter()
    limit = max(1, min(int(limit), LIMIT))
    if is_selector_query(text):
        found = _selector_or_text(index, text, limit)
    else:
        found = search_text(index, text, limit)
    return {**found, "search_s": round(time.perf_counter() - started, 6)}  # for the benchmark
