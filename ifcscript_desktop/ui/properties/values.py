"""Property values as the pane writes them: rounded with their unit on screen, exact when copied."""

from __future__ import annotations

import math
from typing import Any


def format_value(value: Any) -> str:
    """A value without a unit as the pane shows it (10 significant digits hide float noise)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def exact_value(value: Any) -> str:
    """A value exactly as the model stores it: what Copy value puts on the clipboard."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same float
    if isinstance(value, (list, tuple)):
        return ", ".join(exact_value(v) for v in value)
    return str(value)


def display_value(value: Any, unit: str | None) -> str:
    """"15.42 m²", "3850 mm": a measure rounded for reading, followed by its unit.

    Areas and volumes keep 2 decimals, other measures 3 (a millimetre in metres); a value below
    1 keeps at least 3 significant digits, so 0.0125 m³ is not read as 0.01. Values without a
    unit are shown as before (no rounding beyond float noise)."""
    if not unit:
        return format_value(value)
    space = "" if unit == "°" else " "  # 90°, but 20 °C and 3 m
    if isinstance(value, (list, tuple)):
        return ", ".join(_rounded(v, unit) for v in value) + space + unit
    return f"{_rounded(value, unit)}{space}{unit}" if value is not None else ""


def exact_with_unit(value: Any, unit: str | None) -> str:
    """The exact value and its unit: the value's tooltip and what Copy row writes."""
    text = exact_value(value)
    return f"{text}{'' if unit == '°' else ' '}{unit}" if unit and text else text


def _rounded(value: Any, unit: str) -> str:
    if isinstance(value, bool) or not isinstance(value, float):
        return format_value(value)
    if not math.isfinite(value):
        return format_value(value)
    decimals = 2 if unit.endswith(("²", "³")) else 3
    magnitude = abs(value)
    if 0 < magnitude < 1:
        decimals = max(decimals, 2 - math.floor(math.log10(magnitude)))
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
