"""The Help pane: the script context documented name by name, opened at a name by F1.

A name the context does not document (`get_psets`, `model.by_type`, `IfcWall`) is asked of the
active model's worker (`doc`, see worker.docs), which answers with ifcopenshell's own docstring;
with no model open, of a worker without a model (ui.help.docworker).
"""

from __future__ import annotations

import html
import re
from typing import Any, Callable, Protocol

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import (QDesktopServices, QPalette, QTextBlockFormat, QTextCharFormat,
                           QTextCursor, QTextDocument, QTextFormat)
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QStackedWidget, QTextBrowser,
                               QVBoxLayout, QWidget)

from ifcscript_desktop.ui.help.content import Section, load_help_text, split_anchors
from ifcscript_desktop.ui.help.docworker import ModelFreeWorker

INDEX = "index"
#: Words that are not a section's anchor but have an obvious one.
ALIASES = {"import": "imports", "from": "imports", "df": "properties"}
_WORD = re.compile(r"[A-Za-z_][\w.-]*")
#: Context names that are ifcopenshell objects: `model.by_type` is asked of the worker.
WORKER_ROOTS = ("model", "ifcopenshell")


class DocSource(Protocol):
    """What the pane asks: a model's worker handle (ui.worker_handle.WorkerHandle)."""

    @property
    def is_open(self) -> bool: ...

    def query(self, op: str, fields: dict[str, Any],
              callback: Callable[[dict[str, Any]], None]) -> None: ...


def no_help_sentence(word: str) -> str:
    """What the pane says when neither the context nor ifcopenshell knows `word` (HTML)."""
    return (f"No help for <b>{html.escape(word)}</b>: it is not a script-context or "
            "ifcopenshell name.")


class HelpPane(QWidget):
    """A read-only browser over the help text; `show_topic(name)` scrolls to a name."""

    #: A section is on screen (its anchor).
    topic_shown = Signal(str)
    #: The worker answered about a name: the name asked, and whether it had a docstring.
    doc_answered = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)  # anchors are ours; web links go to the browser
        self.browser.anchorClicked.connect(self._on_link)
        self.doc_view = QTextBrowser()  # an ifcopenshell docstring, asked of the worker
        self.doc_view.setOpenExternalLinks(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.browser)
        self.pages.addWidget(self.doc_view)
        self._source: DocSource | None = None
        self.model_free = ModelFreeWorker(self)  # asked while no model is open
        self._asked = 0  # the latest question: an answer to an earlier one is dropped
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
        layout.addWidget(self.pages, 1)
        self._sections = self._render(load_help_text())
        self._current = INDEX

    # -- our API --------------------------------------------------------------------------
    def topics(self) -> list[str]:
        """Every anchor of the help, in document order."""
        return [anchor for section in self._sections for anchor in section.anchors]

    def current_topic(self) -> str:
        return self._current

    def set_source(self, source: DocSource | None) -> None:
        """The worker to ask about ifcopenshell names (the active model's handle), or None."""
        self._source = source
        if source is not None:
            self.model_free.close()  # the model's worker answers from now on

    def shutdown(self) -> None:
        """The window closes: let the model-free worker go."""
        self.model_free.close()

    def resolve(self, name: str, parts: bool = True) -> str | None:
        """The anchor `name` leads to (``properties.df`` -> ``properties``), or None.

        Without `parts`, only the whole name (or its alias) counts.
        """
        known = set(self.topics())
        word = name.strip().strip("()")
        candidates = [word, word.lower()]
        if parts:
            candidates += [word.split(".")[0], word.split(".")[-1]]
        for candidate in candidates:
            candidate = ALIASES.get(candidate, candidate)
            if candidate in known:
                return candidate
        return None

    def show_topic(self, name: str) -> bool:
        """Scroll to the section about `name`, or ask the worker for its docstring; for a name
        neither knows, show the index and say so. True when a section is shown at once."""
        word = name.strip().strip("()")
        self._asked += 1
        root = word.split(".")[0]
        anchor = self.resolve(word, parts=False)
        if anchor is None and "." in word and root not in WORKER_ROOTS:
            anchor = self.resolve(root, parts=False)  # `np.mean`, `properties.df`
        if anchor is None and word:
            self._ask(word, self._asked)
            return False
        self._show_notice("")
        self._show_section(anchor or INDEX)
        return anchor is not None

    # -- internals ------------------------------------------------------------------------
    @staticmethod
    def _shown(word: str) -> str:
        return word if _WORD.fullmatch(word) else word[:40]

    def _show_section(self, anchor: str) -> None:
        self.pages.setCurrentWidget(self.browser)
        self._current = anchor
        if anchor == INDEX:
            self.browser.verticalScrollBar().setValue(0)
        else:
            self.browser.scrollToAnchor(anchor)
        self.topic_shown.emit(anchor)

    def _ask(self, word: str, asked: int) -> None:
        source = self._source if self._source is not None and self._source.is_open \
            else self.model_free
        if source is not self.model_free:
            self.model_free.close()
        self._show_notice(f"Asking ifcopenshell about <b>{html.escape(self._shown(word))}</b>…")
        source.query("doc", {"name": word}, lambda reply: self._on_doc(word, asked, reply))

    def _on_doc(self, word: str, asked: int, reply: dict[str, Any]) -> None:
        if asked != self._asked:
            return  # F1 was pressed again meanwhile
        if reply.get("ok") and reply.get("found"):
            self._show_notice("")
            self._show_doc(reply)
            self.doc_answered.emit(word, True)
            return
        anchor = self.resolve(word)  # `model.foo`: at least the section about `model`
        if not reply.get("ok"):
            self._show_notice(f"No help for <b>{html.escape(self._shown(word))}</b>: the worker "
                              f"could not answer ({html.escape(str(reply.get('error')))}).")
        elif anchor is None:
            self._show_notice(no_help_sentence(self._shown(word)))
        else:
            self._show_notice("")
        self._show_section(anchor or INDEX)
        self.doc_answered.emit(word, False)

    def _show_doc(self, reply: dict[str, Any]) -> None:
        name = str(reply.get("name") or "")
        signature = str(reply.get("signature") or "")
        parts = [f"<h2>{html.escape(name)}</h2>",
                 f"<p><i>{html.escape(str(reply.get('kind') or ''))}</i></p>"]
        if signature:
            parts.append('<pre style="white-space: pre-wrap;">'
                         f"{html.escape(name.rsplit('.', 1)[-1] + signature)}</pre>")
        parts.append('<pre style="white-space: pre-wrap;">'
                     f"{html.escape(str(reply.get('doc') or ''))}</pre>")
        self.doc_view.setHtml("".join(parts))
        self.pages.setCurrentWidget(self.doc_view)
        self._current = f"doc:{name}"

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
