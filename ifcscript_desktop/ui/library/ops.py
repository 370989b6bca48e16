"""Wording helpers of the library pane (Qt-free): error sentences and export file names."""

from __future__ import annotations

import re


def sentence(error: Exception) -> str:
    """An error's message as a sentence: capital first letter, final full stop."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def export_file_name(name: str) -> str:
    """A file name for a script: ``Export Elements to CSV`` -> ``export_elements_to_csv.py``."""
    return (re.sub(r"\W+", "_", name.casefold()).strip("_") or "script") + ".py"
