"""Starting the window. Until the full window lands it is a start page saying what works."""

from __future__ import annotations

import argparse
import html
import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

SUPPORTED = "Linux x86_64 (glibc 2.34+), Windows x86_64 and macOS 13+ (the editor's binary wheels)"


def sample_model() -> Path:
    """The bundled sample model (KIT FZK-Haus)."""
    return Path(str(resources.files("ifcscript_desktop.resources").joinpath("sample-house.ifc")))


def _has_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def start_page_text(models: list[str]) -> str:
    lines = ["IFC Script Desktop 0.1", ""]
    if models:
        lines.append("Models: " + ", ".join(models))
        lines.append("")
    lines += [
        "What works in this release: the headless engine.",
        "  ifcscript scripts list",
        f'  ifcscript run "GUID Validation Check" "{models[0] if models else "MODEL.ifc"}"',
        "  ifcscript history",
        "",
        "The window with the model tree, editor and result panes is the next release.",
    ]
    return "\n".join(lines)


def editor_problem() -> str | None:
    """Why the full code editor cannot load on this platform, or None when it can."""
    from ifcscript_desktop.ui.editor import scintilla_problem

    problem = scintilla_problem()
    return f"{problem} It ships for {SUPPORTED}." if problem else None


def build_start_window(models: list[str]) -> "QMainWindow":
    """The start page: the models given and what this release can do with them."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QMainWindow

    text = start_page_text(models)
    problem = editor_problem()
    if problem:
        text += "\n\n" + problem
    window = QMainWindow()
    window.setWindowTitle("IFC Script Desktop")
    title, _, body = text.partition("\n")
    label = QLabel(f"<h2>{html.escape(title)}</h2><pre style='font-size: 11pt'>"
                   f"{html.escape(body.strip())}</pre>")
    label.setObjectName("start_page")
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setMargin(24)
    window.setCentralWidget(label)
    window.resize(760, 380)
    return window


def start(args: argparse.Namespace) -> int:
    models = [str(Path(m).absolute()) for m in args.models]
    if args.demo:
        models.insert(0, str(sample_model()))
    missing = [m for m in models if not Path(m).is_file()]
    if missing:
        print(f"ifcscript: {missing[0]} is not a file.", file=sys.stderr)
        return 2
    if not _has_display():
        print(start_page_text(models))
        print("\n(No display found, so no window was opened.)")
        return 0
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = build_start_window(models)
    window.show()
    return app.exec()
