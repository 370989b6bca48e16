"""What the editor knows about Python text: completion words, indentation, the word at the caret.

Qt-free so both editor backends share one behaviour.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable

INDENT = "    "

# The names in a script's globals (DESIGN.md, "Script context").
CONTEXT_NAMES: tuple[str, ...] = (
    "model", "model_path", "model_name", "schema", "entities", "properties", "systems",
    "materials", "types", "select", "unit_symbol", "get_properties", "get_geometry",
    "save_output", "params",
    "selection", "previous", "progress", "result", "show_table", "show_chart", "highlight",
    "color_by", "np", "numpy", "pd", "pandas", "ifcopenshell",
)

# Offered after a dot: the context records' fields and the ifcopenshell calls scripts use most.
ATTRIBUTE_NAMES: tuple[str, ...] = (
    "id", "ifc_guid", "ifc_type", "name", "description", "object_type", "storey", "type_name",
    "ifc", "entity_id", "pset", "value", "kind", "source", "member_ids", "category",
    "element_ids", "occurrence_ids", "df", "by_type", "by_id", "by_guid", "is_a", "get_info",
    "GlobalId", "Name", "Description", "ObjectType", "PredefinedType",
)

# Used until the worker reports the open model's schema classes (set_ifc_classes).
DEFAULT_IFC_CLASSES: tuple[str, ...] = (
    "IfcActuator", "IfcAirTerminal", "IfcAlarm", "IfcAnnotation", "IfcBeam", "IfcBeamType",
    "IfcBoiler", "IfcBuilding", "IfcBuildingElement", "IfcBuildingElementProxy",
    "IfcBuildingElementProxyType", "IfcBuildingStorey", "IfcCableCarrierSegment",
    "IfcCableSegment", "IfcChiller", "IfcChimney", "IfcClassification",
    "IfcClassificationReference", "IfcColumn", "IfcColumnType", "IfcController", "IfcCovering",
    "IfcCoveringType", "IfcCurtainWall", "IfcDiscreteAccessory", "IfcDistributionControlElement",
    "IfcDistributionElement", "IfcDistributionPort", "IfcDistributionSystem", "IfcDoor",
    "IfcDoorType", "IfcDuctFitting", "IfcDuctSegment", "IfcElectricAppliance", "IfcElement",
    "IfcElementAssembly", "IfcElementQuantity", "IfcElementType", "IfcEnergyConversionDevice",
    "IfcExternalSpatialElement", "IfcFan", "IfcFastener", "IfcFlowController", "IfcFlowFitting",
    "IfcFlowMovingDevice", "IfcFlowSegment", "IfcFlowStorageDevice", "IfcFlowTerminal",
    "IfcFlowTreatmentDevice", "IfcFooting", "IfcFurnishingElement", "IfcFurniture",
    "IfcFurnitureType", "IfcGrid", "IfcGridAxis", "IfcGroup", "IfcLightFixture", "IfcMaterial",
    "IfcMaterialConstituentSet", "IfcMaterialLayer", "IfcMaterialLayerSet",
    "IfcMaterialLayerSetUsage", "IfcMaterialList", "IfcMaterialProfileSet",
    "IfcMechanicalFastener", "IfcMember", "IfcMemberType", "IfcObject", "IfcObjectDefinition",
    "IfcOpeningElement", "IfcOutlet", "IfcOwnerHistory", "IfcPile", "IfcPipeFitting",
    "IfcPipeSegment", "IfcPlate", "IfcPlateType", "IfcProduct", "IfcProject", "IfcPropertySet",
    "IfcPropertySingleValue", "IfcPump", "IfcQuantityArea", "IfcQuantityCount",
    "IfcQuantityLength", "IfcQuantityVolume", "IfcQuantityWeight", "IfcRailing",
    "IfcRailingType", "IfcRamp", "IfcRampFlight", "IfcReinforcingBar", "IfcReinforcingMesh",
    "IfcRelAggregates", "IfcRelAssignsToGroup", "IfcRelAssociatesClassification",
    "IfcRelAssociatesMaterial", "IfcRelContainedInSpatialStructure", "IfcRelDefinesByProperties",
    "IfcRelDefinesByType", "IfcRelFillsElement", "IfcRelSpaceBoundary", "IfcRelVoidsElement",
    "IfcRoof", "IfcRoofType", "IfcRoot", "IfcSanitaryTerminal", "IfcSensor",
    "IfcShadingDevice", "IfcSite", "IfcSlab", "IfcSlabType", "IfcSpace", "IfcSpaceType",
    "IfcSpatialElement", "IfcSpatialStructureElement", "IfcStair", "IfcStairFlight",
    "IfcStairType", "IfcSwitchingDevice", "IfcSystem", "IfcSystemFurnitureElement",
    "IfcTendon", "IfcTransportElement", "IfcTypeObject", "IfcTypeProduct", "IfcValve",
    "IfcVirtualElement", "IfcWall", "IfcWallStandardCase", "IfcWallType", "IfcWindow",
    "IfcWindowType", "IfcZone",
)

_IDENTIFIER_TAIL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DEDENTING = re.compile(r"(return|pass|break|continue|raise)\b")
_MIN_DOCUMENT_WORD = 4


def is_identifier_char(char: str) -> bool:
    return char == "_" or char.isalnum()


def prefix_before(line_before_cursor: str) -> str:
    """The identifier the caret is at the end of ("" when there is none)."""
    match = _IDENTIFIER_TAIL.search(line_before_cursor)
    return match.group(0) if match else ""


def word_at(line: str, column: int) -> str:
    """The identifier under or just before `column` (a character index into `line`), with the
    dotted names before it: `util.element.get_psets` at `get_psets`, `util.element` at
    `element` (what F1 asks help for)."""
    for match in _IDENTIFIER.finditer(line):
        if match.start() <= column <= match.end():
            start = match.start()
            while start > 0 and line[start - 1] == ".":
                before = _IDENTIFIER_TAIL.search(line, 0, start - 1)
                if before is None or before.start() > 0 and line[before.start() - 1].isdigit():
                    break
                start = before.start()
            return line[start:match.end()]
    return ""


def code_part(line: str) -> str:
    """`line` without its trailing comment (a `#` outside string quotes)."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def in_comment(line_before_cursor: str) -> bool:
    return code_part(line_before_cursor) != line_before_cursor


def next_line_indent(line_before_cursor: str) -> str:
    """The indentation a new line gets after Enter at the end of `line_before_cursor`.

    The previous line's indentation is kept; a block opener (`:`) adds a level; `return`,
    `pass`, `break`, `continue` and `raise` end the block and take a level off.
    """
    stripped = line_before_cursor.lstrip(" \t")
    indent = line_before_cursor[: len(line_before_cursor) - len(stripped)]
    if not stripped:
        return indent
    code = code_part(stripped).rstrip()
    if code.endswith(":"):
        return indent + INDENT
    if _DEDENTING.match(code):
        width = len(indent.expandtabs(len(INDENT)))
        return " " * max(0, width - len(INDENT))
    return indent


def completions(
    prefix: str,
    *,
    after_dot: bool,
    ifc_classes: Iterable[str],
    document_text: str = "",
    ignore_case: bool = False,
) -> list[str]:
    """The words offered for `prefix`, sorted; an empty prefix offers everything."""
    words: set[str] = set(ATTRIBUTE_NAMES) if after_dot else {*CONTEXT_NAMES, *ifc_classes}
    words.update(
        word for word in _IDENTIFIER.findall(document_text)
        if len(word) >= _MIN_DOCUMENT_WORD and not keyword.iskeyword(word)
    )
    words.discard(prefix)  # the word being typed is in the document too
    if ignore_case:
        folded = prefix.casefold()
        matches = [word for word in words if word.casefold().startswith(folded)]
    else:
        matches = [word for word in words if word.startswith(prefix)]
    return sorted(matches, key=lambda word: (word.casefold(), word))
