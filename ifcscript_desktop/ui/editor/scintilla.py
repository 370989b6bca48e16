"""The full editor: one ScintillaEdit with Lexilla's Python lexer.

Every Scintilla call of the application is in this module. ScintillaEdit's own `setFocus(bool)`,
`setCursor(int)` and `setProperty(key, value)` shadow QWidget's and QObject's methods of those
names, so this module never calls them on the editor; lexer properties go through the Lexilla
object before it is handed over.
"""

from __future__ import annotations

import keyword
import logging

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QWidget
from pyside6_scintilla import Scintilla, ScintillaEdit

from ifcscript_desktop.ui.editor.backend import EditorBackend
from ifcscript_desktop.ui.editor.theme import Theme, default_font_size
from ifcscript_desktop.ui.editor.words import CONTEXT_NAMES

log = logging.getLogger(__name__)

MARGIN_NUMBERS, MARGIN_MARKERS, MARGIN_FOLD = 0, 1, 2
MARK_ERROR = 1  # the red symbol in the marker margin
MARK_ERROR_LINE = 2  # the tinted line background
MASK_FOLDERS = 0xFE000000  # SC_MASK_FOLDERS: markers 25-31
EOL_LF = 2
STYLE_DEFAULT = int(Scintilla.StylesCommon.Default)
STYLE_LINE_NUMBER = int(Scintilla.StylesCommon.LineNumber)
STYLE_BRACE_LIGHT = int(Scintilla.StylesCommon.BraceLight)
STYLE_INDENT_GUIDE = int(Scintilla.StylesCommon.IndentGuide)
BRACES = b"()[]{}"

# SCE_P_* style numbers of Lexilla's python lexer.
(P_DEFAULT, P_COMMENT, P_NUMBER, P_STRING, P_CHARACTER, P_WORD, P_TRIPLE, P_TRIPLEDOUBLE,
 P_CLASSNAME, P_DEFNAME, P_OPERATOR, P_IDENTIFIER, P_COMMENTBLOCK, P_STRINGEOL, P_WORD2,
 P_DECORATOR, P_FSTRING, P_FCHARACTER, P_FTRIPLE, P_FTRIPLEDOUBLE, P_ATTRIBUTE) = range(21)
STRING_STYLES = (P_STRING, P_CHARACTER, P_TRIPLE, P_TRIPLEDOUBLE,
                 P_FSTRING, P_FCHARACTER, P_FTRIPLE, P_FTRIPLEDOUBLE)

FOLD_MARKERS = (
    (Scintilla.MarkerOutline.FolderOpen, Scintilla.MarkerSymbol.BoxMinus),
    (Scintilla.MarkerOutline.Folder, Scintilla.MarkerSymbol.BoxPlus),
    (Scintilla.MarkerOutline.FolderSub, Scintilla.MarkerSymbol.VLine),
    (Scintilla.MarkerOutline.FolderTail, Scintilla.MarkerSymbol.LCorner),
    (Scintilla.MarkerOutline.FolderEnd, Scintilla.MarkerSymbol.BoxPlusConnected),
    (Scintilla.MarkerOutline.FolderOpenMid, Scintilla.MarkerSymbol.BoxMinusConnected),
    (Scintilla.MarkerOutline.FolderMidTail, Scintilla.MarkerSymbol.TCorner),
)


def bgr(colour: str) -> int:
    """"#rrggbb" as Scintilla's 0xBBGGRR."""
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return red | green << 8 | blue << 16


def _python_lexer() -> int | None:
    """A configured Lexilla Python lexer, detached for Scintilla to own; None without Lexilla."""
    try:
        import lexilla
    except ImportError as exc:
        log.warning("No syntax highlighting: lexilla is not available (%s)", exc)
        return None
    lexer = lexilla.create_lexer("python")
    if lexer is None:
        return None
    lexer.word_list_set(0, " ".join(keyword.kwlist))
    lexer.word_list_set(1, " ".join(CONTEXT_NAMES))
    for key, value in (("fold", "1"), ("fold.compact", "0"), ("fold.quotes.python", "1"),
                       ("lexer.python.keywords2.no.sub.identifiers", "1")):
        lexer.property_set(key, value)
    return lexer.detach()


class ScintillaBackend(EditorBackend):
    """Python editing on Scintilla: highlighting, margins, folding, markers, completion list."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.sci = ScintillaEdit(parent)
        self.widget = self.sci
        self._shown_words: list[str] = []
        self._font_size = default_font_size()
        self._theme: Theme | None = None
        self._configure()
        lexer = _python_lexer()
        if lexer is not None:
            self.sci.setILexer(lexer)
        self.sci.savePointChanged.connect(self._on_save_point_changed)
        self.sci.notifyChange.connect(self.text_changed)
        self.sci.charAdded.connect(self._on_char_added)
        self.sci.linesAdded.connect(self._update_number_margin)
        self.sci.zoom.connect(self._update_number_margin)  # type: ignore[attr-defined]  # signal and getter share the name
        self.sci.updateUi.connect(self._on_update_ui)

    def _configure(self) -> None:
        sci = self.sci
        sci.setEOLMode(EOL_LF)
        sci.setUseTabs(False)
        sci.setTabWidth(4)
        sci.setIndent(4)
        sci.setTabIndents(True)
        sci.setBackSpaceUnIndents(True)
        sci.setIndentationGuides(int(Scintilla.IndentView.LookBoth))
        sci.setCaretLineVisible(True)
        sci.setCaretLineVisibleAlways(True)
        sci.setScrollWidth(1)
        sci.setScrollWidthTracking(True)
        sci.setEndAtLastLine(False)
        sci.setMarginTypeN(MARGIN_NUMBERS, int(Scintilla.MarginType.Number))
        sci.setMarginMaskN(MARGIN_NUMBERS, 0)
        sci.setMarginTypeN(MARGIN_MARKERS, int(Scintilla.MarginType.Symbol))
        sci.setMarginMaskN(MARGIN_MARKERS, 1 << MARK_ERROR)
        sci.setMarginWidthN(MARGIN_MARKERS, 14)
        sci.setMarginTypeN(MARGIN_FOLD, int(Scintilla.MarginType.Symbol))
        sci.setMarginMaskN(MARGIN_FOLD, MASK_FOLDERS)
        sci.setMarginWidthN(MARGIN_FOLD, 14)
        sci.setMarginSensitiveN(MARGIN_FOLD, True)
        sci.setAutomaticFold(int(Scintilla.AutomaticFold.Show | Scintilla.AutomaticFold.Click
                                 | Scintilla.AutomaticFold.Change))
        sci.setFoldFlags(int(Scintilla.FoldFlag.LineAfterContracted))
        for number, symbol in FOLD_MARKERS:
            sci.markerDefine(int(number), int(symbol))
        sci.markerDefine(MARK_ERROR, int(Scintilla.MarkerSymbol.Circle))
        sci.markerDefine(MARK_ERROR_LINE, int(Scintilla.MarkerSymbol.Background))
        sci.autoCSetOrder(int(Scintilla.Ordering.PerformSort))
        sci.autoCSetMaxHeight(10)
        sci.autoCSetDropRestOfWord(True)

    def apply_theme(self, theme: Theme) -> None:
        self._theme = theme
        sci = self.sci
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        sci.styleSetFont(STYLE_DEFAULT, font.family())
        sci.styleSetSize(STYLE_DEFAULT, self._font_size)
        sci.styleSetFore(STYLE_DEFAULT, bgr(theme.foreground))
        sci.styleSetBack(STYLE_DEFAULT, bgr(theme.background))
        sci.styleClearAll()  # every style starts from the default one
        colours = {
            P_COMMENT: theme.comment, P_COMMENTBLOCK: theme.comment, P_NUMBER: theme.number,
            P_WORD: theme.keyword, P_WORD2: theme.context_name, P_DECORATOR: theme.decorator,
            P_CLASSNAME: theme.class_name, P_DEFNAME: theme.definition,
            P_OPERATOR: theme.operator, P_STRINGEOL: theme.string,
            **dict.fromkeys(STRING_STYLES, theme.string),
        }
        for style, colour in colours.items():
            sci.styleSetFore(style, bgr(colour))
        for style in (P_WORD, P_CLASSNAME, P_DEFNAME):
            sci.styleSetBold(style, True)
        for style in (P_COMMENT, P_COMMENTBLOCK):
            sci.styleSetItalic(style, True)
        sci.styleSetBack(P_STRINGEOL, bgr(theme.error_line))
        sci.styleSetEOLFilled(P_STRINGEOL, True)
        sci.styleSetFore(STYLE_LINE_NUMBER, bgr(theme.margin_foreground))
        sci.styleSetBack(STYLE_LINE_NUMBER, bgr(theme.margin_background))
        sci.styleSetFore(STYLE_INDENT_GUIDE, bgr(theme.indent_guide))
        sci.styleSetBack(STYLE_BRACE_LIGHT, bgr(theme.brace_match))
        sci.styleSetBold(STYLE_BRACE_LIGHT, True)
        sci.setCaretFore(bgr(theme.foreground))
        sci.setCaretLineBack(bgr(theme.caret_line))
        sci.setSelBack(True, bgr(theme.selection))
        for margin in (MARGIN_MARKERS, MARGIN_FOLD):
            sci.setMarginBackN(margin, bgr(theme.margin_background))
        sci.setFoldMarginColour(True, bgr(theme.margin_background))
        sci.setFoldMarginHiColour(True, bgr(theme.margin_background))
        for number, _symbol in FOLD_MARKERS:
            sci.markerSetFore(int(number), bgr(theme.margin_background))
            sci.markerSetBack(int(number), bgr(theme.fold_marker))
        sci.markerSetFore(MARK_ERROR, bgr(theme.error_marker))
        sci.markerSetBack(MARK_ERROR, bgr(theme.error_marker))
        sci.markerSetBack(MARK_ERROR_LINE, bgr(theme.error_line))
        self._update_number_margin()

    # Text and state

    def text(self) -> str:
        return self._range(0, self.sci.textLength())

    def set_text(self, text: str) -> None:
        read_only = self.sci.readOnly()
        self.sci.setReadOnly(False)
        self.sci.setText(text)
        self.sci.setReadOnly(read_only)
        self.sci.emptyUndoBuffer()
        self.sci.setSavePoint()
        self.sci.gotoPos(0)
        self.mark_error_line(None)
        self._update_number_margin()

    def replace_all(self, text: str) -> None:
        """Replace the whole text as one undoable edit."""
        self.sci.setText(text)

    def is_modified(self) -> bool:
        return bool(self.sci.modify())

    def set_saved(self) -> None:
        self.sci.setSavePoint()

    def set_read_only(self, read_only: bool) -> None:
        self.sci.setReadOnly(read_only)

    def is_read_only(self) -> bool:
        return bool(self.sci.readOnly())

    def line_count(self) -> int:
        return int(self.sci.lineCount())

    def go_to_line(self, line: int) -> None:
        index = min(max(line, 1), self.line_count()) - 1
        self.sci.ensureVisible(index)  # unfold it if it sits in a folded block
        self.sci.gotoLine(index)
        self.sci.verticalCentreCaret()

    def mark_error_line(self, line: int | None) -> None:
        self.sci.markerDeleteAll(MARK_ERROR)
        self.sci.markerDeleteAll(MARK_ERROR_LINE)
        if line is None:
            return
        index = min(max(line, 1), self.line_count()) - 1
        self.sci.markerAdd(index, MARK_ERROR)
        self.sci.markerAdd(index, MARK_ERROR_LINE)
        self.go_to_line(index + 1)

    def error_line(self) -> int | None:
        index = int(self.sci.markerNext(0, 1 << MARK_ERROR))
        return None if index < 0 else index + 1

    def current_line_number(self) -> int:
        return int(self.sci.lineFromPosition(self.sci.currentPos())) + 1

    def current_line(self) -> tuple[str, int]:
        caret = self.sci.currentPos()
        index = self.sci.lineFromPosition(caret)
        start, end = self.sci.positionFromLine(index), self.sci.lineEndPosition(index)
        before = self._range(start, caret)
        after = self._range(caret, end)
        return before + after, len(before)

    def _range(self, start: int, end: int) -> str:
        return bytes(self.sci.get_text_range(start, end).data()).decode("utf-8", "replace")

    def replace_selection(self, text: str) -> None:
        self.sci.replaceSel(text)

    # Selections and edits: Scintilla counts UTF-8 bytes, Python counts characters.

    def _position(self, offset: int) -> int:
        return int(self.sci.positionRelative(0, offset)) if offset > 0 else 0

    def _offset(self, position: int) -> int:
        return int(self.sci.countCharacters(0, position))

    def selection(self) -> tuple[int, int]:
        return self._offset(self.sci.selectionStart()), self._offset(self.sci.selectionEnd())

    def select(self, start: int, end: int) -> None:
        self.sci.setSel(self._position(start), self._position(end))
        self.sci.ensureVisible(self.sci.lineFromPosition(self.sci.currentPos()))
        self.sci.scrollCaret()

    def apply_edit(self, start: int, end: int, new: str) -> None:
        self.sci.setTargetRange(self._position(start), self._position(end))
        self.sci.replaceTarget(len(new.encode("utf-8")), new)

    def undo(self) -> None:
        self.sci.undo()

    def redo(self) -> None:
        self.sci.redo()

    def cut(self) -> None:
        self.sci.cut()

    def copy(self) -> None:
        self.sci.copy()

    def paste(self) -> None:
        self.sci.paste()

    def set_font_size(self, points: int) -> None:
        self._font_size = points
        if self._theme is not None:
            self.apply_theme(self._theme)  # styleClearAll spreads the size to every style

    def font_size(self) -> int:
        return int(self.sci.styleSize(STYLE_DEFAULT))

    # Completion

    def show_completions(self, words: list[str], prefix: str, ignore_case: bool) -> None:
        self._shown_words = words
        self.sci.autoCSetIgnoreCase(ignore_case)
        self.sci.autoCShow(len(prefix.encode("utf-8")), " ".join(words))

    def hide_completions(self) -> None:
        self.sci.autoCCancel()

    def completion_active(self) -> bool:
        return bool(self.sci.autoCActive())

    def completion_words(self) -> list[str]:
        return list(self._shown_words) if self.completion_active() else []

    # Scintilla notifications

    def _on_save_point_changed(self, _dirty: bool) -> None:
        self.modified_changed.emit(self.is_modified())

    def _on_char_added(self, code: int) -> None:
        self.char_typed.emit(chr(code))

    def _update_number_margin(self, *_args: object) -> None:
        digits = max(3, len(str(self.line_count())))
        width = self.sci.textWidth(STYLE_LINE_NUMBER, "9" * digits)
        self.sci.setMarginWidthN(MARGIN_NUMBERS, width + 12)

    def _on_update_ui(self, _updated: int) -> None:
        caret = self.sci.currentPos()
        for pos in (caret - 1, caret):
            if 0 <= pos < self.sci.textLength() and (self.sci.charAt(pos) & 0xFF) in BRACES:
                match = self.sci.braceMatch(pos, 0)
                if match >= 0:
                    self.sci.braceHighlight(pos, match)
                    return
        self.sci.braceHighlight(-1, -1)
