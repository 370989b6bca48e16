"""ScriptEditor: the script editor pane's text widget and its keys."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QInputDialog, QLabel, QVBoxLayout, QWidget

from ifcscript_desktop.ui.editor import textops, words
from ifcscript_desktop.ui.editor.backend import create_backend
from ifcscript_desktop.ui.editor.findbar import FindBar
from ifcscript_desktop.ui.editor.theme import default_font_size, theme_for

NOTICE = ("The full code editor is unavailable on this platform: plain text editing only "
          "(no highlighting, line numbers or folding).")  # why exactly: in the tooltip
MIN_AUTO_PREFIX = 2

_RUN_KEYS = {(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier),
             (Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier),
             (Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier
              | Qt.KeyboardModifier.KeypadModifier),
             (Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier)}
_SAVE_KEY = (Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
_HELP_KEY = (Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier)
_COMPLETE_KEY = (Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
_ENTER_KEYS = {(Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
               (Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)}
_OWN_KEYS = _RUN_KEYS | {_SAVE_KEY, _HELP_KEY, _COMPLETE_KEY}


def _combination(event: QKeyEvent) -> tuple[Qt.Key, Qt.KeyboardModifier]:
    modifiers = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier \
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) else event.modifiers()
    return Qt.Key(event.key()), Qt.KeyboardModifier(modifiers)


class ScriptEditor(QWidget):
    """A Python editor for scripts: highlighting, folding, auto-indent and completion of the
    script context's names and IFC classes; Ctrl+Enter/F5 run, Ctrl+S saves, F1 asks for help.

    Lines are 1-based. Keyboard input goes to `focusProxy()`, the text widget inside. Where
    pyside6-scintilla has no build, a plain text editor with a notice stands in (also when
    `full_editor=False`).
    """

    sig_modified_changed = Signal(bool)
    sig_text_changed = Signal()
    sig_run_requested = Signal()
    sig_save_requested = Signal()
    sig_help_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, full_editor: bool = True) -> None:
        super().__init__(parent)
        self._backend, problem = create_backend(self, full_editor)
        self._ifc_classes: tuple[str, ...] = words.DEFAULT_IFC_CLASSES
        self._modified = False
        self._loading = False
        self._list_was_asked_for = False  # a Ctrl+Space list keeps ignoring case as you type
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self._notice: QLabel | None = None
        if problem is not None:
            self._notice = QLabel(NOTICE, self)
            self._notice.setObjectName("editor_notice")
            self._notice.setToolTip(problem)
            self._notice.setWordWrap(True)  # one line, unless the pane is narrower than it
            self._notice.setStyleSheet(
                "QLabel { background: #fff4ce; color: #5c4400; padding: 4px 8px; }")
            layout.addWidget(self._notice)
        layout.addWidget(self._backend.widget)
        self.find_bar = FindBar(self, self)
        layout.addWidget(self.find_bar)
        self.line_dialog: QInputDialog | None = None
        self.setFocusProxy(self._backend.widget)
        self._backend.widget.installEventFilter(self)
        self._backend.modified_changed.connect(self._on_backend_modified)
        self._backend.text_changed.connect(self._on_backend_text_changed)
        self._backend.char_typed.connect(self._on_char_typed)
        self._apply_theme()
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._apply_theme)

    # Public API

    def is_full_editor(self) -> bool:
        """False when the plain stand-in editor is in use."""
        return self._notice is None

    def text(self) -> str:
        return self._backend.text()

    def set_text(self, text: str) -> None:
        """Show `text` as saved, with no undo history and no error mark."""
        self._loading = True
        try:
            self._backend.set_text(text)
        finally:
            self._loading = False
        self._sync_modified()
        self.sig_text_changed.emit()

    def set_draft(self, saved: str, draft: str) -> None:
        """Show `draft` as unsaved changes over `saved`: undo goes back to the saved text."""
        self.set_text(saved)
        self._backend.replace_all(draft)
        self._sync_modified()
        self.sig_text_changed.emit()

    def is_modified(self) -> bool:
        return self._backend.is_modified()

    def set_saved(self) -> None:
        """Mark the current text as saved."""
        self._backend.set_saved()
        self._sync_modified()

    def set_read_only(self, read_only: bool) -> None:
        self._backend.set_read_only(read_only)

    def is_read_only(self) -> bool:
        return self._backend.is_read_only()

    def go_to_line(self, line: int) -> None:
        self._backend.go_to_line(line)

    def mark_error_line(self, line: int | None) -> None:
        """Mark `line` as where a run failed and scroll to it; None clears the mark."""
        self._backend.mark_error_line(line)

    def error_line(self) -> int | None:
        return self._backend.error_line()

    def set_ifc_classes(self, classes: Iterable[str]) -> None:
        """The IFC class names to complete, e.g. the open model's schema's; empty restores the
        built-in list of common IFC4 classes."""
        self._ifc_classes = tuple(classes) or words.DEFAULT_IFC_CLASSES

    def ifc_classes(self) -> tuple[str, ...]:
        """The IFC class names completion offers now."""
        return self._ifc_classes

    def word_at_cursor(self) -> str:
        line, column = self._backend.current_line()
        return words.word_at(line, column)

    def show_completions(self) -> None:
        """Offer the words that complete the identifier before the caret, whatever its length."""
        self._complete(explicit=True)

    def completion_words(self) -> list[str]:
        """The words of the completion list on show, empty when none is."""
        return self._backend.completion_words()

    # Edit menu: find, replace, go to line, comment, the clipboard

    def selected_text(self) -> str:
        start, end = self._backend.selection()
        return self._backend.text()[start:end]

    def selection(self) -> tuple[int, int]:
        """The selection as character offsets (start, end) into `text()`."""
        return self._backend.selection()

    def select(self, start: int, end: int) -> None:
        self._backend.select(start, end)

    def show_find(self, *, replace: bool = False) -> None:
        """Open the find bar (with the replace row), the selection (one line of it) to find."""
        selected = self.selected_text()
        self.find_bar.open_bar(replace=replace and not self.is_read_only(),
                               needle=selected if "\n" not in selected else "")

    def find_text(self, needle: str, *, forward: bool = True, case_sensitive: bool = False) -> bool:
        """Select the next match after the selection (before it when not `forward`), wrapping
        around; False when the text holds none."""
        start, end = self._backend.selection()
        match = textops.find(self.text(), needle, end if forward else start, forward=forward,
                             case_sensitive=case_sensitive)
        if match is not None:
            self._backend.select(*match)
        return match is not None

    def match_count(self, needle: str, *, case_sensitive: bool = False) -> int:
        return textops.count(self.text(), needle, case_sensitive=case_sensitive)

    def replace(self, needle: str, replacement: str, *, case_sensitive: bool = False) -> bool:
        """Replace the selected match (if the selection is one) and select the next match."""
        if self.is_read_only():
            return False
        start, end = self._backend.selection()
        selected = self.text()[start:end]
        if needle and (selected == needle if case_sensitive
                       else selected.casefold() == needle.casefold()):
            self._backend.apply_edit(start, end, replacement)
            self._backend.select(start + len(replacement), start + len(replacement))
        return self.find_text(needle, forward=True, case_sensitive=case_sensitive)

    def replace_all(self, needle: str, replacement: str, *, case_sensitive: bool = False) -> int:
        """Replace every match as one undoable edit; the number replaced."""
        if self.is_read_only():
            return 0
        found = textops.replace_all(self.text(), needle, replacement,
                                    case_sensitive=case_sensitive)
        if found is None:
            return 0
        edit, replaced = found
        self._backend.apply_edit(edit.start, edit.end, edit.new)
        self._backend.select(*edit.select)
        return replaced

    def toggle_comment(self) -> None:
        """Comment the selected lines (or the caret's) with "# ", or uncomment them."""
        if self.is_read_only():
            return
        edit = textops.toggle_comment(self.text(), self._backend.selection())
        if self.text()[edit.start:edit.end] != edit.new:
            self._backend.apply_edit(edit.start, edit.end, edit.new)
        self._backend.select(*edit.select)

    def ask_go_to_line(self) -> QInputDialog:
        """Ask for a line number (a window-modal dialog that does not block) and go there."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Go to line")
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setLabelText(f"Line (1-{self._backend.line_count()}):")
        dialog.setIntRange(1, self._backend.line_count())
        dialog.setIntValue(self._backend.current_line_number())
        dialog.intValueSelected.connect(self._on_line_chosen)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.line_dialog = dialog
        dialog.open()
        return dialog

    def _on_line_chosen(self, line: int) -> None:
        self.go_to_line(line)
        self.setFocus()

    def undo(self) -> None:
        self._backend.undo()

    def redo(self) -> None:
        self._backend.redo()

    def cut(self) -> None:
        self._backend.cut()

    def copy(self) -> None:
        self._backend.copy()

    def paste(self) -> None:
        self._backend.paste()

    def set_font_size(self, points: int) -> None:
        self._backend.set_font_size(points)

    def font_size(self) -> int:
        return self._backend.font_size()

    @staticmethod
    def default_font_size() -> int:
        return default_font_size()

    # Keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._backend.widget and event.type() in (
                QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            assert isinstance(event, QKeyEvent)
            combination = _combination(event)
            if event.type() == QEvent.Type.ShortcutOverride:
                if combination in _OWN_KEYS:
                    event.accept()  # ours, even if the window binds the same keys
                    return True
                return False
            return self._on_key(combination)
        return super().eventFilter(watched, event)

    def _on_key(self, combination: tuple[Qt.Key, Qt.KeyboardModifier]) -> bool:
        if combination in _RUN_KEYS:
            self.sig_run_requested.emit()
        elif combination == _SAVE_KEY:
            self.sig_save_requested.emit()
        elif combination == _HELP_KEY:
            self.sig_help_requested.emit(self.word_at_cursor())
        elif combination == _COMPLETE_KEY:
            self._complete(explicit=True)
        elif combination in _ENTER_KEYS and not self._backend.completion_active() \
                and not self._backend.is_read_only():
            line, column = self._backend.current_line()
            self._backend.replace_selection("\n" + words.next_line_indent(line[:column]))
        else:
            return False
        return True

    def _on_char_typed(self, char: str) -> None:
        if words.is_identifier_char(char):
            self._complete(explicit=self._list_was_asked_for and self._backend.completion_active())
        elif self._backend.completion_active():
            self._backend.hide_completions()  # no completion holds other characters

    def _complete(self, *, explicit: bool) -> None:
        if self._backend.is_read_only():
            return
        line, column = self._backend.current_line()
        before = line[:column]
        prefix = words.prefix_before(before)
        candidates: list[str] = []
        if explicit or (len(prefix) >= MIN_AUTO_PREFIX and not words.in_comment(before)):
            candidates = words.completions(
                prefix, after_dot=before[: len(before) - len(prefix)].endswith("."),
                ifc_classes=self._ifc_classes, document_text=self._backend.text(),
                ignore_case=explicit)
        self._list_was_asked_for = explicit
        if candidates:
            self._backend.show_completions(candidates, prefix, ignore_case=explicit)
        elif self._backend.completion_active():
            self._backend.hide_completions()

    # State

    def _on_backend_modified(self, _modified: bool) -> None:
        if not self._loading:
            self._sync_modified()

    def _sync_modified(self) -> None:
        modified = self._backend.is_modified()
        if modified != self._modified:
            self._modified = modified
            self.sig_modified_changed.emit(modified)

    def _on_backend_text_changed(self) -> None:
        if not self._loading:
            self.sig_text_changed.emit()

    def _apply_theme(self, *_args: object) -> None:
        self._backend.apply_theme(theme_for(self.palette()))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_theme()
        super().changeEvent(event)
