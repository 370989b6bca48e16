"""The editor's two colour palettes; the dark one is used when the window's palette is dark."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QFontDatabase, QPalette


@dataclass(frozen=True)
class Theme:
    """Colours as "#rrggbb"."""

    dark: bool
    background: str
    foreground: str
    caret_line: str
    selection: str
    margin_background: str
    margin_foreground: str
    fold_marker: str
    indent_guide: str
    keyword: str
    context_name: str
    string: str
    number: str
    comment: str
    decorator: str
    definition: str
    class_name: str
    operator: str
    brace_match: str
    error_marker: str
    error_line: str


LIGHT = Theme(
    dark=False,
    background="#ffffff",
    foreground="#1f2328",
    caret_line="#f3f6fa",
    selection="#add6ff",
    margin_background="#f6f8fa",
    margin_foreground="#8c959f",
    fold_marker="#8c959f",
    indent_guide="#d0d7de",
    keyword="#0033b3",
    context_name="#871094",
    string="#067d17",
    number="#1750eb",
    comment="#8c8c8c",
    decorator="#9e880d",
    definition="#00627a",
    class_name="#00627a",
    operator="#1f2328",
    brace_match="#b4e6b4",
    error_marker="#d1242f",
    error_line="#ffdcdc",
)

DARK = Theme(
    dark=True,
    background="#1e1f22",
    foreground="#bcbec4",
    caret_line="#26282e",
    selection="#214283",
    margin_background="#1e1f22",
    margin_foreground="#5f636b",
    fold_marker="#6f737a",
    indent_guide="#393b40",
    keyword="#cf8e6d",
    context_name="#c77dbb",
    string="#6aab73",
    number="#2aacb8",
    comment="#7a7e85",
    decorator="#b3ae60",
    definition="#56a8f5",
    class_name="#56a8f5",
    operator="#bcbec4",
    brace_match="#3b514d",
    error_marker="#f75464",
    error_line="#5a2a2e",
)


def theme_for(palette: QPalette) -> Theme:
    """The dark palette when the text background the system gives us is dark."""
    base = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Base)
    return DARK if base.lightness() < 128 else LIGHT


def default_font_size() -> int:
    """The editor's point size before the user makes it bigger or smaller (View menu)."""
    return max(10, QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).pointSize())
