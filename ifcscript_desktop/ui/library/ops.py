"""The library pane's verbs that core.library does not have yet, and its wording helpers.

Qt-free, so the verbs can move to :mod:`ifcscript_desktop.core.library` as they are. Each pane
action gathers a name and makes one call: one of these or a core.library function.
"""

from __future__ import annotations

import re

from ifcscript_desktop.core.library import (
    ScriptNameError,
    _with_block_name,
    get_script,
    require_script,
    save_script,
)
from ifcscript_desktop.core.store import Script, Store
from ifcscript_desktop.ui.library.template import new_script_code


def unique_name(store: Store, base: str) -> str:
    """``base``, or ``base 2``, ``base 3``... whichever no stored script holds yet."""
    base = base.strip() or "New script"
    name, number = base, 1
    while get_script(store, name) is not None:
        number += 1
        name = f"{base} {number}"
    return name


def create_script(store: Store, name: str) -> Script:
    """A new script of the user's called ``name``, from the template (ScriptNameError if taken)."""
    if get_script(store, name) is not None:
        raise ScriptNameError(f"A script named {name.strip()!r} already exists.")
    script, _ = save_script(store, name, new_script_code(name.strip()))
    return script


def duplicate_script(store: Store, name: str, new_name: str) -> Script:
    """A copy of the script ``name`` that the user owns (a built-in's copy is editable).

    The copy's metadata block carries its own name, so exporting and importing it never
    lands on the original.
    """
    original = require_script(store, name)
    if get_script(store, new_name) is not None:
        raise ScriptNameError(f"A script named {new_name.strip()!r} already exists.")
    code = _with_block_name(original.code, new_name.strip())
    script, _ = save_script(store, new_name, code)
    return script


def sentence(error: Exception) -> str:
    """An error's message as a sentence: capital first letter, final full stop."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def export_file_name(name: str) -> str:
    """A file name for a script: ``Export Elements to CSV`` -> ``export_elements_to_csv.py``."""
    return (re.sub(r"\W+", "_", name.casefold()).strip("_") or "script") + ".py"
