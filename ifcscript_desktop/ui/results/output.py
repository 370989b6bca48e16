"""The Output tab: a run's stdout/stderr as it streams, capped, with the error shown in red."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

DROPPED_NOTE = "[earlier output dropped]"


class OutputPane(QPlainTextEdit):
    """Read-only log. Chunks are queued and drawn together at most every `FLUSH_MS`, so a
    flood of small writes costs one list append each; only the last `max_chars` characters
    are kept, under a visible note that earlier output was dropped."""

    FLUSH_MS = 50
    MAX_LINE = 2000  # longer lines are broken: one huge line would make every append slow

    def __init__(self, parent: QWidget | None = None, max_chars: int = 1_000_000) -> None:
        super().__init__(parent)
        self.max_chars = max_chars
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setPlaceholderText("What the script prints appears here.")
        self._pending: list[str] = []
        self._pending_chars = 0
        self._dropped = False  # the note is at the top of the document
        self._line_chars = 0  # characters on the last, unfinished line
        self._timer = QTimer(self, singleShot=True, interval=self.FLUSH_MS)
        self._timer.timeout.connect(self.flush)
        self._plain = QTextCharFormat()
        self._note = QTextCharFormat()
        self._note.setForeground(QColor("#808080"))
        self._note.setFontItalic(True)
        self._error = QTextCharFormat()
        self._error.setForeground(QColor("#D0312D"))
        self._error_title = QTextCharFormat(self._error)
        self._error_title.setFontWeight(QFont.Weight.Bold)

    @property
    def dropped(self) -> bool:
        """True once earlier output was dropped to stay under the cap."""
        return self._dropped

    def append_output(self, text: str) -> None:
        """Queue a streamed chunk; it is drawn within `FLUSH_MS`."""
        if not text:
            return
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars > 2 * self.max_chars:  # bound memory between flushes
            tail = "".join(self._pending)[-self.max_chars:]
            self._pending, self._pending_chars = [tail], len(tail)
            self._reset_with_note()
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Draw every queued chunk now."""
        self._timer.stop()
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending, self._pending_chars = [], 0
        bar = self.verticalScrollBar()
        follow = bar.value() >= bar.maximum() - 2
        if len(text) >= self.max_chars:
            self._reset_with_note()
            text = text[-self.max_chars:]
        text = self._break_long_lines(text)
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, self._plain)
        self._trim()
        if follow:
            bar.setValue(bar.maximum())

    def show_error(self, sentence: str, traceback: str | None = None) -> None:
        """Show the run's error sentence (bold) and its traceback in red below the output."""
        self._append_styled(sentence, self._error_title)
        if traceback:
            self._append_styled(traceback.rstrip("\n"), self._error)

    def show_note(self, text: str) -> None:
        """A grey line below the output (how the run ended, for instance)."""
        self._append_styled(text, self._note)

    def clear(self) -> None:
        self._timer.stop()
        self._pending, self._pending_chars = [], 0
        self._dropped = False
        self._line_chars = 0
        super().clear()

    def text(self) -> str:
        """Everything shown, queued chunks included."""
        self.flush()
        return self.toPlainText()

    # --- internals ----------------------------------------------------------------------
    def _append_styled(self, text: str, style: QTextCharFormat) -> None:
        self.flush()
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if self.document().lastBlock().length() > 1:  # the last line has text: end it
            cursor.insertText("\n", self._plain)
        cursor.insertText(text + "\n", style)
        self._line_chars = 0
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def _break_long_lines(self, text: str) -> str:
        """Break lines longer than MAX_LINE (a wall of text without newlines stays fast)."""
        limit, carried = self.MAX_LINE, self._line_chars
        lines = text.split("\n")
        if len(lines[0]) + carried > limit or max(map(len, lines)) > limit:
            out = []
            for k, line in enumerate(lines):
                room = limit - (carried if k == 0 else 0)
                if len(line) <= room:
                    out.append(line)
                    continue
                pieces = [line[:room]] + [line[i:i + limit] for i in range(room, len(line), limit)]
                out.append("\n".join(pieces))
            text = "\n".join(out)
        _, newline, last = text.rpartition("\n")
        self._line_chars = len(last) if newline else carried + len(last)
        return text

    def _reset_with_note(self) -> None:
        super().clear()
        cursor = QTextCursor(self.document())
        cursor.insertText(DROPPED_NOTE + "\n", self._note)
        self._dropped = True
        self._line_chars = 0

    def _trim(self) -> None:
        """Drop the oldest text once the document is a fifth over the cap (so not every flush)."""
        document = self.document()
        excess = document.characterCount() - self.max_chars
        if excess <= self.max_chars // 5:
            return
        if not self._dropped:
            cursor = QTextCursor(document)
            cursor.insertText(DROPPED_NOTE + "\n", self._note)
            self._dropped = True
            excess += len(DROPPED_NOTE) + 1
        start = len(DROPPED_NOTE) + 1
        cursor = QTextCursor(document)
        cursor.setPosition(start)
        cursor.setPosition(start + excess, QTextCursor.MoveMode.KeepAnchor)
        # Cut at a line start when one is near, so the first line shown is whole.
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        if cursor.position() - start > excess + 4096 or cursor.atEnd():
            cursor.setPosition(start + excess, QTextCursor.MoveMode.KeepAnchor)
        else:
            cursor.movePosition(QTextCursor.MoveOperation.NextCharacter,
                                QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
