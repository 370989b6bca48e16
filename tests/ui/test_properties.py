"""The properties pane shows what the worker knows about the element selected in the tree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTreeWidgetItem

from ifcscript_desktop.ui.properties import PropertiesPane
from ifcscript_desktop.ui.properties.pane import MAX_NAME_WIDTH, NAME_WIDTH_KEY
from ifcscript_desktop.ui.properties.values import display_value, format_value
from ifcscript_desktop.ui.tree import STEP_ID_ROLE, ModelTreeView
from ifcscript_desktop.ui.worker_handle import WorkerHandle
from tests.ui.test_worker_handle import ask, handle, opened  # noqa: F401  (shared fixtures)

WAIT_MS = 30_000
OPEN_MS = 60_000
FZK_WALL = 15042  # an IfcWallStandardCase of the FZK house (ArchiCAD, IFC4, metres)
REVIT_WALL = "1F6umJ5H50aeL3A1As_wTm"  # Basic Wall:Outside wall of LargeBuilding (Revit, mm)


@pytest.fixture
def revit(handle: WorkerHandle, large_building: Path, qtbot) -> WorkerHandle:  # type: ignore[no-untyped-def]  # noqa: F811
    """A handle with Revit's LargeBuilding (IFC2X3, lengths in millimetres) open."""
    with qtbot.waitSignal(handle.model_opened, timeout=OPEN_MS):
        handle.open_model(large_building)
    return handle


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[QSettings]:
    yield QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


def shown(qtbot, pane: PropertiesPane, ref: int | str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(pane.element_shown, timeout=WAIT_MS):
        pane.show_element(ref)


def row(pane: PropertiesPane, *path: str) -> QTreeWidgetItem:
    """The row under these titles, e.g. row(pane, "Quantities", "BaseQuantities", "Length")."""
    item = pane.section(path[0])
    for name in path[1:]:
        assert item is not None, path
        item = next((item.child(i) for i in range(item.childCount()) if item.child(i).text(0) == name),
                    None)
    assert item is not None, path
    return item


def items(section) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {section.child(i).text(0): section.child(i).text(1) for i in range(section.childCount())}


def test_selecting_a_wall_in_the_tree_shows_its_property_sets(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree, pane = ModelTreeView(opened), PropertiesPane(opened)
    qtbot.addWidget(tree)
    qtbot.addWidget(pane)
    tree.element_selected.connect(pane.show_element)
    tree.resize(500, 600)
    tree.show()
    tree.set_view("class")
    qtbot.waitUntil(lambda: "IfcWallStandardCase (13)" in [
        tree.model.index(r, 0).data() for r in range(tree.model.rowCount())], timeout=WAIT_MS)
    walls = next(tree.model.index(r, 0) for r in range(tree.model.rowCount())
                 if tree.model.index(r, 0).data() == "IfcWallStandardCase (13)")
    tree.tree.expand(walls)
    qtbot.waitUntil(lambda: tree.model.rowCount(walls) == 13, timeout=WAIT_MS)
    first = tree.model.index(0, 0, walls)
    tree.tree.scrollTo(first)
    with qtbot.waitSignal(pane.element_shown, timeout=WAIT_MS) as shown:
        qtbot.mouseClick(tree.tree.viewport(), Qt.MouseButton.LeftButton,
                         pos=tree.tree.visualRect(first).center())
    assert shown.args[0] == first.data(STEP_ID_ROLE)
    psets = pane.section("Property sets")
    assert psets is not None and "Pset_WallCommon" in items(psets)
    wall_common = next(psets.child(i) for i in range(psets.childCount())
                       if psets.child(i).text(0) == "Pset_WallCommon")
    assert items(wall_common) == {"ThermalTransmittance": "1.5"}  # the pset's own id is not a property
    attributes = items(pane.section("Attributes"))
    assert len(attributes["GlobalId"]) == 22
    assert pane.section("Container").text(1) == "Erdgeschoss"
    assert pane.section("Materials") is not None and pane.section("Type") is not None
    assert pane.section("Quantities") is not None
    assert "IfcWallStandardCase" in pane.title.text()


def test_only_the_last_element_asked_for_is_shown(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    walls = ask(qtbot, opened, "filter", query="IfcWall")["ids"]
    pane = PropertiesPane(opened)
    qtbot.addWidget(pane)
    shown: list[int] = []
    pane.element_shown.connect(shown.append)
    pane.show_element(walls[0])
    pane.show_element(walls[1])
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
    ask(qtbot, opened, "ping")  # both replies are in: the worker answers in order
    assert shown == [walls[1]]


def test_an_unknown_element_is_a_sentence_not_a_crash(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    pane = PropertiesPane(opened)
    qtbot.addWidget(pane)
    pane.show_element("0000000000000000000000")
    qtbot.waitUntil(lambda: "has no element" in pane.title.text(), timeout=WAIT_MS)
    assert pane.tree.topLevelItemCount() == 0


def test_values_read_as_a_user_expects() -> None:
    assert format_value(None) == "" and format_value(True) == "True"
    assert format_value(0.30000000000000004) == "0.3" and format_value([1, 2.5]) == "1, 2.5"


def test_measures_round_for_reading_and_keep_their_unit() -> None:
    assert display_value(15.41678125, "m²") == "15.42 m²" and display_value(8200.0, "mm") == "8200 mm"
    assert display_value(0.0125, "m³") == "0.0125 m³" and display_value(4.1700000001, "m") == "4.17 m"
    assert display_value(90.0, "°") == "90°" and display_value(3, "mm") == "3 mm"
    assert display_value(1.5, None) == "1.5" and display_value("EI60", None) == "EI60"


def test_the_fzk_walls_quantities_read_in_metres(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    pane = PropertiesPane(opened)
    qtbot.addWidget(pane)
    shown(qtbot, pane, FZK_WALL)
    assert row(pane, "Quantities", "BaseQuantities", "Length").text(1) == "4.17 m"
    assert row(pane, "Quantities", "BaseQuantities", "NetSideArea").text(1) == "10.43 m²"
    assert row(pane, "Quantities", "BaseQuantities", "NetVolume").text(1) == "2.5 m³"
    assert row(pane, "Quantities", "BaseQuantities", "NetVolume").toolTip(1) == "2.49624 m³"
    angle = row(pane, "Property sets", "ArchiCADProperties", "Äußerer Neigungswinkel")
    assert re.fullmatch(r"\d+(\.\d+)?°", angle.text(1)), angle.text(1)  # an IfcPlaneAngleMeasure
    assert row(pane, "Property sets", "ArchiCADProperties", "Typ").text(1) == "Wand"  # a label: no unit


def test_the_revit_walls_lengths_read_in_millimetres(revit: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane = PropertiesPane(revit)
    qtbot.addWidget(pane)
    shown(qtbot, pane, REVIT_WALL)
    assert row(pane, "Quantities", "BaseQuantities", "Length").text(1) == "8200 mm"
    assert row(pane, "Quantities", "BaseQuantities", "NetSideArea").text(1) == "63.46 m²"
    assert row(pane, "Property sets", "Custom_Pset", "Height").text(1) == "3850 mm"  # IfcLengthMeasure
    assert row(pane, "Property sets", "Custom_Pset", "NetArea").text(1) == "28.22 m²"
    assert row(pane, "Property sets", "Dimensions", "Volume").toolTip(1) == "5.64422000000001 m³"


def test_copy_value_and_copy_row_put_the_exact_value_on_the_clipboard(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    pane = PropertiesPane(opened)
    qtbot.addWidget(pane)
    pane.show()
    shown(qtbot, pane, FZK_WALL)
    area = row(pane, "Quantities", "BaseQuantities", "GrossFootprintArea")
    assert area.text(1) == "1 m²"  # rounded on screen...
    pane.tree.setCurrentItem(area)
    pane.tree.setFocus()
    qtbot.keyClick(pane.tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "1.0008"  # ...exact when copied, without the unit
    qtbot.keyClick(pane.tree, Qt.Key.Key_C,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == "GrossFootprintArea\t1.0008 m²"
    pane.copy_guid_action.trigger()
    assert QGuiApplication.clipboard().text() == "2XPyKWY018sA1ygZKgQPtU"
    length = row(pane, "Quantities", "BaseQuantities", "Length")
    length.setSelected(True)
    pane.copy_value_action.trigger()  # the context menu's entry, on two selected rows
    assert QGuiApplication.clipboard().text() == "4.17\n1.0008"


def test_every_name_and_value_has_its_full_text_as_a_tooltip(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    pane = PropertiesPane(opened)
    qtbot.addWidget(pane)
    pane.resize(420, 600)
    pane.show()
    shown(qtbot, pane, FZK_WALL)
    name = "Anzahl der Durchbrüche (Anzahl der leeren Öffnungen)"
    long_row = row(pane, "Quantities", "ArchiCADQuantities", name)
    assert long_row.toolTip(0) == name
    # The column fits the names within its maximum, so this one is cut (in the middle) on screen.
    width = pane.tree.columnWidth(0)
    assert 80 <= width <= MAX_NAME_WIDTH
    assert pane.tree.fontMetrics().horizontalAdvance(name) > width
    assert pane.tree.textElideMode() == Qt.TextElideMode.ElideMiddle
    guid = row(pane, "Attributes", "GlobalId")
    assert guid.toolTip(1) == guid.text(1) == "2XPyKWY018sA1ygZKgQPtU"


def test_the_property_column_is_fitted_then_keeps_the_users_width(
        opened: WorkerHandle, qtbot, settings: QSettings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    pane = PropertiesPane(opened)
    qtbot.addWidget(pane)
    pane.resize(600, 600)
    pane.restore(settings)
    pane.show()
    shown(qtbot, pane, FZK_WALL)
    fitted = pane.tree.columnWidth(0)
    assert fitted > 150  # sized to the names (the old fixed column was ~85 px)
    pane.tree.header().resizeSection(0, 211)  # what dragging the divider does
    shown(qtbot, pane, "2XPyKWY018sA1ygZKgQPtU")
    assert pane.tree.columnWidth(0) == 211  # a new element does not undo the user's width
    pane.save(settings)
    again = PropertiesPane(opened)
    qtbot.addWidget(again)
    again.restore(settings)
    again.show()
    shown(qtbot, again, FZK_WALL)
    assert again.tree.columnWidth(0) == 211
    settings.setValue(NAME_WIDTH_KEY, "wide")  # a hand-edited file: fitted again, no error
    third = PropertiesPane(opened)
    qtbot.addWidget(third)
    third.restore(settings)
    third.resize(600, 600)
    third.show()
    shown(qtbot, third, FZK_WALL)
    assert third.tree.columnWidth(0) == fitted


def test_empty_states_say_what_to_do(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    assert PropertiesPane().title.text().startswith("Open a model")
    pane = PropertiesPane(opened)
    qtbot.addWidget(pane)
    assert pane.title.text() == "Select an element in the tree or the 3D view to see its properties."
    shown(qtbot, pane, 15372)  # an IfcAnnotation of the FZK house: no property sets, no quantities
    assert row(pane, "Property sets").child(0).text(0) == "This element has no property sets."
    assert row(pane, "Quantities").child(0).text(0) == "This element has no quantities."
    pane.clear()
    assert "Select an element" in pane.title.text() and pane.tree.topLevelItemCount() == 0


def test_the_windows_property_column_keeps_its_width_after_a_restart(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from ifcscript_desktop.ui.app import build_main_window

    first = build_main_window(str(data_dir), [])
    qtbot.addWidget(first)
    first.show()
    first.properties.tree.header().resizeSection(0, 233)  # the user drags the divider
    first.close()
    first.store.close()
    second = build_main_window(str(data_dir), [])
    qtbot.addWidget(second)
    second.show()
    try:
        assert second.properties.tree.columnWidth(0) == 233
    finally:
        second.close()
        second.store.close()


def test_a_name_with_markup_reads_as_typed_and_an_own_unit_wins(handle: WorkerHandle, tmp_path: Path, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from tests.worker.test_units import built_model

    model, wall = built_model()  # millimetres, with a quantity in centimetres of its own
    wall.Name = "<Wand> & Co"
    path = tmp_path / "built.ifc"
    model.write(str(path))
    with qtbot.waitSignal(handle.model_opened, timeout=OPEN_MS):
        handle.open_model(path)
    pane = PropertiesPane(handle)
    qtbot.addWidget(pane)
    shown(qtbot, pane, wall.GlobalId)
    assert pane.title.text().endswith("&lt;Wand&gt; &amp; Co")  # rich text: shown as typed
    assert row(pane, "Attributes", "Name").text(1) == "<Wand> & Co"
    assert row(pane, "Quantities", "Qto_WallBaseQuantities", "Thickness").text(1) == "24 cm"
    assert row(pane, "Quantities", "Qto_WallBaseQuantities", "Length").text(1) == "5000 mm"
    assert row(pane, "Property sets", "Pset_WallCommon", "ThermalTransmittance").text(1) == "0.24 W/(m²·K)"
