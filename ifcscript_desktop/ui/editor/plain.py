"""The fallback editor on platforms without a pyside6-scintilla build: a QPlainTextEdit."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QKeyEvent, QTextCursor, QTextFormat
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QPlainTextEdit, QTextEdit, QWidget

from ifcscript_desktop.ui.editor.backend import EditorBackend
from ifcscript_desktop.ui.editor.theme import Theme, default_font_size
from ifcscript_desktop.ui.editor.words import INDENT


class _PlainTextEdit(QPlainTextEdit):
    """Tab and Shift+Tab indent with spaces; every typed character is reported."""

    sig_char_typed = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Tab and not event.modifiers() and not self.isReadOnly():
            self._indent()
            return
        if event.key() == Qt.Key.Key_Backtab and not self.isReadOnly():
            self._dedent()
            return
        super().keyPressEvent(event)
        text = event.text()
        if len(text) == 1 and text.isprintable() and not self.isReadOnly():
            self.sig_char_typed.emit(text)

    def _indent(self) -> None:
        cursor = self.textCursor()
        if not cursor.hasSelection():
            column = cursor.positionInBlock()
            cursor.insertText(" " * (len(INDENT) - column % len(INDENT)))
            return
        self._each_selected_line(lambda line: line.insertText(INDENT))

    def _dedent(self) -> None:
        def remove(line: QTextCursor) -> None:
            spaces = len(line.block().text()) - len(line.block().text().lstrip(" "))
            for _ in range(min(spaces, len(INDENT))):
                line.deleteChar()

        self._each_selected_line(remove)

    def _each_selected_line(self, edit: Callable[[QTextCursor], None]) -> None:
        cursor = self.textCursor()
        document = self.document()
        first = document.findBlock(cursor.selectionStart()).blockNumber()
        last = document.findBlock(max(cursor.selectionEnd() - 1, cursor.selectionStart()))
        cursor.beginEditBlock()
        for number in range(first, last.blockNumber() + 1):
            line = QTextCursor(document.findBlockByNumber(number))
            edit(line)
        cursor.endEditBlock()


class PlainBackend(EditorBackend):
    """Plain text editing with the same behaviour ScriptEditor adds on top of Scintilla."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.edit = _PlainTextEdit(parent)
        self.widget = self.edit
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(default_font_size())
        self.edit.setFont(font)
        self._error_cursor: QTextCursor | None = None  # moves with the text, like a marker
        self._theme: Theme | None = None
        self._model = QStringListModel(self)
        self._completer = QCompleter(self._model, self)
        self._completer.setWidget(self.edit)
        self._completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._completer.activated.connect(self._insert_completion)
        self._prefix = ""
        self.edit.document().modificationChanged.connect(self.modified_changed)
        self.edit.textChanged.connect(self.text_changed)
        self.edit.sig_char_typed.connect(self.char_typed)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._show_error_line()

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)  # also clears the undo history
        self.edit.document().setModified(False)
        self.mark_error_line(None)

    def replace_all(self, text: str) -> None:
        """Replace the whole text as one undoable edit."""
        cursor = self.edit.textCursor()
        cursor.select(cursor.SelectionType.Document)
        cursor.insertText(text)

    def is_modified(self) -> bool:
        return self.edit.document().isModified()

    def set_saved(self) -> None:
        self.edit.document().setModified(False)

    def set_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def is_read_only(self) -> bool:
        return self.edit.isReadOnly()

    def line_count(self) -> int:
        return self.edit.document().blockCount()

    def go_to_line(self, line: int) -> None:
        number = min(max(line, 1), self.line_count()) - 1
        self.edit.setTextCursor(QTextCursor(self.edit.document().findBlockByNumber(number)))
        self.edit.centerCursor()

    def mark_error_line(self, line: int | None) -> None:
        self._error_cursor = None
        if line is not None:
            number = min(max(line, 1), self.line_count()) - 1
            self._error_cursor = QTextCursor(self.edit.document().findBlockByNumber(number))
            self.go_to_line(number + 1)
        self._show_error_line()

    def error_line(self) -> int | None:
        return None if self._error_cursor is None else self._error_cursor.blockNumber() + 1

    def _show_error_line(self) -> None:
        selections = []
        if self._error_cursor is not None and self._theme is not None:
            selection = QTextEdit.ExtraSelection()
            selection.format.setBackground(QColor(self._theme.error_line))
            selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            selection.cursor = self._error_cursor
            selections.append(selection)
        self.edit.setExtraSelections(selections)

    def current_line_number(self) -> int:
        return self.edit.textCursor().blockNumber() + 1

    def current_line(self) -> tuple[str, int]:
        cursor = self.edit.textCursor()
        return cursor.block().text(), cursor.positionInBlock()

    def replace_selection(self, text: str) -> None:
        self.edit.textCursor().insertText(text)
        self.edit.ensureCursorVisible()

    def show_completions(self, words: list[str], prefix: str, ignore_case: bool) -> None:
        self._prefix = prefix
        self._model.setStringList(words)
        self._completer.setCaseSensitivity(
            Qt.CaseSensitivity.CaseInsensitive if ignore_case else Qt.CaseSensitivity.CaseSensitive)
        self._completer.setCompletionPrefix(prefix)
        popup = self._popup()
        popup.setCurrentIndex(self._completer.completionModel().index(0, 0))
        rect = self.edit.cursorRect()
        rect.setWidth(popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width())
        self._completer.complete(rect)

    def hide_completions(self) -> None:
        self._popup().hide()

    def completion_active(self) -> bool:
        return self._popup().isVisible()

    def completion_words(self) -> list[str]:
        return self._model.stringList() if self.completion_active() else []

    def _popup(self) -> QAbstractItemView:
        popup = self._completer.popup()
        assert popup is not None  # QCompleter makes one on first use
        return popup

    # Selections and edits: QTextCursor counts UTF-16 units, Python counts characters.

    def _to_qt(self, offset: int) -> int:
        return len(self.text()[:offset].encode("utf-16-le")) // 2

    def _from_qt(self, position: int) -> int:
        units = self.text().encode("utf-16-le")[:position * 2]
        return len(units.decode("utf-16-le", "ignore"))

    def selection(self) -> tuple[int, int]:
        cursor = self.edit.textCursor()
        return self._from_qt(cursor.selectionStart()), self._from_qt(cursor.selectionEnd())

    def select(self, start: int, end: int) -> None:
        cursor = self.edit.textCursor()
        cursor.setPosition(self._to_qt(start))
        cursor.setPosition(self._to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        self.edit.setTextCursor(cursor)
        self.edit.ensureCursorVisible()

    def apply_edit(self, start: int, end: int, new: str) -> None:
        cursor = self.edit.textCursor()
        cursor.setPosition(self._to_qt(start))
        cursor.setPosition(self._to_qt(end), QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(new)  # one undo step

    def undo(self) -> None:
        self.edit.undo()

    def redo(self) -> None:
        self.edit.redo()

    def cut(self) -> None:
        self.edit.cut()

    def copy(self) -> None:
        self.edit.copy()

    def paste(self) -> None:
        self.edit.paste()

    def set_font_size(self, points: int) -> None:
        font = self.edit.font()
        font.setPointSize(points)
        self.edit.setFont(font)

    def font_size(self) -> int:
        return self.edit.font().pointSize()

    def _insert_completion(self, word: str) -> None:
        cursor = self.edit.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor,
                            len(self._prefix))
        cursor.insertText(word)
        self.edit.setTextCursor(cursor)
