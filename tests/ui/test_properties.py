"""The properties pane shows what the worker knows about the element selected in the tree."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from ifcscript_desktop.ui.properties import PropertiesPane
from ifcscript_desktop.ui.properties.pane import format_value
from ifcscript_desktop.ui.tree import STEP_ID_ROLE, ModelTreeView
from ifcscript_desktop.ui.worker_handle import WorkerHandle
from tests.ui.test_worker_handle import ask, handle, opened  # noqa: F401  (shared fixtures)

WAIT_MS = 30_000


def items(section) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {section.child(i).text(0): section.child(i).text(1) for i in range(section.childCount())}


def test_selecting_a_wall_in_the_tree_shows_its_property_sets(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    tree, pane = ModelTreeView(opened), PropertiesPane(opened)
    qtbot.addWidget(tree)
    qtbot.addWidget(pane)
    tree.element_selected.connect(pane.show_element)
    tree.show()
    tree.filter_box.setText("IfcWall")
    qtbot.waitUntil(lambda: tree.proxy.rowCount() == 13, timeout=WAIT_MS)
    first = tree.proxy.index(0, 0, QModelIndex())
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
