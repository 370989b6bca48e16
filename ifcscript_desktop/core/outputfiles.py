"""Which of a run's output files the window may open, and a later workflow step may read.

Opening hands a file to whatever program the desktop associates with it, so a name the script
chose must not decide what runs: a `.desktop`, `.sh` or `.exe` file would be executed, a link
could lead anywhere, and a path the script forged need not be in its folder at all. Only a
regular file (not a link) of a document type, inside the run's output folder once resolved, is
offered Open; anything else only "Show in folder", and only a real folder is ever shown.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ifcscript_desktop.core.runfiles import size_text

#: The document types Open is offered for (lower case, without the dot).
DOCUMENT_TYPES = frozenset({"csv", "xlsx", "json", "txt", "html", "bcf", "bcfzip", "ifc", "ifczip",
                            "png", "jpg", "svg", "pdf", "xml", "ids", "md", "log"})


@dataclass(frozen=True)
class OutputFile:
    """One output file as the Files pane lists it."""

    path: str
    name: str
    #: What the list shows after the name: its size, "(deleted)", "(a link)"...
    note: str
    exists: bool
    #: Open with the desktop's program is offered.
    can_open: bool
    #: Why Open is not offered ("" when it is).
    why_not: str
    #: The folder "Show in folder" shows, or None when there is no real folder to show.
    folder: str | None


def describe_output(path: str, output_dir: str | None) -> OutputFile:
    """What the window may do with `path`, a file the run in `output_dir` says it saved.

    Looks at the file itself (`lstat`, never following a link) each time it is called, so a
    file swapped since the run was listed is judged as it is now.
    """
    path = str(path)
    name = os.path.basename(path) or path
    folder = _real_folder(os.path.dirname(path))
    try:
        info = os.lstat(path)
    except OSError:
        return OutputFile(path, name, "(deleted)", False, False, "The file is gone.", folder)
    if stat.S_ISLNK(info.st_mode):
        return OutputFile(path, name, "(a link)", True, False,
                          "Links in a run's folder are not opened.", folder)
    if not stat.S_ISREG(info.st_mode):
        return OutputFile(path, name, "(not a file)", True, False,
                          "Only files are opened, not folders, pipes or devices.", folder)
    note = size_text(info.st_size)
    inside = output_dir is not None and _inside(path, output_dir)
    if not inside:
        return OutputFile(path, name, note, True, False,
                          "The file is not in this run's output folder.", folder)
    kind = Path(name).suffix[1:].lower()
    if kind not in DOCUMENT_TYPES:
        return OutputFile(path, name, note, True, False,
                          f"Files of type {kind or '(none)'!r} are not opened from here: only "
                          "documents (" + ", ".join(sorted(DOCUMENT_TYPES)) + ").", folder)
    return OutputFile(path, name, note, True, True, "", folder)


def readable_outputs(paths: list[str] | None, output_dir: str | None) -> list[str]:
    """The files of a run a later workflow step may read: regular files strictly inside that
    run's own output folder, reached without any link (a record written before the worker
    scanned folders itself, or a file swapped since, must not widen the grant)."""
    if not paths or not output_dir:
        return []
    kept = []
    for path in paths:
        text = os.path.normpath(os.path.abspath(path)) if isinstance(path, str) else ""
        if not text or os.path.realpath(text) != text or not _inside(text, output_dir):
            continue
        try:
            if stat.S_ISREG(os.lstat(text).st_mode):
                kept.append(text)
        except OSError:
            continue
    return kept


def _inside(path: str, output_dir: str) -> bool:
    """`path` resolves to somewhere strictly inside `output_dir` (also resolved)."""
    if not os.path.isabs(path) or ".." in Path(path).parts:
        return False
    real, root = os.path.realpath(path), os.path.realpath(output_dir)
    try:
        return real != root and os.path.commonpath([real, root]) == root
    except ValueError:  # Windows: on another drive
        return False


def _real_folder(folder: str) -> str | None:
    """`folder` if it is a folder itself, not a link or a file named like one."""
    try:
        return folder if folder and stat.S_ISDIR(os.lstat(folder).st_mode) else None
    except OSError:
        return None
