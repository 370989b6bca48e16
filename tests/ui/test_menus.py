"""The menus as a user drives them: quit over unsaved text, Edit keys in the editor, every pane
in View, theme and text size remembered, run the selected text, the shortcuts list, About."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import QApplication, QDialog, QDockWidget, QMessageBox, QTableWidget

from ifcscript_desktop.core import library
from ifcscript_desktop.ui import theme
from ifcscript_desktop.ui.app import build_main_window, sample_model
from ifcscript_desktop.ui.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier
MINE = '# /// ifcscript\n# name = "Mine"\n# ///\nresult = 1\n'
RUN_TIMEOUT = 120_000


def _window(qtbot, data_dir: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    win = build_main_window(str(data_dir), [])
    qtbot.addWidget(win)
    with qtbot.waitExposed(win):
        win.show()
    return win


def _close(win: MainWindow) -> None:
    win.editor.set_saved()  # nothing to ask about: the test is over
    win.close()
    win.store.close()


@pytest.fixture
def window(qtbot, data_dir: Path) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = _window(qtbot, data_dir)
    yield win
    if win.isVisible():
        _close(win)


@pytest.fixture
def system_look_after() -> Iterator[None]:
    """The theme is application-wide: later tests get the system look back."""
    yield
    theme.apply_theme(theme.SYSTEM)


def _edit_mine(window: MainWindow) -> None:
    library.save_script(window.store, "Mine", MINE)
    window.library.refresh()
    window.scripts.load("Mine")
    window.editor.set_draft(MINE, MINE + "result = 2  # not saved\n")
    assert window.editor.is_modified()


def _unsaved_box(qtbot, window: MainWindow) -> QMessageBox:  # type: ignore[no-untyped-def]
    window.menus.quit.trigger()
    qtbot.waitUntil(lambda: window.unsaved.box is not None and window.unsaved.box.isVisible())
    box = window.unsaved.box
    assert box is not None
    return box


# -- File ------------------------------------------------------------------------------------

def test_quit_over_unsaved_text_asks_and_cancel_keeps_the_window(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_mine(window)
    box = _unsaved_box(qtbot, window)
    assert "“Mine” has changes that are not saved" in box.text()
    assert "Discard throws them away" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert window.isVisible() and "result = 2" in window.editor.text()
    assert window.unsaved.box is None


def test_discard_closes_and_the_unsaved_text_does_not_come_back(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                                data_dir: Path) -> None:
    _edit_mine(window)
    window.scripts.flush_draft()  # the autosave had kept it as a draft
    box = _unsaved_box(qtbot, window)
    box.button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible())
    window.store.close()
    again = _window(qtbot, data_dir)
    again.scripts.load("Mine")
    assert again.editor.text() == MINE and not again.editor.is_modified()
    _close(again)


def test_save_in_the_question_saves_a_revision_and_closes(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_mine(window)
    box = _unsaved_box(qtbot, window)
    box.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not window.isVisible())
    script = library.require_script(window.store, "Mine")
    assert "result = 2" in script.code and len(library.list_revisions(script)) == 2
    window.store.close()


def test_save_in_the_question_that_cannot_save_says_why_and_stays_open(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_mine(window)
    window.editor.set_draft(MINE, MINE.replace('name = "Mine"', 'name = "Mine'))  # broken block
    box = _unsaved_box(qtbot, window)
    box.button(QMessageBox.StandardButton.Save).click()
    assert window.isVisible() and window.editor.is_modified()
    assert window.statusBar().currentMessage().startswith("Not saved:")


def test_closing_by_the_title_bar_asks_the_same(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_mine(window)
    window.close()
    qtbot.waitUntil(lambda: window.unsaved.box is not None)
    assert window.isVisible()
    window.unsaved.box.button(QMessageBox.StandardButton.Cancel).click()  # type: ignore[union-attr]
    assert window.isVisible()


def test_quit_without_changes_closes_at_once(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.menus.quit.trigger()
    assert not window.isVisible() and window.unsaved.box is None
    window.store.close()


def _answer_name(window: MainWindow, name: str | None) -> list[str]:
    """The name question answered with `name` (None: Cancel); the names it suggested."""
    asked: list[str] = []

    def ask(_parent: object, _title: str, _label: str, suggested: str) -> str | None:
        asked.append(suggested)
        return name

    window.library.dialogs.ask_name = ask
    return asked


def test_save_as_copy_keeps_the_original_and_edits_the_copy(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_mine(window)
    asked = _answer_name(window, "Mine v2")
    window.menus.save_copy.trigger()  # the menu item passes triggered's bool: not a name
    assert asked == ["Mine copy"]
    assert window.scripts.name == "Mine v2" and not window.editor.is_modified()
    copy = library.require_script(window.store, "Mine v2")
    assert "result = 2" in copy.code and '# name = "Mine v2"' in copy.code  # exports as itself
    assert library.require_script(window.store, "Mine").code == MINE
    assert library.get_draft(window.store, library.require_script(window.store, "Mine")) is None
    window.menus.save_copy.trigger()
    assert "already exists" in window.statusBar().currentMessage()


def test_ctrl_shift_s_saves_a_copy(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_mine(window)
    _answer_name(window, "Mine by keys")
    with qtbot.waitActive(window):
        window.activateWindow()
    window.editor.setFocus()
    assert window.menus.save_copy.shortcut().toString() == "Ctrl+Shift+S"
    qtbot.keyClick(window.editor.focusProxy(), Qt.Key.Key_S,
                   CTRL | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.scripts.name == "Mine by keys")
    assert "result = 2" in library.require_script(window.store, "Mine by keys").code


def test_a_copy_with_a_broken_metadata_block_leaves_no_copy_behind(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_mine(window)
    window.editor.set_draft(MINE, MINE.replace('name = "Mine"', 'name = "Mine'))  # broken block
    _answer_name(window, "Mine v2")
    window.menus.save_copy.trigger()
    assert window.statusBar().currentMessage().startswith("Not saved:")
    names = [s.name for s in library.list_scripts(window.store)]
    assert "Mine v2" not in names and "Mine copy" not in names
    window.editor.set_draft(MINE, MINE + "result = 3\n")  # mended: the same name is free
    window.menus.save_copy.trigger()
    assert window.scripts.name == "Mine v2"
    assert "result = 3" in library.require_script(window.store, "Mine v2").code


def _edit_run_code(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Code opened from History (not a stored script), then edited by the user."""
    window.scripts.show_code("result = 1\n", "Count (run #7)")
    assert not window.editor.is_modified()  # only viewing it loses nothing
    window.editor.set_draft("result = 1\n", "result = 1\nresult = 2  # mine\n")
    assert window.editor.is_modified()


def test_quit_over_edited_run_code_offers_to_keep_it_as_a_script(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_run_code(qtbot, window)
    box = _unsaved_box(qtbot, window)
    assert "Count (run #7)" in box.informativeText() and "new script" in box.informativeText()
    box.button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not window.isVisible())
    kept = library.require_script(window.store, "Count (run #7)")
    assert "result = 2  # mine" in kept.code
    window.store.close()


def test_run_code_kept_as_a_script_carries_its_new_name_in_its_block(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Else exporting the kept script and importing the file would land on "Count"."""
    count = '# /// ifcscript\n# name = "Count"\n# ///\nresult = 1\n'
    window.scripts.show_code(count, "Count (run #7)")
    window.editor.set_draft(count, count + "result = 2\n")
    _unsaved_box(qtbot, window).button(QMessageBox.StandardButton.Save).click()
    qtbot.waitUntil(lambda: not window.isVisible())
    kept = library.require_script(window.store, "Count (run #7)")
    assert '# name = "Count (run #7)"' in kept.code and "result = 2" in kept.code
    window.store.close()


def test_edits_to_run_code_come_back_after_another_script_was_shown(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_run_code(qtbot, window)
    window.scripts.load("GUID Validation Check")  # a click in Scripts: no question asked
    assert "# mine" not in window.editor.text()
    window.scripts.show_code("result = 1\n", "Count (run #7)")  # History > Open code again
    assert "result = 2  # mine" in window.editor.text() and window.editor.is_modified()
    window.editor.set_saved()


def test_discarding_edited_run_code_closes_without_a_script(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_run_code(qtbot, window)
    window.scripts.flush_draft()  # autosaved, as 800 ms after typing
    assert library.get_draft(window.store, "code:Count (run #7)") is not None
    before = [s.name for s in library.list_scripts(window.store)]
    _unsaved_box(qtbot, window).button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert [s.name for s in library.list_scripts(window.store)] == before
    assert library.get_draft(window.store, "code:Count (run #7)") is None  # thrown away
    window.store.close()


def test_discard_is_not_undone_by_a_pending_autosave(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    _edit_mine(window)
    with qtbot.waitActive(window):
        window.activateWindow()
    window.editor.setFocus()
    qtbot.keyClicks(window.editor.focusProxy(), "x")  # typed just before quitting
    assert window.scripts._draft_timer.isActive()  # the autosave is on its way
    mine = library.require_script(window.store, "Mine")
    _unsaved_box(qtbot, window).button(QMessageBox.StandardButton.Discard).click()
    qtbot.waitUntil(lambda: not window.isVisible())
    # Had the timer lived on, it would write the discarded text back once it fired.
    qtbot.waitUntil(lambda: not window.scripts._draft_timer.isActive(), timeout=5000)
    assert library.get_draft(window.store, mine) is None
    window.store.close()


def test_the_file_menu_has_what_a_desktop_app_has(window: MainWindow) -> None:
    file_menu = window.menuBar().actions()[0].menu()
    texts = [a.text().replace("&", "") for a in file_menu.actions() if not a.isSeparator()]  # type: ignore[union-attr]
    for expected in ("Open model…", "Open recent", "Close model", "Save script",
                     "Save script as copy…", "Import script…", "Export script…", "Settings…",
                     "Quit"):
        assert expected in texts
    assert texts[-1] == "Quit" and window.menus.save.shortcut().toString() == "Ctrl+S"


# -- Edit ------------------------------------------------------------------------------------

def test_the_edit_keys_find_replace_go_to_line_and_comment_in_the_editor(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.scripts.show_code("walls = 1\nslabs = 2\nwalls = 3\n", "Scratch")
    with qtbot.waitActive(window):
        window.activateWindow()
    window.editor.setFocus()
    target = window.editor.focusProxy()
    qtbot.keyClick(target, Qt.Key.Key_F, CTRL)
    assert window.editor.find_bar.isVisible() and not window.editor.find_bar.replace_edit.isVisible()
    qtbot.keyClicks(window.editor.find_bar.find_edit, "walls")
    qtbot.keyClick(window.editor.find_bar.find_edit, Qt.Key.Key_Return)
    assert window.editor.selected_text() == "walls"
    qtbot.keyClick(window.editor.find_bar.find_edit, Qt.Key.Key_Escape)
    qtbot.keyClick(target, Qt.Key.Key_H, CTRL)
    assert window.editor.find_bar.replace_edit.isVisible()
    window.editor.find_bar.close_bar()
    window.editor.select(0, 0)
    qtbot.keyClick(target, Qt.Key.Key_Slash, CTRL)
    assert window.editor.text().startswith("# walls = 1\nslabs")
    qtbot.keyClick(target, Qt.Key.Key_G, CTRL)
    dialog = window.editor.line_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setIntValue(3)
    dialog.accept()
    assert window.editor.word_at_cursor() == "walls" and window.editor.selection()[0] > 20


def test_the_edit_menu_undoes_redoes_and_uses_the_clipboard(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.scripts.show_code("", "Scratch")
    window.editor.setFocus()
    qtbot.keyClicks(window.editor.focusProxy(), "walls")
    window.menus.undo.trigger()
    assert window.editor.text() == ""
    window.menus.redo.trigger()
    assert window.editor.text() == "walls"
    window.editor.select(0, 5)
    window.menus.copy.trigger()
    window.editor.select(5, 5)
    window.menus.paste.trigger()
    assert window.editor.text() == "wallswalls"
    window.editor.select(0, 5)
    window.menus.cut.trigger()
    assert window.editor.text() == "walls" and QApplication.clipboard().text() == "walls"


def test_edit_keys_outside_the_editor_are_left_to_the_pane(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+C in a table copies its cells, not the editor's text."""
    window.scripts.show_code("x = 1\n", "Scratch")
    with qtbot.waitActive(window):
        window.activateWindow()
    window.library.search.setFocus()
    copied: list[bool] = []
    window.menus.copy.triggered.connect(lambda: copied.append(True))
    qtbot.keyClick(window.library.search, Qt.Key.Key_F, CTRL)
    qtbot.keyClick(window.library.search, Qt.Key.Key_C, CTRL)
    assert not window.editor.find_bar.isVisible() and copied == []
    window.menus.find.trigger()  # the menu item itself always acts on the editor
    assert window.editor.find_bar.isVisible()


# -- View ------------------------------------------------------------------------------------

def test_view_toggles_every_pane_and_reset_layout_brings_them_back(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    actions = window.menus.pane_actions
    assert set(actions) == {"Scripts", "Model", "Parameters", "3D", "Results", "History",
                            "Workflows", "Help"}
    docks = {d.windowTitle(): d for d in window.findChildren(QDockWidget)}
    for title, dock in docks.items():
        assert dock.isVisible()
        actions[title].trigger()
        assert not dock.isVisible(), title
    tabs = window.bottom
    for index in range(tabs.count()):
        title = tabs.tabText(index)
        actions[title].trigger()
        assert not tabs.isTabVisible(index), title
        actions[title].trigger()
        assert tabs.isTabVisible(index) and tabs.currentIndex() == index
        actions[title].trigger()
    window.menus.show_script_api()  # something bringing a hidden tab forward shows it
    assert tabs.isTabVisible(tabs.indexOf(window.help)) and tabs.currentWidget() is window.help
    assert not window.view3d.enabled  # a closed 3D pane meshes nothing
    window.menus.reset_layout.trigger()
    assert all(dock.isVisible() for dock in docks.values()) and window.view3d.enabled
    assert all(tabs.isTabVisible(i) for i in range(tabs.count()))
    assert "first-start layout" in window.statusBar().currentMessage()


def test_theme_and_text_size_change_the_window_and_are_remembered(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, data_dir: Path, system_look_after: None) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert window.menus.theme_actions[theme.SYSTEM].isChecked()

    def window_colour() -> int:
        return app.palette().color(QPalette.ColorRole.Window).lightness()

    def editor_background() -> int:
        widget = window.editor.focusProxy()
        if window.editor.is_full_editor():
            from pyside6_scintilla import Scintilla
            colour = widget.send(Scintilla.Message.StyleGetBack, 32)  # type: ignore[attr-defined]
            return (colour & 0xFF) + (colour >> 8 & 0xFF) + (colour >> 16 & 0xFF)
        return widget.palette().color(QPalette.ColorRole.Base).lightness() * 3

    window.menus.theme_actions[theme.DARK].trigger()
    assert window_colour() < 100 and app.style().name().lower() == "fusion"
    qtbot.waitUntil(lambda: editor_background() < 200)  # the editor follows in dark colours
    window.menus.theme_actions[theme.LIGHT].trigger()
    assert window_colour() > 200
    qtbot.waitUntil(lambda: editor_background() > 600)
    window.menus.theme_actions[theme.DARK].trigger()
    size, pane_size = window.editor.font_size(), window.tree.font().pointSize()
    window.menus.bigger.trigger()
    window.menus.bigger.trigger()
    assert window.editor.font_size() == size + 2 and window.tree.font().pointSize() == pane_size + 2
    _close(window)
    theme.apply_theme(theme.SYSTEM)  # as a new process would start
    assert window_colour() > 100
    again = _window(qtbot, data_dir)
    assert again.menus.theme_actions[theme.DARK].isChecked() and window_colour() < 100
    assert again.editor.font_size() == size + 2 and again.tree.font().pointSize() == pane_size + 2
    again.menus.normal_size.trigger()
    again.menus.theme_actions[theme.SYSTEM].trigger()
    assert again.editor.font_size() == size and window_colour() > 100
    _close(again)


# -- Run -------------------------------------------------------------------------------------

def test_run_selected_text_runs_only_the_selection(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.models.model_opened, timeout=RUN_TIMEOUT):
        window.open_models([str(sample_model())])
    code = ('print("not this line")\n'
            'for wall in model.by_type("IfcWall")[:2]:\n'
            '    print("selected", wall.is_a())\n'
            'print("nor this one")\n')
    window.scripts.show_code(code, "Scratch")
    window.editor.select(code.index("for"), code.index("print(\"nor"))
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.menus.run_selection.trigger()
    reply = finished.args[0]
    assert reply.status == "success", reply.error
    output = window.results.output.text()
    assert output.count("selected IfcWall") == 2 or output.count("selected IfcWallStandardCase") == 2
    assert "not this line" not in output and "nor this one" not in output


def test_a_selection_that_is_not_python_says_so(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    code = "x = 1\nfor w in walls:\n    print(w)\n"
    window.scripts.show_code(code, "Scratch")
    window.editor.select(code.index("for"), code.index("walls") + 5)
    started: list[int] = []
    window.runs.run_started.connect(started.append)
    window.menus.run_selection.trigger()
    assert "not valid Python (line 2" in window.statusBar().currentMessage()
    assert window.editor.error_line() == 2 and started == []
    window.editor.select(0, 0)
    window.menus.run_selection.trigger()
    assert "Select the lines to run" in window.statusBar().currentMessage()


# -- Help ------------------------------------------------------------------------------------

def test_keyboard_shortcuts_lists_every_menu_shortcut_from_the_actions(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    extra = QAction("Frobnicate", window)
    extra.setShortcut("Ctrl+Alt+J")
    window.menuBar().actions()[3].menu().addAction(extra)  # type: ignore[union-attr]
    dialog = window.menus.show_shortcuts()
    assert isinstance(dialog, QDialog) and dialog.isVisible()
    table = dialog.findChild(QTableWidget, "shortcuts_table")
    rows = {(table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    for name, keys in (("Quit", "Ctrl+Q"), ("Save script", "Ctrl+S"), ("Find", "Ctrl+F"),
                       ("Run", "F5"), ("Stop", "Shift+F5"), ("Run selected text", "Ctrl+F5"),
                       ("Toggle comment", "Ctrl+/"), ("Frobnicate", "Ctrl+Alt+J")):
        assert (name, keys) in rows
    dialog.close()


def test_about_shows_the_versions_and_the_data_folder(qtbot, window: MainWindow, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    import platform
    from importlib import metadata

    import PySide6

    box = window.menus.show_about()
    assert isinstance(box, QMessageBox) and box.isVisible()
    text = box.text()
    for expected in (metadata.version("ifcopenshell"), PySide6.__version__,
                     platform.python_version(), str(window.store.data_dir), "0.1.0"):
        assert expected in text
    box.close()
