"""`color_by` records: built, checked as hostile input, and read back for the window."""

from __future__ import annotations

from ifcscript_desktop.core import colors
from ifcscript_desktop.core.legend import GRADIENT, PALETTE


def test_a_record_counts_each_colour_and_the_elements_not_found() -> None:
    record = colors.color_record({5: "EI60", 3: "EI60", 9: "EI30", 4: None}, 2, "Fire rating")
    assert record["kind"] == "category" and list(record["values"]) == ["3", "4", "5", "9"]
    assert [(e["label"], e["count"]) for e in record["legend"]] == [
        ("EI60", 2), ("(no value)", 1), ("EI30", 1), ("Not in the model", 2)]
    assert record["legend"][0]["color"] == PALETTE[0] and record["legend"][-1]["color"] is None
    assert colors.describe(record) == "Fire rating (4 values, 2 not found)"
    assert colors.describe(colors.color_record({1: 1.0}, 0, None)) == "(no title) (1 value)"
    tints = colors.element_colors(colors.step_values(record))
    assert tints[5] == tints[3] == PALETTE[0] and tints[9] != tints[5]


def test_numbers_run_from_the_first_gradient_colour_to_the_last() -> None:
    record = colors.color_record({1: 0, 2: 5.5, 3: 10}, 0, "Area")
    assert record["kind"] == "number" and len(record["legend"]) == 5  # no "(no value)" when none
    tints = colors.element_colors({1: 0, 2: 5.5, 3: 10})
    assert (tints[1], tints[3]) == (GRADIENT[0], GRADIENT[-1])


def test_a_record_of_the_wrong_shape_from_a_run_child_is_dropped() -> None:
    # A script cannot reach the event pipe (the sandbox), but the worker still checks what comes.
    assert colors.checked({"title": None, "kind": "category", "values": {"1": [1]}, "legend": []}) is None
    assert colors.checked({"title": None, "kind": "rainbow", "values": {}, "legend": []}) is None
    assert colors.checked({"title": None, "kind": "number", "values": {"x": 1}, "legend": []}) is None
    assert colors.checked({"title": "t", "kind": "number", "values": {"1": 2**70}, "legend": []}) is None
    good = {"title": "t" * 500, "kind": "number", "values": {"1": 2.0},
            "legend": [{"label": "2", "color": "#440154", "count": 1}]}
    assert colors.checked(good) == {**good, "title": "t" * colors.MAX_TITLE}
    bad_colour = {**good, "legend": [{"label": "2", "color": "red", "count": 1}]}
    assert colors.checked(bad_colour) is None
