"""Render the main window with the sample model and a finished run to docs/screenshot.png.

    python docs/make_screenshot.py            # needs a display (or Xvfb: DISPLAY=:99)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from ifcscript_desktop.ui.app import build_main_window, sample_model

OUT = Path(__file__).parent / "screenshot.png"


def wait(signal, timeout_ms: int = 120_000) -> None:  # type: ignore[no-untyped-def]
    loop = QEventLoop()
    signal.connect(lambda *args: loop.quit())
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def main() -> int:
    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as data:
        # A first start's layout, whatever windows this machine has saved before.
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, data)
        window = build_main_window(data, [])
        window.resize(1500, 950)
        window.show()
        window.open_models([str(sample_model())])
        wait(window.models.model_opened)
        window.library.select_script("LOD Analyzer")
        window.scripts.load("LOD Analyzer")
        window.run_script()
        wait(window.runs.run_finished)
        for depth in range(4):  # project > site > building > storeys, each level fetched lazily
            window.tree.tree.expandToDepth(depth)
            wait(window.tree.model.children_loaded, 5_000)
        loop = QEventLoop()
        QTimer.singleShot(1500, loop.quit)  # let the panes paint (this is a picture, not a test)
        loop.exec()
        window.grab().save(str(OUT))
        window.close()
        window.store.close()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
