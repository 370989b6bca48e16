"""Find, replace and comment on plain text (Qt-free): both editor backends share these rules.

Offsets are character offsets into the text, the way Python indexes a str.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

COMMENT = "# "


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``new``; then select ``select`` (start, end)."""

    start: int
    end: int
    new: str
    select: tuple[int, int]


def _pattern(needle: str, case_sensitive: bool) -> re.Pattern[str]:
    return re.compile(re.escape(needle), 0 if case_sensitive else re.IGNORECASE)


def find(text: str, needle: str, start: int, *, forward: bool = True,
         case_sensitive: bool = False) -> tuple[int, int] | None:
    """The next match of ``needle`` from ``start`` (before it when ``forward`` is False),
    wrapping around the end of the text; None when the text holds none."""
    if not needle:
        return None
    matches = [(m.start(), m.end()) for m in _pattern(needle, case_sensitive).finditer(text)]
    if not matches:
        return None
    if forward:
        return next((m for m in matches if m[0] >= start), matches[0])
    return next((m for m in reversed(matches) if m[1] <= start), matches[-1])


def count(text: str, needle: str, *, case_sensitive: bool = False) -> int:
    return len(_pattern(needle, case_sensitive).findall(text)) if needle else 0


def replace_all(text: str, needle: str, replacement: str, *,
                case_sensitive: bool = False) -> tuple[Edit, int] | None:
    """One edit spanning the first to the last match with every match replaced, and the number
    of matches; None when there is none. The replacement is literal (no backslash escapes)."""
    matches = list(_pattern(needle, case_sensitive).finditer(text)) if needle else []
    if not matches:
        return None
    start, end = matches[0].start(), matches[-1].end()
    new = _pattern(needle, case_sensitive).sub(lambda _m: replacement, text[start:end])
    return Edit(start, end, new, (start + len(new), start + len(new))), len(matches)


def toggle_comment(text: str, selection: tuple[int, int]) -> Edit:
    """Comment the lines the selection touches with "# ", or uncomment them when every
    non-blank one already starts with "#" (the way most Python editors do it).

    The comment mark goes at the smallest indent of the lines so a commented block keeps its
    shape; blank lines are left alone.
    """
    sel_start, sel_end = sorted(selection)
    first = text.rfind("\n", 0, sel_start) + 1
    # A selection ending at the start of a line does not take that line along.
    last_at = sel_end - 1 if sel_end > sel_start and text[sel_end - 1:sel_end] == "\n" \
        else sel_end
    end = text.find("\n", last_at)
    end = len(text) if end < 0 else end
    lines = text[first:end].split("\n")
    filled = [line for line in lines if line.strip()]
    if not filled:
        return Edit(first, end, text[first:end], (sel_start, sel_end))
    if all(line.lstrip().startswith("#") for line in filled):
        new_lines = [_uncomment(line) for line in lines]
    else:
        indent = min(len(line) - len(line.lstrip()) for line in filled)
        new_lines = [line[:indent] + COMMENT + line[indent:] if line.strip() else line
                     for line in lines]
    new = "\n".join(new_lines)
    return Edit(first, end, new, (first, first + len(new)))


def _uncomment(line: str) -> str:
    body = line.lstrip()
    if not body.startswith("#"):
        return line
    indent = line[:len(line) - len(body)]
    return indent + (body[2:] if body.startswith(COMMENT) else body[1:])



class SelectionError(ValueError):
    """The selected text cannot run: a sentence, and the editor line at fault (or 0)."""

    def __init__(self, sentence: str, line: int = 0) -> None:
        super().__init__(sentence)
        self.line = line


def selection_as_script(text: str, start: int, end: int) -> str:
    """The selected text as a script whose line numbers are the editor's.

    The lines above the selection stay as their comment lines only (so the metadata block and
    its parameters still hold, and an error names the editor's line), every other line above
    is left blank; the selection itself is dedented so an indented block runs on its own.
    Raises SelectionError when nothing is selected or the selection is not valid Python.
    """
    selected = text[start:end]
    if not selected.strip():
        raise SelectionError("Select the lines to run in the editor first (Run selected text "
                             "runs only the selection).")
    above = text[:text.rfind("\n", 0, start) + 1].split("\n")[:-1]
    header = [line if line.lstrip().startswith("#") else "" for line in above]
    body = _dedent(selected)
    code = "\n".join(header + [body])
    try:
        compile(code, "<selection>", "exec")
    except SyntaxError as exc:
        line = exc.lineno or 0
        raise SelectionError(f"The selected text is not valid Python (line {line}: {exc.msg}): "
                             "select whole statements.", line) from None
    return code


def _dedent(code: str) -> str:
    return textwrap.dedent(code)
