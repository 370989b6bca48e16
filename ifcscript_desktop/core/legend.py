"""Colours for `color_by`: a qualitative palette for categories, a gradient for numbers, a legend.

Qt-free (numpy only): the run child, the command's `--json` and the window colour alike.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Rgba = tuple[float, float, float, float]

#: Categories take these in turn (most frequent first); distinct on a white or grey background.
#: Red and green come last: they say "wrong" and "right", which most categories do not mean.
PALETTE = (
    "#4363D8", "#F58231", "#911EB4", "#42D4F4", "#F032E6", "#FFE119", "#469990", "#9A6324",
    "#DCBEFF", "#BFEF45", "#FABED4", "#800000", "#AAFFC3", "#808000", "#FFD8B1", "#000075",
    "#E6194B", "#3CB44B",
)
#: A category whose first word says a check passed or failed takes green or red (then the
#: next shades), as a coordinator reads them ("valid", "pass", "duplicate", "missing", ...).
GOOD_COLORS = ("#2CA02C", "#98DF8A", "#1B5E20")
BAD_COLORS = ("#D62728", "#FF7F0E", "#8C1B13", "#E377C2")
GOOD_WORDS = frozenset({"valid", "pass", "passed", "ok", "complete", "compliant", "meets", "yes",
                        "true", "found"})
BAD_WORDS = frozenset({"invalid", "fail", "failed", "failing", "missing", "duplicate",
                       "duplicated", "below", "incomplete", "no", "false", "error", "wrong",
                       "non-compliant", "noncompliant"})
#: Numbers go from the first colour (lowest) to the last (highest): viridis, readable in grey too.
GRADIENT = ("#440154", "#472D7B", "#3B528B", "#2C728E", "#21918C", "#28AE80", "#5EC962", "#ADDC30", "#FDE725")
#: Categories past the palette and elements without a value share this one.
OTHER_COLOR = "#A9A9A9"
NUMBER_BINS = 5
NO_VALUE = "(no value)"


@dataclass(frozen=True)
class LegendEntry:
    label: str
    color: str  # "#RRGGBB"
    count: int  # elements of the scene with this value


@dataclass(frozen=True)
class Legend:
    """What the colours of a `color_by` mean, and how many ids the scene does not have."""

    kind: str  # "category" or "number"
    entries: tuple[LegendEntry, ...]
    not_found: int
    low: float | None = None
    high: float | None = None

    def counted(self, values: Mapping[int, Any], not_found: int) -> Legend:
        """The same legend with its entries counted over `values` (the ids found)."""
        labels = {e.label for e in self.entries}
        counts: Counter[str] = Counter(_entry_label(self, labels, v) for v in values.values())
        entries = tuple(LegendEntry(e.label, e.color, counts.get(e.label, 0)) for e in self.entries)
        return Legend(self.kind, entries, not_found, self.low, self.high)


def rgba(color: str | Sequence[float]) -> Rgba:
    """`"#RRGGBB"`, `"#RRGGBBAA"` or 3 or 4 numbers in 0..1 as an RGBA tuple."""
    if isinstance(color, str):
        text = color.strip().lstrip("#")
        if len(text) not in (6, 8) or any(c not in "0123456789abcdefABCDEF" for c in text):
            raise ValueError(f"a colour must look like '#RRGGBB', not {color!r}")
        parts = [int(text[i:i + 2], 16) / 255 for i in range(0, len(text), 2)]
    else:
        parts = [float(c) for c in color]
        if len(parts) not in (3, 4):
            raise ValueError(f"a colour has 3 or 4 components, not {len(parts)}")
    r, g, b, a = (parts + [1.0])[:4]
    return (r, g, b, a)


def colour_values(values: Mapping[int, Any]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32], Legend]:
    """The ids sorted, the colour of each, and the legend (counted over every id given)."""
    ids = np.array(sorted(values), dtype=np.int64)
    numbers = [v for v in values.values() if _number(v) is not None]
    if numbers and all(_number(v) is not None or _absent(v) for v in values.values()):
        low, high = float(min(numbers)), float(max(numbers))
        legend = Legend("number", _bins(low, high), 0, low, high)
        numbers_by_id = [_number(values[int(i)]) for i in ids]
        colours = _gradient(low, high, np.array([np.nan if n is None else n for n in numbers_by_id]))
    else:
        counts = Counter(_label(v) for v in values.values())
        # Values take the palette; elements without one the grey of "no value", before "Other"
        # (which must stay last: values past the palette are counted by the last entry).
        ranked = sorted((label for label in counts if label != NO_VALUE),
                        key=lambda label: (-counts[label], label))
        entries = [LegendEntry(label, color, 0) for label, color in zip(ranked, _colours_for(ranked))]
        if len(ranked) > len(PALETTE):
            entries[-1:] = [LegendEntry(f"Other ({len(ranked) - len(PALETTE) + 1} values)", OTHER_COLOR, 0)]
        if NO_VALUE in counts:
            entries.insert(len(entries) - 1 if len(ranked) > len(PALETTE) else len(entries),
                           LegendEntry(NO_VALUE, OTHER_COLOR, 0))
        legend = Legend("category", tuple(entries), 0)
        by_label = {e.label: rgba(e.color) for e in legend.entries}
        labels = set(by_label)
        colours = np.array([by_label[_entry_label(legend, labels, values[int(i)])] for i in ids])
    legend = legend.counted(values, 0)
    return ids, np.asarray(colours, dtype=np.float32).reshape(-1, 4), legend


def _colours_for(ranked: list[str]) -> list[str]:
    """A colour per label: green or red for the words of a check's outcome, the palette in turn
    for the others (at most as many as the palette holds)."""
    colours, palette, good, bad = [], iter(PALETTE), iter(GOOD_COLORS), iter(BAD_COLORS)
    for label in ranked[:len(PALETTE)]:
        word = label.strip().lower().split(" ")[0].strip(".,:;!()") if label.strip() else ""
        shades = good if word in GOOD_WORDS else bad if word in BAD_WORDS else palette
        colours.append(next(shades, None) or next(palette))
    return colours


def _entry_label(legend: Legend, labels: set[str], value: Any) -> str:
    """The label of the legend's entry that counts `value` (`labels`: the entries' labels)."""
    if legend.kind == "number":
        number = _number(value)
        if number is None or legend.low is None or legend.high is None:
            return NO_VALUE
        span = legend.high - legend.low
        index = 0 if span <= 0 else min(int((number - legend.low) / span * NUMBER_BINS), NUMBER_BINS - 1)
        return legend.entries[index].label
    label = _label(value)
    if label in labels:
        return label
    return legend.entries[-1].label


def _bins(low: float, high: float) -> tuple[LegendEntry, ...]:
    if high <= low:
        return (LegendEntry(f"{low:.4g}", _hex(_gradient(low, high, np.array([low]))[0]), 0),
                LegendEntry(NO_VALUE, OTHER_COLOR, 0))
    step = (high - low) / NUMBER_BINS
    entries = [LegendEntry(f"{low + i * step:.4g} to {low + (i + 1) * step:.4g}",
                           _hex(_gradient(low, high, np.array([low + (i + 0.5) * step]))[0]), 0)
               for i in range(NUMBER_BINS)]
    return (*entries, LegendEntry(NO_VALUE, OTHER_COLOR, 0))


def _gradient(low: float, high: float, numbers: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """RGBA (N, 4) along `GRADIENT` from `low` to `high`; NaN (no value) takes `OTHER_COLOR`."""
    stops = np.array([rgba(c) for c in GRADIENT])
    top = len(GRADIENT) - 1
    where = np.full(len(numbers), top / 2) if high <= low else np.clip((numbers - low) / (high - low), 0.0, 1.0) * top
    where = np.nan_to_num(where)
    i = np.minimum(where.astype(np.int64), top - 1)
    colours = stops[i] + (stops[i + 1] - stops[i]) * (where - i)[:, None]
    colours[np.isnan(numbers)] = rgba(OTHER_COLOR)
    return colours


def _hex(color: Sequence[float]) -> str:
    return "#" + "".join(f"{round(c * 255):02X}" for c in color[:3])


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer past a float's range (a result table's 10**400)
        return None
    return number if math.isfinite(number) else None


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _label(value: Any) -> str:
    return NO_VALUE if _absent(value) else str(value)
