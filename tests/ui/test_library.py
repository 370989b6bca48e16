"""The script library pane against a real store holding the built-ins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from ifcscript_desktop.core.library import get_script, load_builtins, save_script
from ifcscript_desktop.core.scriptfile import parse_script
from ifcscript_desktop.core.store import Store, open_store
from ifcscript_desktop.ui.library import LibraryDialogs, LibraryPane
from ifcscript_desktop.core.script_template import NEW_SCRIPT_CATEGORY, new_script_code
from ifcscript_desktop.ui.library.tree import BUILTIN_MARK

def _builtins_by_category() -> dict[str, list[str]]:
    """What the pane must list on a fresh store: every file of builtin_scripts/, by category."""
    from ifcscript_desktop.core.scriptfile import parse_script

    folder = Path(__file__).parents[2] / "builtin_scripts"
    listed: dict[str, list[str]] = {}
    for path in folder.glob("[!_]*.py"):
        meta = parse_script(path.read_text(encoding="utf-8"))
        listed.setdefault(meta.category, []).append(meta.name)
    return {category: sorted(names) for category, names in sorted(listed.items())}


BUILTINS = _builtins_by_category()
QUALITY = BUILTINS["Quality"]


class Answers:
    """What the user answers to the pane's dialogs; every question asked is recorded."""

    def __init__(self) -> None:
        self.name: str | None = None  # None accepts the suggested name
        self.confirm = True
        self.open_path: str | None = None
        self.save_path: str | None = None
        self.asked: list[tuple[str, ...]] = []

    def dialogs(self) -> LibraryDialogs:
        return LibraryDialogs(confirm=self._confirm, ask_name=self._ask_name,
                              open_file=self._open_file, save_file=self._save_file)

    def _confirm(self, parent: QWidget, title: str, question: str) -> bool:
        self.asked.append(("confirm", question))
        return self.confirm

    def _ask_name(self, parent: QWidget, title: str, label: str, suggested: str) -> str | None:
        self.asked.append(("name", suggested))
        return suggested if self.name is None else self.name

    def _open_file(self, parent: QWidget, title: str) -> str | None:
        self.asked.append(("open",))
        return self.open_path

    def _save_file(self, parent: QWidget, title: str, suggested: str) -> str | None:
        self.asked.append(("save", suggested))
        return self.save_path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "data")
    load_builtins(opened)
    yield opened
    opened.close()


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def pane(qtbot: QtBot, store: Store, answers: Answers) -> LibraryPane:
    widget = LibraryPane(store, dialogs=answers.dialogs())
    qtbot.addWidget(widget)
    widget.resize(340, 480)
    widget.show()
    return widget


def add_user_script(store: Store, pane: LibraryPane, name: str = "Door schedule") -> None:
    save_script(store, name, new_script_code(name, "Schedules"))
    pane.refresh()


def test_the_builtins_are_listed_under_their_categories_and_marked(pane: LibraryPane) -> None:
    assert pane.visible_scripts() == BUILTINS
    for names in BUILTINS.values():
        for name in names:
            item = pane.tree.item_of(name)
            assert item is not None and item.text(1) == BUILTIN_MARK


def test_clicking_a_script_chooses_it(qtbot: QtBot, pane: LibraryPane) -> None:
    item = pane.tree.item_of("LOD Analyzer")
    assert item is not None
    rect = pane.tree.visualItemRect(item)
    with qtbot.waitSignal(pane.script_chosen) as chosen:
        qtbot.mouseClick(pane.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == ["LOD Analyzer"]
    assert "Level of Development" in pane.details.text()


@pytest.mark.parametrize("query, shown", [
    ("guid", {"Quality": ["GUID Validation Check"]}),
    ("level of DEVELOPMENT", {"Quality": ["LOD Analyzer"]}),  # words of the description
    ("export", {"Export": ["Export Elements to CSV"]}),  # the category (and name)
    ("quality", {"Quality": QUALITY}),
])
def test_search_narrows_the_list(pane: LibraryPane, query: str,
                                 shown: dict[str, list[str]]) -> None:
    pane.search.setText(query)
    assert pane.visible_scripts() == shown
    pane.search.clear()
    assert pane.visible_scripts() == BUILTINS


def test_a_search_matching_nothing_says_so_and_hides_the_current_script(
    pane: LibraryPane,
) -> None:
    pane.select_script("LOD Analyzer")
    pane.search.setText("no such script")
    assert pane.visible_scripts() == {}
    assert pane.details.text() == "No script matches “no such script”."
    assert pane.current_script() is None
    assert not pane.action_duplicate.isEnabled() and not pane.action_export.isEnabled()
    pane.search.clear()
    assert pane.current_script() == "LOD Analyzer"


def test_new_creates_a_script_from_the_template_and_selects_it(
    qtbot: QtBot, pane: LibraryPane, store: Store, answers: Answers,
) -> None:
    answers.name = "Door schedule"
    with qtbot.waitSignal(pane.library_changed), qtbot.waitSignal(pane.script_chosen) as chosen:
        pane.action_new.trigger()
    assert answers.asked == [("name", "New script")]
    assert chosen.args == ["Door schedule"]
    assert pane.current_script() == "Door schedule"
    assert pane.visible_scripts()[NEW_SCRIPT_CATEGORY] == ["Door schedule"]
    script = get_script(store, "Door schedule")
    assert script is not None and not script.is_builtin
    meta = parse_script(script.code)
    assert meta.name == "Door schedule" and meta.description
    assert [p.type for p in meta.parameters] == ["ifc_class"]
    assert "entities" in script.code and "show_table(" in script.code
    assert pane.action_rename.isEnabled() and pane.action_delete.isEnabled()


def test_new_suggests_a_name_no_script_holds(pane: LibraryPane, answers: Answers) -> None:
    pane.action_new.trigger()
    pane.action_new.trigger()
    assert answers.asked == [("name", "New script"), ("name", "New script 2")]
    assert pane.visible_scripts()[NEW_SCRIPT_CATEGORY] == ["New script", "New script 2"]


def test_builtins_cannot_be_renamed_or_deleted_but_offer_duplicate_to_edit(
    pane: LibraryPane, answers: Answers, store: Store,
) -> None:
    pane.select_script("LOD Analyzer")
    assert not pane.action_rename.isEnabled()
    assert not pane.action_delete.isEnabled()
    assert pane.action_duplicate.isEnabled()
    assert pane.action_duplicate.text() == "Duplicate to edit…"
    assert pane.read_only.isVisibleTo(pane)
    pane.action_delete.trigger()
    pane.action_rename.trigger()
    assert answers.asked == []
    assert get_script(store, "LOD Analyzer") is not None


def test_duplicating_a_builtin_makes_an_editable_copy_with_its_own_name(
    qtbot: QtBot, pane: LibraryPane, store: Store, answers: Answers,
) -> None:
    pane.select_script("LOD Analyzer")
    with qtbot.waitSignal(pane.script_chosen) as chosen:
        pane.duplicate_button.click()
    assert answers.asked == [("name", "LOD Analyzer (copy)")]
    assert chosen.args == ["LOD Analyzer (copy)"]
    copy, original = get_script(store, "LOD Analyzer (copy)"), get_script(store, "LOD Analyzer")
    assert copy is not None and original is not None
    assert not copy.is_builtin and original.is_builtin
    meta, original_meta = parse_script(copy.code), parse_script(original.code)
    assert meta.name == "LOD Analyzer (copy)"  # an exported copy never imports over the original
    assert meta.parameters == original_meta.parameters
    assert "LOD Analyzer (copy)" in pane.visible_scripts()["Quality"]
    assert pane.action_rename.isEnabled() and pane.action_delete.isEnabled()
    assert pane.action_duplicate.text() == "Duplicate…"
    assert not pane.read_only.isVisibleTo(pane)


def test_renaming_a_user_script(qtbot: QtBot, pane: LibraryPane, store: Store,
                                answers: Answers) -> None:
    add_user_script(store, pane)
    pane.select_script("Door schedule")
    answers.name = "Door list"
    with qtbot.waitSignal(pane.library_changed), qtbot.waitSignal(pane.script_chosen) as chosen:
        pane.action_rename.trigger()
    assert chosen.args == ["Door list"]
    assert get_script(store, "Door schedule") is None
    renamed = get_script(store, "Door list")
    assert renamed is not None and parse_script(renamed.code).name == "Door list"
    assert pane.visible_scripts()["Schedules"] == ["Door list"]


def test_renaming_onto_a_taken_name_shows_a_sentence(pane: LibraryPane, store: Store,
                                                     answers: Answers) -> None:
    add_user_script(store, pane)
    pane.select_script("Door schedule")
    answers.name = "LOD Analyzer"
    pane.action_rename.trigger()
    assert pane.message_text() == "A script named 'LOD Analyzer' already exists."
    assert get_script(store, "Door schedule") is not None


def test_deleting_a_user_script_asks_first(qtbot: QtBot, pane: LibraryPane, store: Store,
                                           answers: Answers) -> None:
    add_user_script(store, pane)
    pane.select_script("Door schedule")
    answers.confirm = False
    pane.action_delete.trigger()
    assert answers.asked[0][0] == "confirm" and "Door schedule" in answers.asked[0][1]
    assert get_script(store, "Door schedule") is not None
    answers.confirm = True
    with qtbot.waitSignal(pane.library_changed):
        pane.action_delete.trigger()
    assert get_script(store, "Door schedule") is None
    assert pane.visible_scripts() == BUILTINS
    assert pane.current_script() is None


def test_export_then_import_round_trips_a_script(
    qtbot: QtBot, pane: LibraryPane, store: Store, answers: Answers, tmp_path: Path,
) -> None:
    add_user_script(store, pane)
    pane.select_script("Door schedule")
    code = get_script(store, "Door schedule").code  # type: ignore[union-attr]
    answers.save_path = str(tmp_path / "doors.py")
    pane.action_export.trigger()
    assert answers.asked == [("save", "door_schedule.py")]
    assert (tmp_path / "doors.py").read_text(encoding="utf-8") == code
    assert str(tmp_path / "doors.py") in pane.message_text()

    answers.confirm = True
    pane.action_delete.trigger()
    answers.open_path = str(tmp_path / "doors.py")
    with qtbot.waitSignal(pane.library_changed), qtbot.waitSignal(pane.script_chosen) as chosen:
        pane.action_import.trigger()
    assert chosen.args == ["Door schedule"]
    imported = get_script(store, "Door schedule")
    assert imported is not None and imported.code == code and not imported.is_builtin


def test_exporting_a_builtin_writes_its_file(pane: LibraryPane, answers: Answers,
                                             tmp_path: Path) -> None:
    pane.select_script("GUID Validation Check")
    answers.save_path = str(tmp_path / "guids.py")
    pane.action_export.trigger()
    builtin = Path(__file__).resolve().parents[2] / "builtin_scripts/guid_validation_check.py"
    assert (tmp_path / "guids.py").read_text(encoding="utf-8") == builtin.read_text(
        encoding="utf-8")


def test_cancelled_dialogs_change_nothing(pane: LibraryPane, store: Store,
                                          answers: Answers) -> None:
    pane.select_script("LOD Analyzer")
    pane.dialogs.ask_name = lambda *args: None
    pane.action_new.trigger()
    pane.action_duplicate.trigger()
    pane.action_import.trigger()
    pane.action_export.trigger()
    assert pane.visible_scripts() == BUILTINS
    assert pane.message_text() == ""


@pytest.mark.parametrize("content, expected", [
    ("# /// ifcscript\n# name = 3\n# ///\n", "line 2"),
    ("# /// ifcscript\n# name = \"x\"\nprint(1)\n", "not closed"),
])
def test_a_bad_import_shows_a_sentence_and_changes_nothing(
    pane: LibraryPane, answers: Answers, tmp_path: Path, content: str, expected: str,
) -> None:
    path = tmp_path / "broken.py"
    path.write_text(content, encoding="utf-8")
    answers.open_path = str(path)
    pane.action_import.trigger()
    message = pane.message_text()
    assert message.startswith(f"The script file {path} cannot be imported")
    assert expected in message and message.endswith(".")
    assert "Traceback" not in message and "\n" not in message
    assert pane.visible_scripts() == BUILTINS


def test_importing_a_missing_file_shows_a_sentence(pane: LibraryPane, answers: Answers,
                                                   tmp_path: Path) -> None:
    answers.open_path = str(tmp_path / "gone.py")
    pane.action_import.trigger()
    assert pane.message_text() == f"The script file {tmp_path / 'gone.py'} does not exist."


def test_refresh_shows_scripts_added_elsewhere_and_keeps_the_current_one(
    qtbot: QtBot, pane: LibraryPane, store: Store,
) -> None:
    pane.select_script("LOD Analyzer")
    save_script(store, "Door schedule", new_script_code("Door schedule", "Schedules"))
    with qtbot.assertNotEmitted(pane.script_chosen):
        pane.refresh()
    assert pane.visible_scripts()["Schedules"] == ["Door schedule"]
    assert pane.current_script() == "LOD Analyzer"


def test_select_script_clears_a_search_that_hides_it(pane: LibraryPane) -> None:
    pane.search.setText("guid")
    assert pane.select_script("LOD Analyzer")
    assert pane.search.text() == ""
    assert pane.current_script() == "LOD Analyzer"
    assert not pane.select_script("No such script")
