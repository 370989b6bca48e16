"""IFC models built in tests with ifcopenshell.api (imported only by the tests that need it)."""

from __future__ import annotations

from typing import Any, NamedTuple

import ifcopenshell
import ifcopenshell.api
import ifcopenshell.api.aggregate
import ifcopenshell.api.context
import ifcopenshell.api.geometry
import ifcopenshell.api.project
import ifcopenshell.api.root
import ifcopenshell.api.spatial
import ifcopenshell.api.unit


class StoreyModel(NamedTuple):
    """A new IFC4 model: project, site and one storey, metric units, a Body context."""

    model: Any
    body: Any
    storey: Any


def storey_model(project_name: str) -> StoreyModel:
    api = ifcopenshell.api
    model = api.project.create_file(version="IFC4")
    project = api.root.create_entity(model, ifc_class="IfcProject", name=project_name)
    api.unit.assign_unit(model)
    context = api.context.add_context(model, context_type="Model")
    body = api.context.add_context(model, context_type="Model", context_identifier="Body",
                                   target_view="MODEL_VIEW", parent=context)
    site = api.root.create_entity(model, ifc_class="IfcSite", name="Site")
    storey = api.root.create_entity(model, ifc_class="IfcBuildingStorey", name="Ground")
    api.aggregate.assign_object(model, relating_object=project, products=[site])
    api.aggregate.assign_object(model, relating_object=site, products=[storey])
    return StoreyModel(model, body, storey)
