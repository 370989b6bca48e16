"""Starting the window. Until the full window lands it is a start page saying what works."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path

SUPPORTED = "Linux x86_64 and aarch64, Windows x86_64 and macOS (the editor's binary wheels)"


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


def start(args: argparse.Namespace) -> int:
    models = [str(Path(m).absolute()) for m in args.models]
    if args.demo:
        models.insert(0, str(sample_model()))
    missing = [m for m in models if not Path(m).is_file()]
    if missing:
        print(f"ifcscript: {missing[0]} is not a file.", file=sys.stderr)
        return 2
    text = start_page_text(models)
    if not _has_display():
        print(text)
        print("\n(No display found, so no window was opened.)")
        return 0
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("IFC Script Desktop")
    label = QLabel(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setMargin(24)
    window.setCentralWidget(label)
    window.resize(720, 360)
    window.show()
    if os.environ.get("IFCSCRIPT_EXIT_AFTER_START"):
        app.processEvents()
        return 0
    return app.exec()
