"""The `color_by` palette, gradient and legend live in `core.legend` (the worker colours alike)."""

from ifcscript_desktop.core.legend import (
    GRADIENT, NO_VALUE, NUMBER_BINS, OTHER_COLOR, PALETTE, Legend, LegendEntry, Rgba, colour_values, rgba)

__all__ = ["GRADIENT", "NO_VALUE", "NUMBER_BINS", "OTHER_COLOR", "PALETTE", "Legend", "LegendEntry", "Rgba",
           "colour_values", "rgba"]
