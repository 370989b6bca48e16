"""The script library: saved scripts with every revision, editor drafts, built-ins, files.

A script's metadata block (see :mod:`.scriptfile`) is the source of truth: its ``parameters``
column is derived from the code on every save, and a script exported to a ``.py`` file is
exactly its code. A database failure is raised as a ``StoreError`` sentence
(:mod:`.storeerrors`), never as a peewee error.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import re
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeAlias

import peewee

from ifcscript_desktop.core.params import params_to_json
from ifcscript_desktop.core.script_template import new_script_code
from ifcscript_desktop.core.scriptfile import ScriptFileError, parse_script
from ifcscript_desktop.core.store import (
    Draft,
    Script,
    ScriptRevision,
    Setting,
    Store,
    StoreError,
    utcnow,
)
from ifcscript_desktop.core.storeerrors import store_errors

BUILTIN_PACKAGE = "ifcscript_desktop.builtin_scripts"
#: Setting row remembering which set of built-ins was last loaded (see :func:`ensure_builtins`).
BUILTINS_FINGERPRINT_KEY = "library.builtins_fingerprint"

#: A folder of built-in scripts: a path, or a package folder from importlib.resources.
Folder: TypeAlias = "Traversable | str | os.PathLike[str]"

CREATED, UPDATED, UNCHANGED, SKIPPED = "Created", "Updated", "Unchanged", "Skipped"


class ScriptNotFoundError(StoreError, LookupError):
    """No stored script has the name asked for."""


class ScriptNameError(StoreError, ValueError):
    """A script name that cannot be used (empty, or another script holds it)."""


# -- scripts --------------------------------------------------------------------------------------


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ScriptNameError("A script needs a name; the name given is empty.")
    return cleaned


def get_script(store: Store, name: str) -> Script | None:
    """The stored script called ``name``, or None."""
    store.activate()
    with store_errors(f"The script {name.strip()!r} could not be read"):
        return Script.get_or_none(Script.name == name.strip())


def require_script(store: Store, name: str) -> Script:
    """The stored script called ``name``; :class:`ScriptNotFoundError` if there is none."""
    script = get_script(store, name)
    if script is None:
        raise ScriptNotFoundError(f"There is no stored script named {name.strip()!r}.")
    return script


def list_scripts(store: Store) -> list[Script]:
    """Every stored script, by category then name (ignoring case)."""
    store.activate()
    with store_errors("The scripts could not be read"):
        return list(
            Script.select().order_by(peewee.fn.lower(Script.category), peewee.fn.lower(Script.name))
        )


def list_revisions(script: Script) -> list[ScriptRevision]:
    """Every saved version of a script's code, oldest (number 1) first."""
    with store_errors(f"The saved versions of {script.name!r} could not be read"):
        return list(script.revisions.order_by(ScriptRevision.number))  # type: ignore[attr-defined]


def save_script(
    store: Store,
    name: str,
    code: str,
    *,
    description: str | None = None,
    category: str | None = None,
    is_builtin: bool = False,
) -> tuple[Script, bool]:
    """Create or update the script ``name``; return it and whether anything changed.

    Each change of the code adds a numbered :class:`ScriptRevision`; saving identical code adds
    none. ``description`` and ``category`` default to the metadata block's. A save with
    ``is_builtin=False`` that changes a built-in makes it the user's own, so loading the
    built-ins again never overwrites the user's edits. Raises ``ScriptFileError`` (a
    ValueError naming the line) when the metadata block is invalid.
    """
    name = _clean_name(name)
    meta = parse_script(code, default_name=name)
    values: dict[str, Any] = {
        "code": code,
        "description": meta.description if description is None else description,
        "category": meta.category if category is None else category,
        "parameters": params_to_json(meta),
    }
    store.activate()
    with store_errors(f"The script {name!r} could not be saved"), store.db.atomic():
        script = Script.get_or_none(Script.name == name)
        if script is None:
            now = utcnow()
            script = Script.create(
                name=name, is_builtin=is_builtin, created_at=now, updated_at=now, **values
            )
            ScriptRevision.create(script=script, number=1, code=code, created_at=now)
            _drop_matching_draft(script, code)
            return script, True
        code_changed = script.code != code
        # Saving unchanged content changes nothing, not even who owns the script.
        if all(getattr(script, key) == value for key, value in values.items()):
            return script, False
        for key, value in values.items():
            setattr(script, key, value)
        script.is_builtin = is_builtin
        script.updated_at = utcnow()
        script.save()
        if code_changed:
            _add_revision(script, code)
        _drop_matching_draft(script, code)
        return script, True


def _add_revision(script: Script, code: str) -> ScriptRevision:
    last = (
        ScriptRevision.select(peewee.fn.MAX(ScriptRevision.number))
        .where(ScriptRevision.script == script)
        .scalar()
    )
    return ScriptRevision.create(script=script, number=(last or 0) + 1, code=code)


def _drop_matching_draft(script: Script, code: str) -> None:
    # A draft holding exactly what was just saved has nothing left to recover.
    Draft.delete().where(Draft.key == _draft_key(script)[0], Draft.text == code).execute()


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
    code = with_block_name(original.code, new_name.strip())
    script, _ = save_script(store, new_name, code)
    return script


def delete_script(store: Store, name: str) -> None:
    """Delete a script with its revisions and draft; its past runs stay in the history."""
    script = require_script(store, name)
    with store_errors(f"The script {script.name!r} could not be deleted"):
        script.delete_instance()


def rename_script(store: Store, old_name: str, new_name: str) -> Script:
    """Rename a script, also in its metadata block so an exported file keeps the new name."""
    new_name = _clean_name(new_name)
    store.activate()
    with store_errors(f"The script {old_name.strip()!r} could not be renamed"), store.db.atomic():
        script = require_script(store, old_name)
        if new_name == script.name:
            return script
        if get_script(store, new_name) is not None:
            raise ScriptNameError(f"A script named {new_name!r} already exists.")
        script.name = new_name
        script.updated_at = utcnow()
        code = with_block_name(script.code, new_name)
        if code != script.code:
            script.code = code
            _add_revision(script, code)
        script.save()
    return script


_NAME_KEY = re.compile(r"^name\s*=")


def with_block_name(code: str, new_name: str) -> str:
    """``code`` with the ``name`` line of its metadata block set to ``new_name``.

    The code is returned unchanged when the block has no name line or the edit would change
    anything else the block declares.
    """
    lines = code.splitlines(keepends=True)
    inside = False
    for index, line in enumerate(lines):
        text = line.rstrip()
        if not inside:
            inside = text == "# /// ifcscript"
            continue
        body = text[2:].strip() if text.startswith("# ") else ""
        if text == "# ///" or body.startswith("["):
            break  # top-level keys end at the block's end or its first table
        if _NAME_KEY.match(body):
            ending = line[len(line.rstrip("\r\n")):]
            lines[index] = f"# name = {json.dumps(new_name, ensure_ascii=False)}{ending}"
            candidate = "".join(lines)
            try:
                before, after = parse_script(code), parse_script(candidate)
            except ScriptFileError:
                return code
            if after.name == new_name and after.parameters == before.parameters and (
                after.description,
                after.category,
            ) == (before.description, before.category):
                return candidate
            return code
    return code


# -- drafts ---------------------------------------------------------------------------------------


def _draft_key(target: Script | str) -> tuple[str, Script | None]:
    if isinstance(target, Script):
        return f"script:{target.id}", target
    return target, None


def save_draft(store: Store, target: Script | str, text: str) -> Draft:
    """Autosave unsaved editor text for a stored script or under a key the editor chose."""
    key, script = _draft_key(target)
    store.activate()
    with store_errors("The unsaved text could not be kept"), store.db.atomic():
        draft = Draft.get_or_none(Draft.key == key)
        if draft is None:
            return Draft.create(key=key, script=script, text=text, updated_at=utcnow())
        draft.text = text
        draft.updated_at = utcnow()
        draft.save()
        return draft


def get_draft(store: Store, target: Script | str) -> Draft | None:
    """The autosaved text for a script or key, or None."""
    store.activate()
    with store_errors("The unsaved text could not be read"):
        return Draft.get_or_none(Draft.key == _draft_key(target)[0])


def clear_draft(store: Store, target: Script | str) -> None:
    """Forget the autosaved text (after a save, or when the user discards it)."""
    store.activate()
    with store_errors("The unsaved text could not be forgotten"):
        Draft.delete().where(Draft.key == _draft_key(target)[0]).execute()


def list_drafts(store: Store) -> list[Draft]:
    """Every autosaved text, newest first (what to offer to recover after a crash)."""
    store.activate()
    with store_errors("The unsaved texts could not be read"):
        return list(Draft.select().order_by(Draft.updated_at.desc()))


# -- built-ins ------------------------------------------------------------------------------------


def _builtin_folder() -> Traversable:
    try:
        return importlib.resources.files(BUILTIN_PACKAGE)
    except ModuleNotFoundError:
        # Running from a source checkout that is not installed: the repository's folder.
        return Path(__file__).resolve().parents[2] / "builtin_scripts"


def _builtin_files(folder: Folder | None) -> list[tuple[str, str]]:
    """(file name, code) of every built-in script file, by file name."""
    if folder is None:
        root = _builtin_folder()
    elif isinstance(folder, (str, os.PathLike)):
        root = Path(folder)
    else:
        root = folder
    if not root.is_dir():
        raise StoreError(f"The built-in scripts folder {root} does not exist.")
    files = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py") and not entry.name.startswith("_") and entry.is_file():
            # read_text decodes newlines, so a file checked out with CRLF loads identically.
            files.append((entry.name, entry.read_text(encoding="utf-8")))
    return files


def load_builtins(
    store: Store, folder: Folder | None = None
) -> list[tuple[str, str]]:
    """Load the built-in scripts; return (name, "Created"|"Updated"|"Unchanged"|"Skipped").

    Idempotent. A script the user owns under a built-in's name is skipped, never overwritten.
    ``folder`` replaces the package's ``builtin_scripts`` (tests, packagers).
    """
    parsed = []
    for filename, code in _builtin_files(folder):
        try:
            meta = parse_script(code, default_name=filename.removesuffix(".py"))
        except ScriptFileError as exc:
            raise StoreError(f"The built-in script {filename} is broken: {exc}.") from exc
        parsed.append((meta.name, code))
    report = []
    store.activate()
    with store_errors("The built-in scripts could not be loaded"), store.db.atomic():
        for name, code in parsed:
            existing = get_script(store, name)
            if existing is not None and not existing.is_builtin:
                report.append((name, SKIPPED))
                continue
            _, changed = save_script(store, name, code, is_builtin=True)
            status = CREATED if existing is None else UPDATED if changed else UNCHANGED
            report.append((name, status))
    return report


def _fingerprint(files: list[tuple[str, str]]) -> str:
    digest = hashlib.sha256()
    for filename, code in files:
        digest.update(filename.encode() + b"\0" + code.encode() + b"\0")
    return digest.hexdigest()


def ensure_builtins(
    store: Store, folder: Folder | None = None
) -> list[tuple[str, str]]:
    """Load the built-ins unless this exact set was loaded before; return the report ([] if not).

    A fresh data folder gets them on first use, and a new version of the application brings
    its updated built-ins, while a user's edits and deletions stand between versions.
    """
    fingerprint = _fingerprint(_builtin_files(folder))
    store.activate()
    with store_errors("The built-in scripts could not be loaded"):
        row = Setting.get_or_none(Setting.key == BUILTINS_FINGERPRINT_KEY)
        if row is not None and row.value == fingerprint:
            return []
        with store.db.atomic():
            report = load_builtins(store, folder)
            Setting.replace(key=BUILTINS_FINGERPRINT_KEY, value=fingerprint).execute()
    return report


# -- files ----------------------------------------------------------------------------------------


def import_script_file(store: Store, path: str | os.PathLike[str]) -> Script:
    """Store a ``.py`` script file under the name its metadata block declares.

    The name defaults to the file name without ``.py``. Importing over an existing script
    replaces its code as a new revision, so the previous code stays recoverable.
    """
    path = Path(path)
    try:
        code = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise StoreError(f"The script file {path} does not exist.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"The script file {path} cannot be read: {exc}.") from exc
    try:
        meta = parse_script(code, default_name=path.stem)
    except ScriptFileError as exc:
        raise StoreError(f"The script file {path} cannot be imported: {exc}.") from exc
    script, _ = save_script(store, meta.name, code)
    return script


def export_script_file(store: Store, name: str, path: str | os.PathLike[str]) -> Path:
    """Write a stored script to a ``.py`` file; the file's content is exactly its code."""
    script = require_script(store, name)
    path = Path(path)
    try:
        # newline="" writes the code byte for byte, whatever the platform's line ending.
        with open(path, "w", encoding="utf-8", newline="") as stream:
            stream.write(script.code)
    except OSError as exc:
        raise StoreError(
            f"The script {script.name!r} cannot be written to {path}: {exc}."
        ) from exc
    return path
