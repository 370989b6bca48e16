"""Model and script text shown as text, never as rich text.

Qt renders a tooltip (and a QLabel in AutoText) as HTML when it merely looks like HTML: an IFC
Name or a script's cell such as `<b>` or `<img src="/home/u/x.png">` would be drawn bold or
load a local file. Everything a model or a script supplies goes through `tooltip` (or a label
set to `Qt.TextFormat.PlainText`).
"""

from __future__ import annotations

from PySide6.QtGui import Qt


def tooltip(text: str) -> str:
    """`text` as a tooltip shows it literally: escaped (newlines as <br>) when Qt would take it
    for rich text, else unchanged (a plain tooltip keeps its own line breaking). Spaces stay
    breakable, so a long cell wraps in its tooltip instead of running off the screen."""
    if not Qt.mightBeRichText(text):
        return text
    return Qt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)
