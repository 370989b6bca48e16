"""The unit a property or quantity value is in, as a symbol the properties pane shows ("m²", "mm").

A value's unit is its own `Unit` when it has one, else the project's unit for its measure (the
model's IfcUnitAssignment), looked up once per model and unit type. The cache is ours, not
`ifcopenshell.util.unit.cache_units`: that one lives on the model object, and run children forked
from the worker would inherit it and answer a script's own unit lookups from it.
"""

from __future__ import annotations

import weakref
from typing import Any, cast

import ifcopenshell
import ifcopenshell.util.unit as ifc_unit

Entity = ifcopenshell.entity_instance

# Symbols for SI unit names that ifcopenshell's `unit_symbols` spells out or leaves as "?".
_SI_SYMBOLS = {
    "METRE": "m", "SQUARE_METRE": "m²", "CUBIC_METRE": "m³", "GRAM": "g", "SECOND": "s",
    "NEWTON": "N", "PASCAL": "Pa", "WATT": "W", "JOULE": "J", "KELVIN": "K", "DEGREE_CELSIUS": "°C",
    "RADIAN": "rad", "STERADIAN": "sr", "AMPERE": "A", "VOLT": "V", "HERTZ": "Hz", "LUX": "lx",
    "LUMEN": "lm", "CANDELA": "cd", "MOLE": "mol", "OHM": "Ω", "COULOMB": "C", "FARAD": "F",
    "SIEMENS": "S", "HENRY": "H", "TESLA": "T", "WEBER": "Wb", "BECQUEREL": "Bq", "GRAY": "Gy",
    "SIEVERT": "Sv",
}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# The measure each simple quantity holds its value in (IFC2X3 and IFC4 alike).
_QUANTITY_UNIT_TYPES = {
    "IfcQuantityLength": "LENGTHUNIT", "IfcQuantityArea": "AREAUNIT", "IfcQuantityVolume": "VOLUMEUNIT",
    "IfcQuantityWeight": "MASSUNIT", "IfcQuantityTime": "TIMEUNIT",
}


def symbol(unit: Entity) -> str | None:
    """A unit as a reader writes it: "mm", "m²", "kN", "°", "W/(m²·K)"; None when it has no name."""
    if unit.is_a("IfcDerivedUnit"):
        return _derived_symbol(unit)
    if unit.is_a("IfcMonetaryUnit"):
        return str(unit.Currency or "") or None
    name = str(getattr(unit, "Name", None) or "")
    if unit.is_a("IfcSIUnit"):
        prefix = ifc_unit.prefix_symbols.get(unit.Prefix or "", "")
        base = _SI_SYMBOLS.get(name.replace("METER", "METRE"))
        return prefix + base if base else (name.lower() or None)
    # Conversion-based and context-dependent units: "foot" -> "ft", "DEGREE" -> "°".
    known = ifc_unit.unit_symbols.get(name.lower())
    return _superscripts(known) if known else (name or None)


def _superscripts(text: str) -> str:
    """"ft2" -> "ft²": a trailing power written the way a reader expects."""
    stripped = text.rstrip("0123456789")
    return stripped + text[len(stripped):].translate(_SUPERSCRIPT) if stripped else text


def _derived_symbol(unit: Entity) -> str | None:
    numerator: list[str] = []
    denominator: list[str] = []
    for element in unit.Elements or ():
        part = symbol(element.Unit) if element.Unit is not None else None
        if part is None:
            return None
        power = abs(int(element.Exponent))
        part += str(power).translate(_SUPERSCRIPT) if power != 1 else ""
        (numerator if element.Exponent > 0 else denominator).append(part)
    text = "·".join(numerator) or "1"
    if denominator:
        below = "·".join(denominator)
        text += "/" + (f"({below})" if len(denominator) > 1 else below)
    return text


class ModelUnits:
    """The unit symbols of one model's values; the project's units are looked up once per type."""

    def __init__(self, model: ifcopenshell.file) -> None:
        self.model = model
        self._project: dict[str, str | None] = {}
        self._own: dict[int, str | None] = {}

    def project_symbol(self, unit_type: str) -> str | None:
        """The symbol of the project's unit for this IfcUnitEnum ("LENGTHUNIT"), if it assigns one."""
        if unit_type not in self._project:
            unit = None
            try:
                if unit_type == "MONETARYUNIT":  # a monetary unit has no UnitType to match on
                    assignment = ifc_unit.get_unit_assignment(self.model)
                    unit = next((u for u in (assignment.Units if assignment else ()) or ()
                                 if u.is_a("IfcMonetaryUnit")), None)
                else:
                    unit = ifc_unit.get_project_unit(self.model, unit_type)
            except IndexError:  # a model without an IfcProject has no unit assignment
                unit = None
            self._project[unit_type] = self._symbol(unit) if unit is not None else None
        return self._project[unit_type]

    def of(self, value: Entity) -> str | None:
        """The unit symbol of a property or quantity (an IfcProperty or IfcPhysicalQuantity)."""
        own = getattr(value, "Unit", None)
        if own is None and value.is_a("IfcPropertyEnumeratedValue") and value.EnumerationReference:
            own = value.EnumerationReference.Unit
        if own is not None:
            return self._symbol(own)
        if value.is_a("IfcPhysicalSimpleQuantity"):
            unit_type = _QUANTITY_UNIT_TYPES.get(value.is_a())
            return self.project_symbol(unit_type) if unit_type else None
        measure = _measure_class(value)
        if not measure or not measure.endswith("Measure"):
            return None  # labels, texts, booleans, plain numbers: no unit to look for
        # Typed for five measures, but it derives any measure's unit type from its name.
        return self.project_symbol(ifc_unit.get_measure_unit_type(cast(Any, measure)))

    def _symbol(self, unit: Entity) -> str | None:
        key = unit.id()
        if key not in self._own:
            self._own[key] = symbol(unit)
        return self._own[key]


def _measure_class(prop: Entity) -> str | None:
    """The measure class of a property's value ("IfcLengthMeasure"), as util.unit reads it."""
    values: Any = ()
    if prop.is_a("IfcPropertySingleValue"):
        values = (prop.NominalValue,)
    elif prop.is_a("IfcPropertyBoundedValue"):
        values = (prop.UpperBoundValue, prop.LowerBoundValue, getattr(prop, "SetPointValue", None))
    elif prop.is_a("IfcPropertyListValue"):
        values = prop.ListValues or ()
    elif prop.is_a("IfcPropertyEnumeratedValue"):
        values = prop.EnumerationValues or ()
    first = next((v for v in values if v is not None), None)
    return first.is_a() if isinstance(first, Entity) else None


_cache: weakref.WeakKeyDictionary[ifcopenshell.file, ModelUnits] = weakref.WeakKeyDictionary()


def model_units(model: ifcopenshell.file) -> ModelUnits:
    """The units of this model, kept as long as the model (the worker's model never changes)."""
    units = _cache.get(model)
    if units is None:
        units = _cache[model] = ModelUnits(model)
    return units


def value_units(model: ifcopenshell.file, verbose_psets: dict[str, Any]) -> dict[str, dict[str, str]]:
    """{set name: {property name: symbol}} for the values of `get_psets(..., verbose=True)` that
    have a unit; properties without one (labels, counts, unassigned measures) are left out."""
    units = model_units(model)
    found: dict[str, dict[str, str]] = {}
    for set_name, values in verbose_psets.items():
        for name, value in values.items():
            if not isinstance(value, dict) or not isinstance(value.get("id"), int):
                continue  # the set's own id, or a complex property without one of its own
            try:
                unit = units.of(model.by_id(value["id"]))
            except RuntimeError:  # not in the model: nothing to say about it
                continue
            if unit:
                found.setdefault(set_name, {})[name] = unit
    return found
