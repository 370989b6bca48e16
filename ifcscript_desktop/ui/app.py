"""Starting the window: the store, the built-ins, retention, the models given on the command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ifcscript_desktop.core.runs import Pruned
    from ifcscript_desktop.ui.background import BackgroundRunner
    from ifcscript_desktop.ui.main_window import MainWindow
    from ifcscript_desktop.ui.single_instance import InstanceServer

log = logging.getLogger(__name__)

SUPPORTED = "Linux x86_64 (glibc 2.34+), Windows x86_64 and macOS 13+ (the editor's binary wheels)"


def sample_model() -> Path:
    """The bundled sample model (KIT FZK-Haus)."""
    return Path(str(resources.files("ifcscript_desktop.resources").joinpath("sample-house.ifc")))


def _has_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def editor_problem() -> str | None:
    """Why the full code editor cannot load on this platform, or None when it can."""
    from ifcscript_desktop.ui.editor import scintilla_problem

    problem = scintilla_problem()
    return f"{problem} It ships for {SUPPORTED}." if problem else None


def build_main_window(data_dir: str | None, models: list[str],
                      background: "BackgroundRunner | None" = None) -> "MainWindow":
    """The window on the store of `data_dir`, opening `models`; retention starts off the GUI
    thread (through `background`)."""
    from ifcscript_desktop.core.datadir import resolve_data_dir
    from ifcscript_desktop.core.library import ensure_builtins
    from ifcscript_desktop.core.store import open_store
    from ifcscript_desktop.ui.background import BackgroundRunner
    from ifcscript_desktop.ui.main_window import MainWindow

    store = open_store(resolve_data_dir(data_dir))
    ensure_builtins(store)
    background = background or BackgroundRunner()
    window = MainWindow(store, background)
    problem = editor_problem()
    if problem:
        window.statusBar().showMessage(problem)
    start_retention(window, background)
    window.open_models(models)
    return window


def start_retention(window: "MainWindow", background: "BackgroundRunner") -> None:
    """Remove old runs' output files if a day has passed since the last time (core.runs); the
    History shows the runs again when it did."""
    from ifcscript_desktop.core.runs import prune_if_due

    store = window.store

    def prune() -> "Pruned | None":
        try:
            return prune_if_due(store)
        finally:
            if threading.current_thread() is not threading.main_thread():
                store.close()  # this thread's connection

    def done(pruned: "Pruned | None") -> None:
        if pruned:
            try:
                window.history.reload()
            except RuntimeError:  # the window closed while the files were being removed
                pass

    background.submit(prune, done,
                      lambda exc: log.warning("Old run files were not removed: %s", exc))


def start(args: argparse.Namespace) -> int:
    models = [str(Path(m).absolute()) for m in args.models]
    if args.demo:
        models.insert(0, str(sample_model()))
    if not _has_display():
        print("ifcscript: no display found (DISPLAY is not set), so the window cannot open. "
              "Headless use: ifcscript run SCRIPT MODEL (see ifcscript run --help).", file=sys.stderr)
        return 0
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    # The 3D view's GL resources outlive one context (its dock floated out of the window).
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("IFC Script Desktop")
    from ifcscript_desktop.core.datadir import resolve_data_dir
    from ifcscript_desktop.ui.single_instance import SENT, forward, server_name

    data_dir = resolve_data_dir(args.data_dir)
    name = server_name(data_dir)  # None: no private place for it (said in the log)
    handed = forward(name, models) if name is not None else None
    if handed:
        print(forwarded_sentence(data_dir, models, busy=handed == SENT))
        return 0
    window = build_main_window(str(data_dir), models)
    if name is not None:
        serve_instance(window, name)
    window.show()
    window.prepare_for_models()
    code = app.exec()
    window.store.close()
    return code


def forwarded_sentence(data_dir: Path, models: list[str], busy: bool = False) -> str:
    what = (f"it opens {', '.join(Path(m).name for m in models)} there" if models
            else "its window is brought to the front")
    if busy:
        what = f"that window is busy; {what} when it is free"
    return (f"ifcscript: IFC Script Desktop is already open on the data folder {data_dir}: "
            f"{what}.")


def serve_instance(window: "MainWindow", name: str) -> "InstanceServer | None":
    """Make `window` the one later launches on its data folder hand their files to; None (and
    a log line) when it cannot listen, and then a later launch opens a window of its own."""
    from ifcscript_desktop.ui.single_instance import InstanceServer

    server = InstanceServer(name, window)
    if not server.listen():
        log.warning("Later launches will open their own window: the single-instance socket "
                    "%s is not available.", name)
        return None
    server.files_received.connect(lambda paths: open_forwarded(window, paths))
    return server


def open_forwarded(window: "MainWindow", paths: list[str]) -> None:
    """Files from a later launch: opened here, and this window raised to the user."""
    window.open_models(paths)
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()
