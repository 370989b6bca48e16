"""The code a new script starts with (the library's New): a metadata block and a table."""

from __future__ import annotations

import json

NEW_SCRIPT_CATEGORY = "My scripts"

_TEMPLATE = '''\
# /// ifcscript
# name = {name}
# description = "Lists the elements chosen by an IFC class or selector query."
# category = {category}
#
# [[parameters]]
# name = "elements"
# type = "ifc_class"
# default = "IfcWall"
# label = "Elements"
# help = "An IFC class (IfcWall) or a selector query (IfcWall, IfcSlab)"
# ///

# Already defined here (no import needed): model, entities, properties, params, show_table,
# show_chart, highlight, color_by, save_output, progress, result, pd, np. See the Help pane.

import ifcopenshell.util.selector

chosen = {{e.id() for e in ifcopenshell.util.selector.filter_elements(model, params["elements"])}}
rows = [
    {{"GlobalId": e.ifc_guid, "Class": e.ifc_type, "Name": e.name, "Storey": e.storey}}
    for e in entities
    if e.id in chosen
]
show_table(rows, title=f"{{len(rows)}} elements: {{params['elements']}}")
result = len(rows)
'''


def new_script_code(name: str, category: str = NEW_SCRIPT_CATEGORY) -> str:
    """The code of a new script called ``name``: it runs as-is and shows a table of walls."""
    return _TEMPLATE.format(name=json.dumps(name, ensure_ascii=False),
                            category=json.dumps(category, ensure_ascii=False))
