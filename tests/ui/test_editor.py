"""The script editor: typing, keys, completion, error marks, read-only, and the plain stand-in."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QPalette
from PySide6.QtWidgets import QLabel, QMainWindow

from ifcscript_desktop.ui.editor import NOTICE, ScriptEditor, scintilla_problem

CTRL = Qt.KeyboardModifier.ControlModifier
needs_scintilla = pytest.mark.skipif(scintilla_problem() is not None,
                                     reason="no pyside6-scintilla build on this platform")


def _make(qtbot: QtBot, full_editor: bool) -> ScriptEditor:
    editor = ScriptEditor(full_editor=full_editor)
    qtbot.addWidget(editor)
    editor.resize(600, 300)
    with qtbot.waitExposed(editor):
        editor.show()
    return editor


@pytest.fixture(params=[pytest.param(True, id="scintilla", marks=needs_scintilla),
                        pytest.param(False, id="plain")])
def editor(qtbot: QtBot, request: pytest.FixtureRequest) -> ScriptEditor:
    return _make(qtbot, request.param)


@pytest.fixture
def full(qtbot: QtBot) -> ScriptEditor:
    if scintilla_problem() is not None:
        pytest.skip("no pyside6-scintilla build on this platform")
    return _make(qtbot, True)


def _sci(editor: ScriptEditor) -> tuple[Any, Any]:
    from pyside6_scintilla import Scintilla

    return editor.focusProxy(), Scintilla.Message


def test_typing_changes_the_text_and_marks_it_modified_until_saved(
    qtbot: QtBot, editor: ScriptEditor,
) -> None:
    with qtbot.waitSignal(editor.sig_modified_changed, check_params_cb=lambda m: m is True):
        qtbot.keyClicks(editor.focusProxy(), "x = 1")
    assert editor.text() == "x = 1"
    assert editor.is_modified()
    with qtbot.waitSignal(editor.sig_modified_changed, check_params_cb=lambda m: m is False):
        editor.set_saved()
    assert not editor.is_modified()
    with qtbot.waitSignal(editor.sig_text_changed):
        qtbot.keyClicks(editor.focusProxy(), "2")
    assert editor.text() == "x = 12" and editor.is_modified()
    with qtbot.waitSignal(editor.sig_modified_changed, check_params_cb=lambda m: m is False):
        qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Z, CTRL)  # back to the saved text
    assert editor.text() == "x = 1"


def test_set_text_is_saved_and_cannot_be_undone(qtbot: QtBot, editor: ScriptEditor) -> None:
    qtbot.keyClicks(editor.focusProxy(), "draft")
    with qtbot.waitSignal(editor.sig_modified_changed, check_params_cb=lambda m: m is False):
        editor.set_text("print('é')\n")
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Z, CTRL)
    assert editor.text() == "print('é')\n"
    assert not editor.is_modified()


def test_enter_keeps_the_indent_and_indents_after_a_colon(
    qtbot: QtBot, editor: ScriptEditor,
) -> None:
    keys = editor.focusProxy()
    qtbot.keyClicks(keys, "for w in walls:")
    qtbot.keyClick(keys, Qt.Key.Key_Return)
    assert editor.text() == "for w in walls:\n    "
    qtbot.keyClicks(keys, "n = 1")
    qtbot.keyClick(keys, Qt.Key.Key_Return)
    assert editor.text().endswith("    n = 1\n    ")
    qtbot.keyClicks(keys, "continue")
    qtbot.keyClick(keys, Qt.Key.Key_Escape)  # a completion list may be open
    qtbot.keyClick(keys, Qt.Key.Key_Return)
    assert editor.text().endswith("    continue\n")


def test_tab_inserts_four_spaces(qtbot: QtBot, editor: ScriptEditor) -> None:
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Tab)
    qtbot.keyClicks(editor.focusProxy(), "x")
    assert editor.text() == "    x"


@pytest.mark.parametrize("key, modifier", [(Qt.Key.Key_Return, CTRL), (Qt.Key.Key_Enter, CTRL),
                                           (Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier)])
def test_run_keys_ask_for_a_run_and_leave_the_text_alone(
    qtbot: QtBot, editor: ScriptEditor, key: Qt.Key, modifier: Qt.KeyboardModifier,
) -> None:
    editor.set_text("x = 1")
    with qtbot.waitSignal(editor.sig_run_requested):
        qtbot.keyClick(editor.focusProxy(), key, modifier)
    assert editor.text() == "x = 1"


def test_ctrl_s_asks_for_a_save(qtbot: QtBot, editor: ScriptEditor) -> None:
    qtbot.keyClicks(editor.focusProxy(), "x")
    with qtbot.waitSignal(editor.sig_save_requested):
        qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_S, CTRL)
    assert editor.text() == "x"


def test_the_editor_keeps_its_keys_when_the_window_binds_them_too(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    editor = ScriptEditor(window)
    window.setCentralWidget(editor)
    triggered: list[str] = []
    for keys in ("Ctrl+S", "F5"):
        action = QAction(keys, window)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _checked=False, keys=keys: triggered.append(keys))
        window.addAction(action)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    editor.setFocus()
    with qtbot.waitSignal(editor.sig_save_requested):
        qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_S, CTRL)
    with qtbot.waitSignal(editor.sig_run_requested):
        qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_F5)
    assert triggered == [] and editor.text() == ""


def test_f1_asks_for_help_on_the_word_under_the_caret(qtbot: QtBot, editor: ScriptEditor) -> None:
    editor.set_text("rows = entities.df\n")
    editor.go_to_line(1)
    for _ in range(10):  # into the middle of "entities"
        qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Right)
    with qtbot.waitSignal(editor.sig_help_requested,
                          check_params_cb=lambda word: word == "entities"):
        qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_F1)


def test_two_typed_characters_offer_the_context_names(qtbot: QtBot, editor: ScriptEditor) -> None:
    qtbot.keyClicks(editor.focusProxy(), "e")
    assert editor.completion_words() == []
    qtbot.keyClicks(editor.focusProxy(), "nt")
    qtbot.waitUntil(lambda: editor.completion_words() == ["entities"])


def test_ctrl_space_offers_the_callers_ifc_classes(qtbot: QtBot, editor: ScriptEditor) -> None:
    qtbot.keyClicks(editor.focusProxy(), "x = 'I")
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: "IfcWall" in editor.completion_words())  # the built-in list
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Escape)
    editor.set_ifc_classes(["IfcAlignment", "IfcWall"])
    qtbot.keyClicks(editor.focusProxy(), "fcA")
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Space, CTRL)
    qtbot.waitUntil(lambda: editor.completion_words() == ["IfcAlignment"])


def test_enter_in_the_completion_list_inserts_the_word(qtbot: QtBot, full: ScriptEditor) -> None:
    sci, message = _sci(full)
    qtbot.keyClicks(sci, "get_p")
    qtbot.waitUntil(lambda: sci.send(message.AutoCActive) == 1)
    qtbot.keyClick(sci, Qt.Key.Key_Return)
    assert full.text() == "get_properties"


def test_an_error_mark_sits_on_its_line_and_scrolls_there(
    qtbot: QtBot, editor: ScriptEditor,
) -> None:
    editor.set_text("".join(f"x{n} = {n}\n" for n in range(1, 301)))
    editor.mark_error_line(250)
    assert editor.error_line() == 250
    assert editor.word_at_cursor() == "x250"  # the caret went there
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Home, CTRL)
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Return)
    assert editor.error_line() == 251  # the mark moves with its line
    editor.mark_error_line(None)
    assert editor.error_line() is None


def test_the_error_marker_and_line_background_are_scintilla_markers(
    qtbot: QtBot, full: ScriptEditor,
) -> None:
    sci, message = _sci(full)
    full.set_text("a = 1\nb = 2 / 0\nc = 3\n" + "d = 4\n" * 200)
    full.mark_error_line(150)
    assert sci.send(message.MarkerGet, 149) != 0
    assert sci.send(message.MarkerGet, 1) == 0
    assert sci.send(message.GetFirstVisibleLine) > 100
    full.mark_error_line(2)
    assert sci.send(message.MarkerGet, 1) != 0 and sci.send(message.MarkerGet, 149) == 0
    full.mark_error_line(None)
    assert sci.send(message.MarkerNext, 0, 0xFFFFFF) == -1  # no marker left, folds aside


def test_read_only_refuses_typing(qtbot: QtBot, editor: ScriptEditor) -> None:
    editor.set_text("print(1)\n")
    editor.set_read_only(True)
    qtbot.keyClicks(editor.focusProxy(), "abc")
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Return)
    assert editor.text() == "print(1)\n" and not editor.is_modified()
    editor.set_text("changed by the program\n")
    assert editor.text() == "changed by the program\n" and editor.is_read_only()


def test_the_python_lexer_colours_keywords_strings_and_context_names(
    qtbot: QtBot, full: ScriptEditor,
) -> None:
    sci, message = _sci(full)
    full.set_text("@cache\ndef f():\n    return entities, 'text', 42  # note\n")
    sci.send(message.Colourise, 0, -1)
    assert sci.send(message.GetLexer) != 0
    style = {word: sci.send(message.GetStyleAt, full.text().index(word))
             for word in ("@cache", "def", "f(", "entities", "'text'", "42", "# note")}
    assert len(set(style.values())) == len(style)  # seven kinds of token, seven styles
    assert sci.send(message.GetFoldLevel, 1) & 0x2000  # "def" heads a fold


def test_the_line_number_margin_grows_with_the_line_count(qtbot: QtBot, full: ScriptEditor) -> None:
    sci, message = _sci(full)
    full.set_text("x\n" * 10)
    narrow = sci.send(message.GetMarginWidthN, 0)
    full.set_text("x\n" * 100_000)
    assert sci.send(message.GetMarginWidthN, 0) > narrow > 0


def test_a_dark_palette_gives_a_dark_editor(qtbot: QtBot, full: ScriptEditor) -> None:
    sci, message = _sci(full)
    def background() -> int:
        colour = sci.send(message.StyleGetBack, 32)  # 0xBBGGRR
        return QColor(colour & 0xFF, colour >> 8 & 0xFF, colour >> 16 & 0xFF).lightness()

    light = background()
    palette = full.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor("#202020"))
    full.setPalette(palette)
    assert light > 128 > background()


def test_the_plain_editor_says_the_full_one_is_unavailable(qtbot: QtBot) -> None:
    editor = _make(qtbot, False)
    notice = editor.findChild(QLabel, "editor_notice")
    assert notice is not None and notice.isVisible() and notice.text() == NOTICE
    assert not editor.is_full_editor()


@pytest.mark.parametrize("stand_in", [None, types.ModuleType("pyside6_scintilla")],
                         ids=["missing", "empty placeholder"])
def test_without_a_usable_scintilla_the_plain_editor_stands_in(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, stand_in: types.ModuleType | None,
) -> None:
    monkeypatch.setitem(sys.modules, "pyside6_scintilla", stand_in)
    assert scintilla_problem() is not None
    editor = _make(qtbot, True)
    notice = editor.findChild(QLabel, "editor_notice")
    assert not editor.is_full_editor() and notice is not None and notice.isVisible()
    qtbot.keyClicks(editor.focusProxy(), "if x:")
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Return)
    assert editor.text() == "if x:\n    "


def test_a_draft_shows_as_unsaved_changes_over_the_saved_text(qtbot: QtBot, editor: ScriptEditor) -> None:
    with qtbot.waitSignal(editor.sig_modified_changed) as changed:
        editor.set_draft("result = 1\n", "result = 2\n")
    assert changed.args == [True]
    assert editor.text() == "result = 2\n" and editor.is_modified()
    editor.set_saved()
    assert not editor.is_modified()


# Edit menu: find, replace, go to line, comment, font size (both backends)

def test_the_find_bar_finds_the_next_match_wrapping_around(qtbot: QtBot, editor: ScriptEditor) -> None:
    editor.set_text("wall = 1\nslab = 2\nWall = 3  # é😀 wall\n")
    editor.show_find()
    assert editor.find_bar.isVisible()
    qtbot.keyClicks(editor.find_bar.find_edit, "wall")
    assert editor.find_bar.status.text() == "3 matches"
    qtbot.keyClick(editor.find_bar.find_edit, Qt.Key.Key_Return)
    assert editor.selected_text() == "wall" and editor.selection() == (0, 4)
    qtbot.keyClick(editor.find_bar.find_edit, Qt.Key.Key_Return)
    assert editor.selected_text() == "Wall"  # case ignored unless asked
    qtbot.keyClick(editor.find_bar.find_edit, Qt.Key.Key_Return)
    assert editor.selected_text() == "wall" and editor.selection()[0] > 20  # after é and 😀
    qtbot.keyClick(editor.find_bar.find_edit, Qt.Key.Key_Return)
    assert editor.selection() == (0, 4)  # wrapped around
    qtbot.keyClick(editor.find_bar.find_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert editor.selection()[0] > 20  # Shift+Enter goes back
    editor.find_bar.case_box.setChecked(True)
    assert editor.find_bar.status.text() == "2 matches"
    editor.find_bar.find_edit.setText("door")
    assert editor.find_bar.status.text() == "Not found."
    qtbot.keyClick(editor.find_bar.find_edit, Qt.Key.Key_Escape)
    assert not editor.find_bar.isVisible()


def test_replace_one_then_all_and_undo_takes_all_back_at_once(qtbot: QtBot, editor: ScriptEditor) -> None:
    editor.set_text("a = IfcWall\nb = IfcWall\nc = IfcWallType\n")
    editor.show_find(replace=True)
    assert editor.find_bar.replace_edit.isVisible()
    editor.find_bar.find_edit.setText("IfcWall")
    editor.find_bar.replace_edit.setText("IfcSlab")
    editor.find_bar.replace_one()  # the first click finds, the next replaces
    editor.find_bar.replace_one()
    assert editor.text() == "a = IfcSlab\nb = IfcWall\nc = IfcWallType\n"
    editor.find_bar.replace_every()
    assert editor.text() == "a = IfcSlab\nb = IfcSlab\nc = IfcSlabType\n"
    assert editor.find_bar.status.text() == "Replaced 2."
    assert editor.is_modified()
    editor.undo()
    assert editor.text() == "a = IfcSlab\nb = IfcWall\nc = IfcWallType\n"


def test_a_read_only_script_is_searched_but_never_replaced(qtbot: QtBot, editor: ScriptEditor) -> None:
    editor.set_text("x = 1\n")
    editor.set_read_only(True)
    editor.show_find(replace=True)
    assert not editor.find_bar.replace_edit.isVisible()
    editor.find_bar.find_edit.setText("x")
    assert editor.find_bar.find_next()
    assert editor.replace_all("x", "y") == 0 and editor.text() == "x = 1\n"


def test_toggle_comment_comments_the_selected_lines_and_back(qtbot: QtBot, editor: ScriptEditor) -> None:
    code = "for w in walls:\n    if w:\n\n        print(w)\nend = 1\n"
    editor.set_text(code)
    editor.select(code.index("if"), code.index("print") + 2)  # lines 2-4, one blank
    editor.toggle_comment()
    assert editor.text() == "for w in walls:\n    # if w:\n\n    #     print(w)\nend = 1\n"
    editor.toggle_comment()
    assert editor.text() == code
    editor.select(0, 0)
    editor.toggle_comment()  # no selection: the caret's line
    assert editor.text().startswith("# for w in walls:\n    if w:")


def test_go_to_line_asks_for_the_line_and_moves_the_caret(qtbot: QtBot, editor: ScriptEditor) -> None:
    editor.set_text("".join(f"line{n} = {n}\n" for n in range(1, 201)))
    dialog = editor.ask_go_to_line()
    assert dialog.isVisible() and dialog.intMaximum() == 201
    dialog.setIntValue(150)
    dialog.accept()
    assert editor.word_at_cursor() == "line150"


def test_the_font_size_can_change(qtbot: QtBot, editor: ScriptEditor) -> None:
    default = editor.font_size()
    assert default == ScriptEditor.default_font_size()
    editor.set_font_size(default + 4)
    assert editor.font_size() == default + 4
