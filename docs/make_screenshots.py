"""Screenshots of the window and each pane, per model and screen size, into docs/screenshots/.

    xvfb-run -a -s "+extension GLX -screen 0 1920x1080x24" \\
        env QT_QPA_PLATFORM=xcb python docs/make_screenshots.py [MODEL.ifc ...]

Without models: the duplex (../shared/ifc), the FZK house (tests/fixtures) and the bench's 100k model (made by
`python bench/synthetic.py 100k` when missing). Each model is opened in a fresh window at 1366x768
and at 1920x1080 (a first start's layout), searched by a name, a run of a check made, and the
window and each pane grabbed to `<model>-<width>-<pane>.png`. These are pictures for people to
look at, not tests: the waits are generous and nothing is asserted.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

from ifcscript_desktop.ui.app import build_main_window

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).parent / "screenshots"
SIZES = [(1366, 768), (1920, 1080)]
#: What to search for in each model, and which script to run on it.
PLAN = {"duplex": ("Door", "GUID Validation Check"),
        "AC20-FZK-Haus": ("Wand", "LOD Analyzer"),
        "synthetic-100k-v2": ("Wall 03-0004", "Model Summary")}


def pause(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], Any], timeout_s: float = 300) -> bool:
    end = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < end:
        pause(50)
    return bool(condition())


def default_models() -> list[Path]:
    # duplex.ifc is not among the test fixtures: it is read from the team's shared models.
    models = [ROOT.parent / "shared/ifc/duplex.ifc", ROOT / "tests/fixtures/AC20-FZK-Haus.ifc"]
    big = ROOT / "bench/models/synthetic-100k-v2.ifc"
    if big.exists():
        models.append(big)
    else:
        print(f"{big} is missing: python bench/synthetic.py 100k makes it", file=sys.stderr)
    return [m for m in models if m.exists()]


def grab(widget: QWidget, name: str) -> None:
    if widget.isVisible() and widget.width() > 10 and widget.height() > 10:
        widget.grab().save(str(OUT / f"{name}.png"))


def shoot(model: Path, width: int, height: int) -> None:
    stem = model.stem
    search, script = PLAN.get(stem, ("", "Model Summary"))
    tag = f"{re.sub(r'[^A-Za-z0-9]+', '-', stem)}-{width}"
    with tempfile.TemporaryDirectory() as data:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, data)
        window = build_main_window(data, [])
        window.resize(width, height)
        window.show()
        window.open_models([str(model)])
        wait_until(lambda: window.models.active is not None and window.models.active.info, 600)
        wait_until(lambda: window.view3d.current is not None
                   and window.view3d.current.summary is not None, 600)
        window.library.select_script(script)
        window.scripts.load(script)
        window.run_script()
        wait_until(lambda: window.action_run.isEnabled(), 600)
        if search:
            window.tree.filter_box.setText(search)
            wait_until(lambda: window.tree.results_model.rowCount() > 0, 30)
            # The first match picked: its properties (with units) show below the list.
            first = window.tree.results_model.index(0, 0)
            window.tree.results.setCurrentIndex(first)
            pause(2000)
        pause(1500)
        grab(window, f"{tag}-window")
        for dock in window.findChildren(QDockWidget):
            grab(dock, f"{tag}-{dock.objectName().lower()}")
        for index in range(window.bottom.count()):
            window.bottom.setCurrentIndex(index)
            if window.bottom.widget(index) is window.history:
                window.history.table.selectRow(0)  # the run just made, as it was
            pause(800)
            grab(window.bottom, f"{tag}-{window.bottom.tabText(index).lower()}")
        window.close()
        window.store.close()
    print(f"{tag}: done", flush=True)


def main() -> int:
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)  # as app.start
    app = QApplication(sys.argv[:1])
    OUT.mkdir(exist_ok=True)
    models = [Path(m) for m in sys.argv[1:]] or default_models()
    for model in models:
        for width, height in SIZES:
            shoot(model, width, height)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
