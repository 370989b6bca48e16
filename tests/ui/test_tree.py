"""The model tree pane on the FZK house in a real worker: lazy loading, views, reveal, names,
empty states (the search box: tests/ui/test_search.py)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from ifcscript_desktop.core import colors
from ifcscript_desktop.ui.tree import view as tree_view
from ifcscript_desktop.ui.tree import STEP_ID_ROLE, ModelTreeModel, ModelTreeView
from ifcscript_desktop.ui.tree.model import PLAIN_TEXT_ROLE
from ifcscript_desktop.ui.tree.node import element_tooltip
from ifcscript_desktop.ui.worker_handle import WorkerHandle
from tests.ui.test_worker_handle import ask, handle, opened  # noqa: F401  (shared fixtures)

WAIT_MS = 30_000


@pytest.fixture
def pane(opened: WorkerHandle, qtbot) -> ModelTreeView:  # type: ignore[no-untyped-def]  # noqa: F811
    view = ModelTreeView(opened)
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=WAIT_MS)
    return view


def rows(view: ModelTreeView, parent: QModelIndex = QModelIndex(), role: int = PLAIN_TEXT_ROLE,
         column: int = 0) -> list[Any]:
    model = view.model
    return [model.data(model.index(r, column, parent), role) for r in range(model.rowCount(parent))]


def child(qtbot, view: ModelTreeView, parent: QModelIndex, name: str) -> QModelIndex:  # type: ignore[no-untyped-def]
    """Expand `parent` as a click on its arrow would, and wait for the child called `name`."""
    if parent.isValid():
        view.tree.expand(parent)
    qtbot.waitUntil(lambda: name in rows(view, parent), timeout=WAIT_MS)
    return view.model.index(rows(view, parent).index(name), 0, parent)


def test_expanding_down_to_the_storeys_shows_the_walls_of_the_ground_floor(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    project = child(qtbot, pane, QModelIndex(), "Projekt-FZK-Haus")
    site = child(qtbot, pane, project, "Gelaende")
    building = child(qtbot, pane, site, "FZK-Haus")
    ground = child(qtbot, pane, building, "Erdgeschoss")
    assert "Dachgeschoss" in rows(pane, building)
    pane.tree.expand(ground)
    qtbot.waitUntil(lambda: pane.model.rowCount(ground) == 44, timeout=WAIT_MS)
    classes = rows(pane, ground, column=1)
    assert classes.count("IfcWallStandardCase") >= 4
    assert pane.model.data(ground, Qt.ItemDataRole.DisplayRole) == "Erdgeschoss (44)"


def test_the_tree_loads_only_what_was_expanded(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    assert pane.model.loaded_count() == 1  # the project, nothing below it yet
    child(qtbot, pane, QModelIndex(), "Projekt-FZK-Haus")
    project = pane.model.index(0, 0)
    child(qtbot, pane, project, "Gelaende")
    assert pane.model.loaded_count() == 2


def test_a_long_list_of_children_arrives_a_page_at_a_time(opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    model = ModelTreeModel(opened)
    model.page_size = 10
    with qtbot.waitSignal(model.children_loaded, timeout=WAIT_MS):
        model.show("class")
    assert model.rowCount() == 10 and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    groups = [model.index(r, 0) for r in range(model.rowCount())]
    walls = next(i for i in groups if i.data(PLAIN_TEXT_ROLE) == "IfcWallStandardCase (13)")
    assert model.hasChildren(walls) and model.canFetchMore(walls)
    with qtbot.waitSignal(model.children_loaded, timeout=WAIT_MS):
        model.fetchMore(walls)
    assert model.rowCount(walls) == 10 and model.canFetchMore(walls)
    model.fetchMore(walls)  # the rest is already here: no request, just rows
    assert model.rowCount(walls) == 13 and not model.canFetchMore(walls)


def test_the_class_view_lists_wall_standard_cases(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane.set_view("class")
    walls = child(qtbot, pane, QModelIndex(), "IfcWallStandardCase (13)")
    pane.tree.expand(walls)
    qtbot.waitUntil(lambda: pane.model.rowCount(walls) == 13, timeout=WAIT_MS)
    assert set(rows(pane, walls, column=1)) == {"IfcWallStandardCase"}
    assert all(len(guid) == 22 for guid in rows(pane, walls, column=2))


def test_the_type_and_material_views_group_elements(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane.set_view("type")
    wall_types = child(qtbot, pane, QModelIndex(), "IfcWallType (2)")
    heavy = child(qtbot, pane, wall_types, "Leichtbeton 102890359 300")
    pane.tree.expand(heavy)
    qtbot.waitUntil(lambda: pane.model.rowCount(heavy) == 8, timeout=WAIT_MS)
    pane.set_view("material")
    wood = child(qtbot, pane, QModelIndex(), "Holz")
    assert pane.model.data(wood, Qt.ItemDataRole.DisplayRole) == "Holz (13)"


def test_select_elements_reveals_an_element_deep_in_the_tree(pane: ModelTreeView, opened: WorkerHandle, qtbot) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    roof_walls = ask(qtbot, opened, "filter", query='IfcWall, location="Dachgeschoss"')["ids"]
    target = roof_walls[-1]
    chosen: list[int] = []
    pane.element_selected.connect(chosen.append)
    with qtbot.waitSignal(pane.elements_revealed, timeout=WAIT_MS) as revealed:
        pane.select_elements([target])
    assert revealed.args[0] == [target]
    assert pane.selected_ids() == [target] and chosen == [target]
    index = pane.tree.currentIndex()
    assert index.data(STEP_ID_ROLE) == target
    assert index.parent().data(PLAIN_TEXT_ROLE) == "Dachgeschoss" and pane.tree.isExpanded(index.parent())
    assert pane.tree.viewport().rect().intersects(pane.tree.visualRect(index))


def test_selecting_elements_on_several_storeys_selects_them_all(pane: ModelTreeView, opened: WorkerHandle, qtbot,  # type: ignore[no-untyped-def]  # noqa: F811
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_view, "EXPAND_BUDGET", 0)  # only the first element's storey opens
    ground = ask(qtbot, opened, "filter", query='IfcWall, location="Erdgeschoss"')["ids"]
    roof = ask(qtbot, opened, "filter", query='IfcWall, location="Dachgeschoss"')["ids"]
    wanted = [ground[0], ground[-1], roof[0]]
    with qtbot.waitSignal(pane.elements_revealed, timeout=WAIT_MS) as revealed:
        pane.select_elements(wanted)
    assert sorted(revealed.args[0]) == sorted(wanted) and sorted(pane.selected_ids()) == sorted(wanted)
    expanded = {i.parent().data(PLAIN_TEXT_ROLE): pane.tree.isExpanded(i.parent())
                for i in pane.tree.selectionModel().selectedRows()}
    assert expanded == {"Erdgeschoss": True, "Dachgeschoss": False}


def test_a_selection_too_scattered_to_draw_fast_is_capped_and_said(pane: ModelTreeView, qtbot,  # type: ignore[no-untyped-def]
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_view, "RANGE_LIMIT", 2)
    pane.set_view("class")
    walls = child(qtbot, pane, QModelIndex(), "IfcWallStandardCase (13)")
    pane.tree.expand(walls)
    qtbot.waitUntil(lambda: pane.model.rowCount(walls) == 13, timeout=WAIT_MS)
    ids = rows(pane, walls, role=STEP_ID_ROLE)
    with qtbot.waitSignal(pane.elements_revealed, timeout=WAIT_MS) as revealed:
        pane.select_elements([ids[0], ids[1], ids[5], ids[9]])  # three runs of adjacent rows
    assert sorted(revealed.args[0]) == sorted(ids[:2] + [ids[5]]) == sorted(pane.selected_ids())
    assert pane.status.text().startswith("Selected 3 of the 4 elements")


def test_clicking_an_element_emits_its_step_id(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane.set_view("class")
    walls = child(qtbot, pane, QModelIndex(), "IfcWallStandardCase (13)")
    pane.tree.expand(walls)
    qtbot.waitUntil(lambda: pane.model.rowCount(walls) == 13, timeout=WAIT_MS)
    first = pane.model.index(0, 0, walls)
    with qtbot.waitSignal(pane.element_selected, timeout=WAIT_MS) as selected:
        qtbot.mouseClick(pane.tree.viewport(), Qt.MouseButton.LeftButton,
                              pos=pane.tree.visualRect(first).center())
    assert selected.args[0] == first.data(STEP_ID_ROLE)


def test_highlighted_elements_get_the_colour_asked_for(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane.set_view("class")
    walls = child(qtbot, pane, QModelIndex(), "IfcWallStandardCase (13)")
    pane.tree.expand(walls)
    qtbot.waitUntil(lambda: pane.model.rowCount(walls) == 13, timeout=WAIT_MS)
    ids = rows(pane, walls, role=STEP_ID_ROLE)
    pane.highlight(ids[:2], "#ff0000")
    colours = rows(pane, walls, role=Qt.ItemDataRole.BackgroundRole)
    assert colours[:2] == [QColor("#ff0000")] * 2 and colours[2] is None
    pane.clear_highlights()
    assert rows(pane, walls, role=Qt.ItemDataRole.BackgroundRole)[0] is None


def test_color_by_tints_the_rows_and_an_empty_dict_clears_them(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane.set_view("class")
    walls = child(qtbot, pane, QModelIndex(), "IfcWallStandardCase (13)")
    pane.tree.expand(walls)
    qtbot.waitUntil(lambda: pane.model.rowCount(walls) == 13, timeout=WAIT_MS)
    ids = rows(pane, walls, role=STEP_ID_ROLE)
    tints = colors.element_colors({ids[0]: "EI60", ids[1]: "EI30", 987654: "EI60"})
    pane.color_elements(tints)
    shown = rows(pane, walls, role=Qt.ItemDataRole.BackgroundRole)
    assert shown[0].name().upper() == tints[ids[0]] and shown[1].name().upper() == tints[ids[1]]
    assert shown[0] != shown[1] and shown[2] is None
    pane.highlight([ids[0]], "#ff0000")  # a highlight stands out over a tint
    assert rows(pane, walls, role=Qt.ItemDataRole.BackgroundRole)[0] == QColor("#ff0000")
    pane.clear_highlights()
    pane.color_elements({})
    assert rows(pane, walls, role=Qt.ItemDataRole.BackgroundRole)[:2] == [None, None]


def test_deep_names_are_shown_whole_with_a_sideways_scrollbar_and_a_tooltip(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane.resize(260, 400)  # a narrow pane: the names used to end in "…" from the third level
    building = child(qtbot, pane, child(qtbot, pane, child(qtbot, pane, QModelIndex(), "Projekt-FZK-Haus"), "Gelaende"), "FZK-Haus")
    ground = child(qtbot, pane, building, "Erdgeschoss")
    wall = child(qtbot, pane, ground, "Wand-Int-ERDG-4")
    label = pane.model.data(wall, Qt.ItemDataRole.DisplayRole)
    qtbot.waitUntil(lambda: pane.tree.visualRect(wall).width()
                    >= pane.tree.fontMetrics().horizontalAdvance(label), timeout=WAIT_MS)
    assert pane.tree.header().length() > pane.tree.viewport().width()
    assert pane.tree.horizontalScrollBar().maximum() > 0
    tip = pane.model.data(wall, Qt.ItemDataRole.ToolTipRole)
    guid = pane.model.data(pane.model.index(wall.row(), 2, ground))
    assert tip.splitlines()[0] == "Wand-Int-ERDG-4" and "IfcWallStandardCase #" in tip
    assert f"GlobalId {guid}" in tip and len(guid) == 22
    assert pane.tree.textElideMode() == Qt.TextElideMode.ElideMiddle  # ids keep both ends


def test_a_model_without_systems_says_so_instead_of_an_empty_tree(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane.set_view("system")
    qtbot.waitUntil(lambda: pane.pages.currentWidget() is pane.empty, timeout=WAIT_MS)
    assert pane.empty.text().startswith("This model has no systems (IfcSystem)")
    assert pane.empty.isVisible() and not pane.tree.isVisible()
    pane.set_view("material")  # the FZK house has materials: the tree comes back
    qtbot.waitUntil(lambda: pane.pages.currentWidget() is pane.tree and pane.model.rowCount() > 0,
                    timeout=WAIT_MS)


def test_with_no_model_open_the_pane_says_how_to_open_one(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ModelTreeView(None)
    qtbot.addWidget(view)
    view.show()
    assert view.empty.isVisible() and "No model is open" in view.empty.text()
    assert "File > Open model" in view.empty.text()
    view.filter_box.setText("Wand")
    view.filter_box.returnPressed.emit()
    assert view.status.text() == "Open a model to search it."


def test_the_pane_asks_the_docks_for_the_tree_s_room_whatever_page_shows(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ModelTreeView(None)  # the "no model" sentence shows, word-wrapped
    qtbot.addWidget(view)
    assert not view.pages.hasHeightForWidth()
    assert view.sizeHint().height() > view.tree.sizeHint().height()  # box + tree, not a few lines


def test_a_column_the_user_drags_narrower_stays_so_as_rows_arrive_and_scroll(pane: ModelTreeView, qtbot) -> None:  # type: ignore[no-untyped-def]
    pane.resize(700, 200)  # short, so the tree scrolls
    building = child(qtbot, pane, child(qtbot, pane, child(qtbot, pane, QModelIndex(), "Projekt-FZK-Haus"), "Gelaende"), "FZK-Haus")
    header = pane.tree.header()
    qtbot.waitUntil(lambda: header.sectionSize(0) > 120, timeout=WAIT_MS)  # fitted to the names
    header.resizeSection(0, 90)  # what dragging the divider does
    ground = child(qtbot, pane, building, "Erdgeschoss")
    pane.tree.expand(ground)  # more rows arrive: a fit is due
    qtbot.waitUntil(lambda: pane.model.rowCount(ground) == 44, timeout=WAIT_MS)
    pane.tree.verticalScrollBar().setValue(pane.tree.verticalScrollBar().maximum())
    fitter = pane.tree.findChild(tree_view.ColumnFitter)
    fitter.fit()  # what the timer does after a scroll
    assert header.sectionSize(0) == 90
    assert header.sectionSize(1) >= pane.tree.fontMetrics().horizontalAdvance("IfcWallStandardCase")


def test_a_name_that_looks_like_html_shows_literally_in_its_tooltip() -> None:
    tip = element_tooltip("<b>bold</b>", "IfcWindow", 42, "2XPyKWY018sA1ygZKgQPtU")
    assert "&lt;b&gt;bold&lt;/b&gt;" in tip and "<b>" not in tip
    plain = element_tooltip("Wand-01", "IfcWall", 7, None)
    assert plain == "Wand-01\nIfcWall #7"  # ordinary names keep the plain tooltip
