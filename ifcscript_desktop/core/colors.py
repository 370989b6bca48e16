"""A `color_by` call as a run keeps it: `{"title", "kind", "values", "legend"}`.

`values` maps STEP ids (as text, the way JSON keys are) to the value given; `legend` lists
`{"label", "color": "#RRGGBB", "count"}` entries in the order `core.legend` gives them, and a
last entry with `"color": None` counts the elements the model does not have (only when there are
some). The run child builds the record (`color_record`), the worker checks what the child sent
as hostile input (`checked`), the window and the history read it back (`step_values`,
`element_colors`, `describe`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ifcscript_desktop.core.legend import NO_VALUE, PALETTE, colour_values

KINDS = ("category", "number")
NOT_FOUND_LABEL = "Not in the model"
#: A legend holds the palette's categories (or the bins and "no value") and the not-found entry.
MAX_LEGEND = len(PALETTE) + 2
MAX_TITLE = 200
MAX_LABEL = 200
MAX_INT = 2**63
_STEP_ID = re.compile(r"[1-9][0-9]{0,17}")  # below 2**63: numpy's int64 holds every one
_HEX = re.compile(r"#[0-9A-F]{6}")


def color_record(values: Mapping[int, Any], not_found: int, title: str | None) -> dict[str, Any]:
    """The record of one `color_by`: `values` by STEP id (JSON scalars), `not_found` elements
    the model does not have."""
    _, _, legend = colour_values(values)
    entries = [{"label": e.label, "color": e.color, "count": e.count} for e in legend.entries
               if e.count or e.label != NO_VALUE]
    if not_found:
        entries.append({"label": NOT_FOUND_LABEL, "color": None, "count": not_found})
    return {"title": title, "kind": legend.kind,
            "values": {str(step): values[step] for step in sorted(values)}, "legend": entries}


def checked(raw: Any) -> dict[str, Any] | None:
    """The record a run child sent, if it has the shape `color_record` gives (else None)."""
    if not isinstance(raw, dict):
        return None
    title, kind, values, legend = (raw.get(k) for k in ("title", "kind", "values", "legend"))
    if not (title is None or isinstance(title, str)) or kind not in KINDS \
            or not isinstance(values, dict) or not isinstance(legend, list) or len(legend) > MAX_LEGEND:
        return None
    if not all(isinstance(k, str) and _STEP_ID.fullmatch(k) and _scalar(v) for k, v in values.items()):
        return None
    entries = []
    for entry in legend:
        if not isinstance(entry, dict):
            return None
        label, color, count = entry.get("label"), entry.get("color"), entry.get("count")
        if not isinstance(label, str) or type(count) is not int or count < 0 \
                or not (color is None or isinstance(color, str) and _HEX.fullmatch(color)):
            return None
        entries.append({"label": label[:MAX_LABEL], "color": color, "count": count})
    return {"title": None if title is None else title[:MAX_TITLE], "kind": kind, "values": values,
            "legend": entries}


def step_values(record: Mapping[str, Any]) -> dict[int, Any]:
    """`{STEP id: value}` of a record (ids that are not numbers are left out)."""
    values = record.get("values")
    if not isinstance(values, Mapping):
        return {}
    return {int(k): v for k, v in values.items() if isinstance(k, str) and _STEP_ID.fullmatch(k)}


def element_colors(values: Mapping[int, Any]) -> dict[int, str]:
    """`{STEP id: "#RRGGBB"}`: each element's colour, as the legend and the 3D view give it."""
    ids, rgba, _ = colour_values(values)
    channels = np.rint(np.clip(rgba[:, :3], 0.0, 1.0) * 255).astype(np.int64)
    packed = (channels[:, 0] << 16) | (channels[:, 1] << 8) | channels[:, 2]
    return {step: f"#{rgb:06X}" for step, rgb in zip(ids.tolist(), packed.tolist())}


def not_found(record: Mapping[str, Any]) -> int:
    """How many of the elements given the model did not have."""
    legend = record.get("legend")
    return sum(e.get("count") or 0 for e in legend if isinstance(e, dict) and e.get("color") is None) \
        if isinstance(legend, list) else 0


def describe(record: Mapping[str, Any]) -> str:
    """One line for a user: "Fire rating (3 values, 2 not found)"."""
    title = record.get("title")
    values = record.get("values")
    count = len(values) if isinstance(values, Mapping) else 0
    text = f"{title if isinstance(title, str) and title else '(no title)'} ({count:,} value{'' if count == 1 else 's'}"
    missing = not_found(record)
    return text + (f", {missing:,} not found)" if missing else ")")


def _scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) < MAX_INT  # a larger one has no float for the gradient
    return value is None or isinstance(value, (str, bool))
