"""The Help pane: the script context documented name by name, opened at a name by F1."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import (QDesktopServices, QPalette, QTextBlockFormat, QTextCharFormat,
                           QTextCursor, QTextDocument, QTextFormat)
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout,
                               QWidget)

from ifcscript_desktop.ui.help.content import Section, load_help_text, split_anchors

INDEX = "index"
#: Words that are not a section's anchor but have an obvious one.
ALIASES = {"import": "imports", "from": "imports", "df": "properties"}
_WORD = re.compile(r"[A-Za-z_][\w.-]*")


class HelpPane(QWidget):
    """A read-only browser over the help text; `show_topic(name)` scrolls to a name."""

    #: A section is on screen (its anchor).
    topic_shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # anchors are ours; web links go to the browser
        self.browser.anchorClicked.connect(self._on_link)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.contents_button = QPushButton("Contents")
        self.contents_button.setToolTip("Back to the list of names")
        self.contents_button.clicked.connect(lambda: self.show_topic(INDEX))
        bar = QHBoxLayout()
        bar.addWidget(self.notice, 1)
        bar.addStretch(0)
        bar.addWidget(self.contents_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.browser, 1)
        self._sections = self._render(load_help_text())
        self._current = INDEX

    # -- our API --------------------------------------------------------------------------
    def topics(self) -> list[str]:
        """Every anchor of the help, in document order."""
        return [anchor for section in self._sections for anchor in section.anchors]

    def current_topic(self) -> str:
        return self._current

    def resolve(self, name: str) -> str | None:
        """The anchor `name` leads to (``properties.df`` -> ``properties``), or None."""
        known = set(self.topics())
        word = name.strip().strip("()")
        candidates = [word, word.lower(), word.split(".")[0], word.split(".")[-1]]
        for candidate in candidates:
            candidate = ALIASES.get(candidate, candidate)
            if candidate in known:
                return candidate
        return None

    def show_topic(self, name: str) -> bool:
        """Scroll to the section about `name`; for a name without one, show the index and say
        so. True when a section was found."""
        anchor = self.resolve(name)
        word = name.strip()
        if anchor is None and word:
            shown = word if _WORD.fullmatch(word) else word[:40]
            self._show_notice(f"No help for <b>{html.escape(shown)}</b>: here are the names "
                              "a script can use.")
        else:
            self._show_notice("")
        self._current = anchor or INDEX
        if self._current == INDEX:
            self.browser.verticalScrollBar().setValue(0)
        else:
            self.browser.scrollToAnchor(self._current)
        self.topic_shown.emit(self._current)
        return anchor is not None

    # -- internals ------------------------------------------------------------------------
    def _show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() == "" and url.path() == "" and url.fragment():
            self.show_topic(url.fragment())
        else:
            QDesktopServices.openUrl(url)

    def _render(self, markdown: str) -> list[Section]:
        """Set the text and give every heading its anchors, code blocks a background."""
        text, sections = split_anchors(markdown)
        document = self.browser.document()
        document.setMarkdown(text, QTextDocument.MarkdownFeature.MarkdownDialectGitHub)
        code_background = self.palette().color(QPalette.ColorRole.AlternateBase)
        headings = iter(sections)
        block = document.begin()
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        while block.isValid():
            level = block.blockFormat().headingLevel()
            if level:
                section = next(headings, None)
                if section is not None and section.anchors:
                    self._anchor(cursor, block.position(), block.length() - 1, section.anchors)
                spacing = QTextBlockFormat()
                spacing.setTopMargin(18 if level > 1 else 4)
                spacing.setBottomMargin(6)
                cursor.setPosition(block.position())
                cursor.mergeBlockFormat(spacing)
            elif block.blockFormat().hasProperty(QTextFormat.Property.BlockCodeFence):
                shade = QTextBlockFormat()
                shade.setBackground(code_background)
                shade.setLeftMargin(8)
                cursor.setPosition(block.position())
                cursor.mergeBlockFormat(shade)
            block = block.next()
        cursor.endEditBlock()
        return sections

    @staticmethod
    def _anchor(cursor: QTextCursor, start: int, length: int, names: tuple[str, ...]) -> None:
        cursor.setPosition(start)
        cursor.setPosition(start + max(length, 0), QTextCursor.MoveMode.KeepAnchor)
        anchor = QTextCharFormat()
        anchor.setAnchor(True)
        anchor.setAnchorNames(list(names))
        cursor.mergeCharFormat(anchor)
