"""Child -> parent relations of a model's products, read in one pass over the relationships.

A `get_container`/`get_type` call per element walks inverses and costs ~200 µs, which on a
100k-element model takes longer than the parse itself; these maps answer the same questions.
"""

from __future__ import annotations

import ifcopenshell
import ifcopenshell.util.element as ifc_element

Instance = ifcopenshell.entity_instance


def by_type(model: ifcopenshell.file, ifc_class: str) -> tuple[Instance, ...]:
    """`model.by_type`, empty for a class the model's schema does not have."""
    try:
        return model.by_type(ifc_class)
    except RuntimeError:
        return ()


class Relations:
    """Child -> parent maps read from one pass over the relationship entities.

    `unsure` holds elements with two parents of one kind: util.element takes the first of the
    inverse, whose order a pass over relationships cannot know, so those ask util.element.
    """

    def __init__(self, model: ifcopenshell.file) -> None:
        self.model = model
        self.unsure: set[int] = set()
        self.contained: dict[int, int] = {}
        self.aggregate: dict[int, int] = {}
        self.nest: dict[int, int] = {}
        self.fills: dict[int, int] = {}
        self.voids: dict[int, int] = {}
        self.adheres: dict[int, int] = {}
        self.type_of: dict[int, int] = {}
        self.occurrences: dict[int, list[int]] = {}
        can_be_contained: dict[str, bool] = {}
        for rel in by_type(model, "IfcRelContainedInSpatialStructure"):
            structure = rel.get_argument(5).id()
            for child in rel.get_argument(4) or ():
                cls = child.is_a()
                if cls not in can_be_contained:  # util.element ignores a contained storey
                    can_be_contained[cls] = \
                        "ContainedInStructure" in child.get_inverse_attribute_names()
                if can_be_contained[cls]:
                    self._link(self.contained, child.id(), structure)
        # Each of these has its parent at attribute 4 and its child (or children) at 5.
        for name, mapping in (("IfcRelAggregates", self.aggregate), ("IfcRelNests", self.nest),
                              ("IfcRelFillsElement", self.fills), ("IfcRelVoidsElement", self.voids),
                              ("IfcRelAdheresToElement", self.adheres)):
            for rel in by_type(model, name):
                parent, children = rel.get_argument(4), rel.get_argument(5)
                if parent is None or children is None:
                    continue
                for child in children if isinstance(children, tuple) else (children,):
                    self._link(mapping, child.id(), parent.id())
        if model.schema == "IFC2X3":  # one Decomposes inverse for both: its order decides
            self.unsure.update(self.aggregate.keys() & self.nest.keys())
        for rel in by_type(model, "IfcRelDefinesByType"):
            type_id = rel.get_argument(5).id()
            children = [o.id() for o in rel.get_argument(4) or ()]
            self.occurrences.setdefault(type_id, []).extend(children)
            for child in children:
                if self.type_of.setdefault(child, type_id) != type_id:
                    self.unsure.add(child)

    def _link(self, mapping: dict[int, int], child: int, parent: int) -> None:
        if mapping.setdefault(child, parent) != parent:
            self.unsure.add(child)

    def type_id(self, element_id: int) -> int | None:
        if element_id in self.unsure:
            found = ifc_element.get_type(self.model.by_id(element_id))
            return found.id() if found else None
        return self.type_of.get(element_id)


class StoreyFinder:
    """`get_container(e, ifc_class="IfcBuildingStorey")` from the maps, memoised.

    Elements in `unsure` are asked through their real inverses, exactly as util.element does.
    Unlike util.element, a cycle of parents ends the walk (no storey) instead of never ending.
    """

    def __init__(self, model: ifcopenshell.file, rels: Relations) -> None:
        self.model, self.rels = model, rels
        self.storeys = {s.id(): s.get_argument(2) for s in model.by_type("IfcBuildingStorey")}
        self.memo: dict[int, int | None] = {}

    def name(self, element_id: int) -> str | None:
        found = self._storey(element_id)
        return self.storeys[found] if found else None

    def storey_id(self, element_id: int) -> int | None:
        """The STEP id of the element's storey (None: in none)."""
        return self._storey(element_id)

    def _storey(self, element_id: int) -> int | None:
        memo, path = self.memo, [element_id]
        found: int | None = None
        current: int | None = element_id
        while current is not None:
            if current in memo:
                found = memo[current]
                break
            container = self._contained(current)
            if container is not None:  # contained: walk up aggregates only, never the parent
                climbed: list[int | None] = [container]
                while container is not None and container not in self.storeys:
                    container = self._parent(container, aggregate_only=True)
                    if container in climbed:
                        container = None
                    climbed.append(container)
                found = container
                break
            current = self._parent(current)
            if current is None or current in path:  # no parent left, or a cycle
                break
            path.append(current)
        for step in path:
            memo[step] = found
        return found

    def _contained(self, node: int) -> int | None:
        if node not in self.rels.unsure:
            return self.rels.contained.get(node)
        rels = getattr(self.model.by_id(node), "ContainedInStructure", None)
        return rels[0].RelatingStructure.id() if rels else None

    def _parent(self, node: int, aggregate_only: bool = False) -> int | None:
        r = self.rels
        if node in r.unsure:
            element = self.model.by_id(node)
            found = ifc_element.get_aggregate(element) if aggregate_only \
                else ifc_element.get_parent(element)
            return found.id() if found else None
        if aggregate_only:
            return r.aggregate.get(node)
        # get_parent's order, its direct container aside (the caller has checked that).
        return (r.aggregate.get(node) or r.nest.get(node) or r.fills.get(node)
                or r.voids.get(node) or r.adheres.get(node))
