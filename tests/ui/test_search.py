"""The tree's search box on the FZK house in a real worker: the whole model is searched, a pick
is revealed in the tree, clearing brings the tree back as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt

from ifcscript_desktop.ui.app import build_main_window
from ifcscript_desktop.ui.tree import STEP_ID_ROLE, ModelTreeView
from ifcscript_desktop.ui.tree.model import PLAIN_TEXT_ROLE
from ifcscript_desktop.ui.worker_handle import WorkerHandle
from tests.ui.test_app import open_house
from tests.ui.test_tree import child, pane, rows  # noqa: F401  (pane: a fixture)
from tests.ui.test_worker_handle import ask, handle, opened  # noqa: F401  (shared fixtures)

WAIT_MS = 30_000


def search(qtbot, pane: ModelTreeView, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type `text` and press Enter; wait for the worker's answer to show."""
    with qtbot.waitSignal(pane.search_finished, timeout=WAIT_MS):
        pane.filter_box.setText(text)
        pane.filter_box.returnPressed.emit()


def listed(pane: ModelTreeView, column: int = 0, role: int = Qt.ItemDataRole.DisplayRole) -> list[Any]:
    model = pane.results_model
    return [model.data(model.index(r, column), role) for r in range(model.rowCount())]


def click_result(qtbot, pane: ModelTreeView, name: str) -> QModelIndex:  # type: ignore[no-untyped-def]
    index = pane.results_model.index(listed(pane).index(name), 0)
    qtbot.mouseClick(pane.results.viewport(), Qt.MouseButton.LeftButton,
                     pos=pane.results.visualRect(index).center())
    return index


def test_a_name_finds_walls_under_storeys_never_expanded_and_says_how_many(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert pane.model.loaded_count() == 1  # nothing below the project is loaded
    search(qtbot, pane, "Wand")
    assert pane.results.isVisible() and not pane.tree.isVisible()
    assert len(listed(pane)) == 13 and all(name.startswith("Wand-") for name in listed(pane))
    assert set(listed(pane, 1)) == {"IfcWallStandardCase"}
    assert set(listed(pane, 2)) == {"Erdgeschoss", "Dachgeschoss"}  # what each belongs to
    assert pane.status.text() == "13 elements match 'Wand'."
    assert pane.model.loaded_count() == 1  # the worker searched, not the tree
    metrics = pane.results.fontMetrics()
    qtbot.waitUntil(lambda: pane.results.columnWidth(1) > metrics.horizontalAdvance(
        "IfcWallStandardCase"), timeout=WAIT_MS)  # the class is read whole, not "IfcWal…Case"
    assert pane.results.columnWidth(3) > metrics.horizontalAdvance(listed(pane, 3)[0])


def test_down_arrow_in_the_box_goes_to_the_first_result(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    search(qtbot, pane, "Fenster")
    with qtbot.waitSignal(pane.element_selected, timeout=WAIT_MS) as selected:
        qtbot.keyClick(pane.filter_box, Qt.Key.Key_Down)
    assert pane.results.hasFocus() or pane.results.currentIndex().row() == 0
    assert selected.args[0] == listed(pane, role=STEP_ID_ROLE)[0]


def test_picking_a_result_selects_it_and_reveals_it_in_the_tree(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    chosen: list[int] = []
    pane.element_selected.connect(chosen.append)
    search(qtbot, pane, "Wand-Ext-OG-1")
    with qtbot.waitSignal(pane.elements_revealed, timeout=WAIT_MS) as revealed:
        picked = click_result(qtbot, pane, "Wand-Ext-OG-1")
    wall = picked.data(STEP_ID_ROLE)
    assert chosen == [wall] and revealed.args[0] == [wall]  # selected once, not twice
    current = pane.tree.currentIndex()
    assert current.data(STEP_ID_ROLE) == wall
    assert current.parent().data(PLAIN_TEXT_ROLE) == "Dachgeschoss" and pane.tree.isExpanded(current.parent())
    pane.results.activated.emit(picked)  # double-click or Enter: show it in the tree
    assert pane.filter_box.text() == "" and pane.tree.isVisible()
    assert pane.selected_ids() == [wall] and chosen == [wall]
    assert pane.tree.viewport().rect().intersects(pane.tree.visualRect(pane.tree.currentIndex()))


def test_a_guid_finds_its_element_whole_or_by_its_start(pane: ModelTreeView, opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    door = ask(qtbot, opened, "filter", query='IfcDoor, Name="Haustuer"')["ids"][0]
    guid = ask(qtbot, opened, "element", element=door)["element"]["attributes"]["GlobalId"]
    search(qtbot, pane, guid)
    assert listed(pane) == ["Haustuer"] and listed(pane, 3) == [guid]
    assert pane.status.text() == f"1 element matches {guid!r}."
    search(qtbot, pane, guid[:10])
    assert "Haustuer" in listed(pane)
    assert "Found by its GlobalId" in listed(pane, role=Qt.ItemDataRole.ToolTipRole)[0]


def test_a_class_word_and_a_selector_both_list_the_doors(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    search(qtbot, pane, "Door")  # once showed nothing: it only filtered the rows loaded
    assert len(listed(pane)) == 5 and set(listed(pane, 1)) == {"IfcDoor"}
    search(qtbot, pane, 'IfcDoor, Name="Haustuer"')
    assert listed(pane) == ["Haustuer"]


def test_nothing_found_says_what_to_try(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    search(qtbot, pane, "xyz")
    assert listed(pane) == []
    assert pane.status.text().startswith("No element matches 'xyz' by name, GlobalId or class: "
                                         "try a class such as IfcWall or a selector")


def test_a_bad_selector_shows_its_whole_message_wrapped(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    search(qtbot, pane, "IfcWall, Name=")
    said = pane.status.text()
    assert said.startswith("Nothing is named 'IfcWall, Name=' and the filter 'IfcWall, Name=' is not "
                           "a valid class name or selector query")
    assert 'Expected one of: "/", "FALSE", "NULL", "TRUE", a "quoted text", a number' in said
    assert said.endswith("/Pset_WallCommon/.FireRating=EI60.")
    assert pane.status.wordWrap() and pane.status.isVisible()
    status = pane.status
    assert status.heightForWidth(status.width()) > status.fontMetrics().height() * 2  # lines
    qtbot.waitUntil(lambda: status.height() >= status.heightForWidth(status.width()),
                    timeout=WAIT_MS)  # laid out tall enough for all of them


def test_clearing_the_search_brings_back_the_tree_as_it_was(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane.resize(700, 200)  # short, so the tree scrolls
    building = child(qtbot, pane, child(qtbot, pane, child(qtbot, pane, QModelIndex(), "Projekt-FZK-Haus"), "Gelaende"), "FZK-Haus")
    ground = child(qtbot, pane, building, "Erdgeschoss")
    window = child(qtbot, pane, ground, "EG-Fenster-6")
    pane.tree.setCurrentIndex(window)
    pane.tree.scrollTo(window, pane.tree.ScrollHint.PositionAtTop)
    scrolled = pane.tree.verticalScrollBar().value()
    assert scrolled > 0
    search(qtbot, pane, "Wand")
    pane.filter_box.clear()
    pane.filter_box.returnPressed.emit()
    assert pane.tree.isVisible() and not pane.results.isVisible() and not pane.status.isVisible()
    assert pane.tree.isExpanded(ground) and pane.tree.isExpanded(building)
    assert rows(pane, building) == ["Erdgeschoss", "Dachgeschoss"] or \
        sorted(rows(pane, building)) == ["Dachgeschoss", "Erdgeschoss"]
    assert pane.tree.verticalScrollBar().value() == scrolled
    assert pane.selected_ids() == [window.data(STEP_ID_ROLE)]


def test_results_show_the_tree_s_highlights(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    search(qtbot, pane, "Wand-Ext")
    ids = listed(pane, role=STEP_ID_ROLE)
    pane.highlight(ids[:1], "#ff0000")
    colours = listed(pane, role=Qt.ItemDataRole.BackgroundRole)
    assert colours[0].name() == "#ff0000" and colours[1] is None


def test_in_the_window_a_picked_result_shows_its_properties_and_zooms_in_3d(  # type: ignore[no-untyped-def]
        qtbot, data_dir: Path, house: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    win = build_main_window(str(data_dir), [])
    qtbot.addWidget(win)
    win.show()
    try:
        open_house(qtbot, win, house)
        zoomed: list[tuple[list[int], bool]] = []
        monkeypatch.setattr(win.view3d, "select", lambda ids, zoom=False: zoomed.append((ids, zoom)))
        search(qtbot, win.tree, "Haustuer")
        with qtbot.waitSignal(win.properties.element_shown, timeout=WAIT_MS) as shown:
            index = click_result(qtbot, win.tree, "Haustuer")
        door = index.data(STEP_ID_ROLE)
        assert shown.args[0] == door and "IfcDoor" in win.properties.title.text()
        qtbot.mouseDClick(win.tree.results.viewport(), Qt.MouseButton.LeftButton,
                          pos=win.tree.results.visualRect(index).center())
        assert ([door], True) in zoomed
    finally:
        win.close()
        win.store.close()


def test_a_search_typed_while_the_model_opens_runs_once_it_is_open(handle: WorkerHandle, house: Path, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    pane = ModelTreeView(handle)
    qtbot.addWidget(pane)
    pane.show()
    handle.open_model(house)
    pane.filter_box.setText("Haustuer")
    pane.filter_box.returnPressed.emit()
    assert pane.status.text() == "The model is still opening: the search runs once it is open."
    with qtbot.waitSignal(pane.search_finished, timeout=60_000):
        pass
    assert set(listed(pane)) == {"Haustuer"} and "IfcDoor" in listed(pane, 1)  # and its opening
    assert pane.status.text() == "2 elements match 'Haustuer'."


@pytest.fixture
def renamed_house(house: Path, tmp_path: Path) -> Path:
    """A copy of the FZK house whose windows are named as real models name them: with the
    selector's operators, and with text that looks like HTML."""
    import ifcopenshell

    model = ifcopenshell.open(str(house))
    first, second = model.by_type("IfcWindow")[:2]
    first.Name, second.Name = "Fenster 80/120", "<b>bold</b>"
    path = tmp_path / "renamed.ifc"
    model.write(str(path))
    return path


def test_in_the_window_a_name_with_a_slash_is_found_and_html_in_a_name_is_shown_as_text(  # type: ignore[no-untyped-def]
        qtbot, data_dir: Path, renamed_house: Path) -> None:
    win = build_main_window(str(data_dir), [])
    qtbot.addWidget(win)
    win.show()
    try:
        open_house(qtbot, win, renamed_house)
        search(qtbot, win.tree, "Fenster 80/120")  # was "not a valid ... selector query"
        assert listed(win.tree) == ["Fenster 80/120"] and listed(win.tree, 1) == ["IfcWindow"]
        assert win.tree.status.text() == "1 element matches 'Fenster 80/120'."
        search(qtbot, win.tree, "Tor 90/210")  # neither a name nor a selector: both said
        assert listed(win.tree) == []
        assert win.tree.status.text().startswith("Nothing is named 'Tor 90/210' and the filter")
        search(qtbot, win.tree, "<b>bold</b>")
        assert listed(win.tree) == ["<b>bold</b>"]
        tip = listed(win.tree, role=Qt.ItemDataRole.ToolTipRole)[0]
        assert "&lt;b&gt;bold&lt;/b&gt;" in tip and "<b>bold" not in tip
        with qtbot.waitSignal(win.properties.element_shown, timeout=WAIT_MS):
            click_result(qtbot, win.tree, "<b>bold</b>")
        name = next(item for item in win.properties.tree.findItems(
            "Name", Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive))
        assert name.text(1) == "<b>bold</b>" and "&lt;b&gt;bold&lt;/b&gt;" in name.toolTip(1)
        assert "&lt;b&gt;bold&lt;/b&gt;" in win.properties.title.text()
    finally:
        win.close()
        win.store.close()


def test_a_closed_or_switched_model_takes_its_results_with_it(  # type: ignore[no-untyped-def]
        pane: ModelTreeView, renamed_house: Path, qtbot) -> None:
    search(qtbot, pane, "Fenster")
    windows = len(listed(pane))
    assert windows > 10 and "Fenster 80/120" not in listed(pane)
    pane.set_handle(None)  # the model was closed: its STEP ids mean nothing now
    assert pane.results_model.rowCount() == 0 and pane.selected_ids() == []
    assert pane.status.text() == "Open a model to search it."
    other = WorkerHandle()
    try:
        with qtbot.waitSignal(other.model_opened, timeout=60_000):
            other.open_model(renamed_house)
        with qtbot.waitSignal(pane.search_finished, timeout=WAIT_MS):
            pane.set_handle(other)  # another model: the search is asked of it
            assert pane.results_model.rowCount() == 0  # not the old rows until it answers
        # one window fewer is named "…Fenster-…", and one more "Fenster 80/120"
        assert "Fenster 80/120" in listed(pane) and len(listed(pane)) == windows - 1
    finally:
        other.close()
        qtbot.waitUntil(lambda: not other.worker_running, timeout=15_000)
