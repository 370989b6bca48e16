"""The text widget behind ScriptEditor: Scintilla where it ships, a QPlainTextEdit elsewhere."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ifcscript_desktop.ui.editor.theme import Theme

log = logging.getLogger(__name__)


class EditorBackend(QObject):
    """What ScriptEditor needs from a text widget. Lines are 1-based, columns are characters."""

    modified_changed = Signal(bool)
    text_changed = Signal()
    char_typed = Signal(str)

    widget: QWidget

    def text(self) -> str:
        raise NotImplementedError

    def set_text(self, text: str) -> None:
        """Replace the text, forget the undo history and mark it saved."""
        raise NotImplementedError

    def replace_all(self, text: str) -> None:
        """Replace the whole text as one undoable edit (the saved state stays where it was)."""
        raise NotImplementedError

    def is_modified(self) -> bool:
        raise NotImplementedError

    def set_saved(self) -> None:
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        raise NotImplementedError

    def is_read_only(self) -> bool:
        raise NotImplementedError

    def line_count(self) -> int:
        raise NotImplementedError

    def go_to_line(self, line: int) -> None:
        """Put the caret at the start of `line` and scroll it into the middle of the view."""
        raise NotImplementedError

    def mark_error_line(self, line: int | None) -> None:
        raise NotImplementedError

    def error_line(self) -> int | None:
        raise NotImplementedError

    def current_line_number(self) -> int:
        """The caret's line, 1-based."""
        raise NotImplementedError

    def current_line(self) -> tuple[str, int]:
        """The caret's line (without its line end) and the caret's column in it."""
        raise NotImplementedError

    def replace_selection(self, text: str) -> None:
        raise NotImplementedError

    def show_completions(self, words: list[str], prefix: str, ignore_case: bool) -> None:
        """Offer `words` (sorted) to replace `prefix`, the text just before the caret."""
        raise NotImplementedError

    def hide_completions(self) -> None:
        raise NotImplementedError

    def completion_active(self) -> bool:
        raise NotImplementedError

    def completion_words(self) -> list[str]:
        """The words of the list on show, empty when none is."""
        raise NotImplementedError

    def apply_theme(self, theme: Theme) -> None:
        raise NotImplementedError

    # Selections and edits, in character offsets (Python str indexes) of `text()`.

    def selection(self) -> tuple[int, int]:
        """The selection's (start, end), start <= end; both the caret's offset when empty."""
        raise NotImplementedError

    def select(self, start: int, end: int) -> None:
        """Select text[start:end] (the caret at `end`) and scroll it into view."""
        raise NotImplementedError

    def apply_edit(self, start: int, end: int, new: str) -> None:
        """Replace text[start:end] with `new` as one undoable edit."""
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError

    def redo(self) -> None:
        raise NotImplementedError

    def cut(self) -> None:
        raise NotImplementedError

    def copy(self) -> None:
        raise NotImplementedError

    def paste(self) -> None:
        raise NotImplementedError

    def set_font_size(self, points: int) -> None:
        raise NotImplementedError

    def font_size(self) -> int:
        raise NotImplementedError


def scintilla_problem() -> str | None:
    """Why the full editor cannot be used here, or None when it can."""
    try:
        from pyside6_scintilla import ScintillaEdit  # noqa: F401
    except ImportError as exc:  # not installed, or the empty placeholder wheel
        return f"pyside6-scintilla is not available ({exc})"
    except Exception as exc:  # noqa: BLE001 - a binary built against another Qt fails oddly
        return f"pyside6-scintilla failed to load ({exc!r})"
    return None


def create_backend(parent: QWidget, full_editor: bool) -> tuple[EditorBackend, str | None]:
    """The Scintilla backend when asked for and loadable, else the plain one and the reason."""
    problem = scintilla_problem() if full_editor else "the plain editor was asked for"
    if problem is None:
        from ifcscript_desktop.ui.editor.scintilla import ScintillaBackend

        return ScintillaBackend(parent), None
    log.info("Using the plain text editor: %s", problem)
    from ifcscript_desktop.ui.editor.plain import PlainBackend

    return PlainBackend(parent), problem
