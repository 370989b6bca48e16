"""`color_by` in a real run: what comes back in the reply, and what hostile input gives."""

from __future__ import annotations

from pathlib import Path

from ifcscript_desktop.core import colors
from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.core.legend import GRADIENT, OTHER_COLOR, PALETTE
from tests.worker.conftest import run


def test_categories_come_back_with_a_legend_counting_elements_and_the_ones_not_found(
        worker: WorkerClient, tmp_path: Path) -> None:
    code = ("walls = [e for e in entities if e.ifc.is_a('IfcWall')]\n"
            "values = {w: ('EI60' if i % 3 else 'EI30') for i, w in enumerate(walls)}\n"
            "values[walls[0].ifc_guid] = 'EI90'\n"  # a GlobalId naming the same wall: last wins
            "values[987654321] = 'EI60'\n"
            "values['0000000000000000000000'] = 'EI60'\n"
            "color_by(values, title='Fire rating')\n")
    reply = run(worker, code, tmp_path).reply
    assert reply["status"] == "success", reply
    [record] = reply["colors"]
    assert record["title"] == "Fire rating" and record["kind"] == "category"
    assert len(record["values"]) == 13 and all(key.isdigit() for key in record["values"])
    legend = {e["label"]: (e["color"], e["count"]) for e in record["legend"]}
    assert legend["EI60"] == (PALETTE[0], 8)  # the most frequent value takes the first colour
    assert legend["EI30"][1] == 4 and legend["EI90"][1] == 1
    assert legend[colors.NOT_FOUND_LABEL] == (None, 2)
    assert colors.describe(record) == "Fire rating (13 values, 2 not found)"


def test_numbers_take_a_gradient_and_missing_values_their_own_entry(
        worker: WorkerClient, tmp_path: Path) -> None:
    code = ("slabs = [e for e in entities if e.ifc.is_a('IfcSlab')]\n"
            "values = {s.id: float(i) for i, s in enumerate(slabs)}\n"
            "values[slabs[0].id] = float('nan')\n"
            "values[slabs[1].id] = np.int64(10)\n"
            "color_by(values)\n"
            "color_by({slabs[0]: True, slabs[1]: 2.5})\n"  # a bool makes it categories
            "result = [slabs[0].id, slabs[1].id]\n")
    reply = run(worker, code, tmp_path).reply
    assert reply["status"] == "success", reply
    numbers, mixed = reply["colors"]
    assert numbers["kind"] == "number" and numbers["title"] is None
    nan_slab, ten_slab = map(str, reply["result"])
    assert numbers["values"][nan_slab] is None and numbers["values"][ten_slab] == 10
    assert [e["label"] for e in numbers["legend"]][-1] == "(no value)"
    assert numbers["legend"][-1]["count"] == 1 and numbers["legend"][-1]["color"] == OTHER_COLOR
    assert len({e["color"] for e in numbers["legend"]}) == len(numbers["legend"]) == 6  # 5 bins
    by_element = colors.element_colors(colors.step_values(numbers))
    assert by_element[int(ten_slab)] == GRADIENT[-1]  # the highest value
    assert by_element[int(nan_slab)] == OTHER_COLOR
    assert mixed["kind"] == "category"
    assert sorted(e["label"] for e in mixed["legend"]) == ["2.5", "True"]


def test_hostile_input_gives_a_sentence_never_a_traceback_into_our_code(
        worker: WorkerClient, tmp_path: Path) -> None:
    cases = {
        "color_by([1, 2, 3])": "color_by: values must be a dict {element: value}",
        "color_by({}, title=42)": "color_by: title must be text, not int",
        "color_by({(1, 2): 'x'})": "color_by: expected an element",
        "color_by({i: 1 for i in range(1, 2_000_000)})":
            "color_by: 1,999,999 values, but the model has only",
        "import collections.abc\n"
        "class Liar(collections.abc.Mapping):\n"
        "    def __len__(self): return 1\n"
        "    def __getitem__(self, key): return 'x'\n"
        "    def __iter__(self):\n"
        "        n = 0\n"
        "        while True:\n"
        "            n += 1\n"
        "            yield n\n"
        "color_by(Liar())": "color_by: more values, but the model has only",
    }
    for code, sentence in cases.items():
        reply = run(worker, code, tmp_path).reply
        assert reply["status"] == "error" and sentence in reply["error"], (code, reply["error"])
        assert reply["colors"] == []


def test_unknown_ids_and_odd_values_are_counted_and_shown_as_text(
        worker: WorkerClient, tmp_path: Path) -> None:
    code = ("wall = next(e for e in entities if e.ifc.is_a('IfcWall'))\n"
            "point = model.by_type('IfcCartesianPoint')[0].id()\n"  # in the model, not an element
            "color_by({wall: {'nested': [1]}, 1: 'x', point: 'y', 'nonsense': 'z', '#99999999': 'w'},"
            " title='Odd')\n"
            "color_by({})\n"
            "import fractions\n"
            "color_by({wall: 10**30, wall.ifc_guid: fractions.Fraction(10**400)})\n")
    reply = run(worker, code, tmp_path).reply
    assert reply["status"] == "success", reply
    odd, empty, huge = reply["colors"]
    assert list(huge["values"].values()) == [str(10**400)]  # too large for a number: text
    assert list(odd["values"].values()) == ["{'nested': [1]}"]
    assert colors.not_found(odd) == 4
    assert empty == {"title": None, "kind": "category", "values": {}, "legend": []}
