"""The script context documentation: a Markdown file under `resources/`, with section anchors.

Qt's Markdown reader drops HTML anchors, so a heading names its anchors itself, Pandoc style:
``## np, numpy {#np #numpy}``. :func:`split_anchors` takes them off the text and returns them
in heading order for the pane to attach to the rendered headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

HELP_FILE = "script-context.md"
_HEADING = re.compile(r"^(?P<title>#{1,6}\s+.*?)\s*\{(?P<ids>#[\w.-]+(?:\s+#[\w.-]+)*)\}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ANY_HEADING = re.compile(r"^#{1,6}\s")


@dataclass
class Section:
    """A heading of the help: its level, text, the anchors that lead to it and the Markdown
    under it up to the next heading."""

    level: int
    title: str
    anchors: tuple[str, ...]
    body: str = ""

    @property
    def summary(self) -> str:
        """The first paragraph of the section, on one line."""
        return " ".join(self.body.strip().split("\n\n")[0].split())


def load_help_text() -> str:
    """The Markdown source of the script context help."""
    return resources.files("ifcscript_desktop.resources").joinpath(HELP_FILE).read_text(
        encoding="utf-8")


def split_anchors(markdown: str) -> tuple[str, list[Section]]:
    """The Markdown without the ``{#id}`` marks, and every heading with its anchors in order.

    Headings inside fenced code blocks (comments in an example) are left alone.
    """
    lines: list[str] = []
    sections: list[Section] = []
    body: list[str] = []
    fenced = False
    for line in markdown.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced and _ANY_HEADING.match(line):
            if sections:
                sections[-1].body = "\n".join(body)
            body = []
            match = _HEADING.match(line)
            title = match.group("title") if match else line
            anchors = tuple(a.lstrip("#") for a in match.group("ids").split()) if match else ()
            hashes, _, text = title.partition(" ")
            sections.append(Section(len(hashes), text.strip(), anchors))
            lines.append(title)
            continue
        lines.append(line)
        body.append(line)
    if sections:
        sections[-1].body = "\n".join(body)
    return "\n".join(lines) + "\n", sections
