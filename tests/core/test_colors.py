"""`color_by` records: built, checked as hostile input, and read back for the window."""

from __future__ import annotations

from ifcscript_desktop.core import colors
from ifcscript_desktop.core.legend import GRADIENT, OTHER_COLOR, PALETTE


def test_a_record_counts_each_colour_and_the_elements_not_found() -> None:
    record = colors.color_record({5: "EI60", 3: "EI60", 9: "EI30", 4: None}, 2, "Fire rating")
    assert record["kind"] == "category" and list(record["values"]) == ["3", "4", "5", "9"]
    assert [(e["label"], e["count"]) for e in record["legend"]] == [
        ("EI60", 2), ("EI30", 1), ("(no value)", 1), ("Not in the model", 2)]
    assert [e["color"] for e in record["legend"]] == [PALETTE[0], PALETTE[1], OTHER_COLOR, None]
    assert colors.describe(record) == "Fire rating (4 values, 2 not found)"
    assert colors.describe(colors.color_record({1: 1.0}, 0, None)) == "(no title) (1 value)"
    tints = colors.element_colors(colors.step_values(record))
    assert tints[5] == tints[3] == PALETTE[0] and tints[9] != tints[5]


def test_values_past_the_palette_share_other_and_missing_values_keep_their_own_entry() -> None:
    values: dict[int, object] = {i: f"type {i:02d}" for i in range(1, 31)}
    values.update({100: None, 101: None, 102: "type 01"})
    record = colors.color_record(values, 0, None)
    legend = [(e["label"], e["count"]) for e in record["legend"]]
    assert len(legend) == len(PALETTE) + 1
    assert legend[0] == ("type 01", 2) and legend[-2:] == [("(no value)", 2), ("Other (13 values)", 13)]
    assert sum(count for _, count in legend) == len(values)


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


def test_a_checks_outcome_reads_green_for_right_and_red_for_wrong() -> None:
    from ifcscript_desktop.core.legend import BAD_COLORS, GOOD_COLORS, PALETTE, colour_values

    _, _, legend = colour_values({1: "valid", 2: "valid", 3: "duplicate", 4: "invalid",
                                  5: "LOD 300", 6: "Passed"})
    colours = {entry.label: entry.color for entry in legend.entries}
    assert colours["valid"] == GOOD_COLORS[0] and colours["Passed"] == GOOD_COLORS[1]
    assert {colours["duplicate"], colours["invalid"]} == set(BAD_COLORS[:2])  # told apart
    assert colours["LOD 300"] == PALETTE[0]  # neither: the palette, which starts with neither
    assert PALETTE[0] not in GOOD_COLORS + BAD_COLORS


def test_ids_past_int64_and_numbers_past_float_never_raise() -> None:
    from ifcscript_desktop.core.legend import colour_values

    record = {"title": None, "kind": "category", "values": {"9999999999999999999": "x", "12": "y"},
              "legend": []}
    assert colors.step_values(record) == {12: "y"}  # a 19-digit id would overflow int64
    _, rgba, legend = colour_values({1: 10**400, 2: 3.0})  # a result table's huge integer
    assert len(rgba) == 2 and len(legend.entries) == 2  # a label, not an OverflowError
