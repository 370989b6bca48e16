"""History shows a past run as it was: its tables as tables, its charts drawn, its files listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QTableView

from ifcscript_desktop.ui.history.detail import CHART, FILES, RESULT
from ifcscript_desktop.ui.main_window import MainWindow
from tests.ui.test_app import RUN_TIMEOUT, open_house, window  # noqa: F401 - a fixture


def test_a_past_runs_tables_chart_and_files_show_as_they_did(qtbot: Any, window: MainWindow,
                                                             house: Path) -> None:
    open_house(qtbot, window, house)
    window.scripts.load("Export Elements to CSV")
    window.params.set_parameters(window.params.meta, {"query": "IfcWall", "output": "walls.csv"})
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.run_script()
    reply = finished.args[0]
    assert reply.status == "success", reply
    live = [(t.title, t.model.total_rows) for t in window.results.tables]
    window.scripts.show_code("print('a later run')\n", "Later")  # the pane moves on
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT):
        window.run_script()
    assert window.results.tables == []

    qtbot.waitUntil(lambda: window.history.select_run(reply.execution_id), timeout=10_000)
    detail = window.history.detail
    assert detail.tabs.currentIndex() == RESULT and detail.tabs.tabText(RESULT).startswith("Result (")
    assert [(t.title, t.model.total_rows) for t in detail.result.tables] == live
    (view,) = [t for t in detail.result.tables if t.model.total_rows == 13]
    grid = view.findChild(QTableView)
    assert grid is not None and grid.model().rowCount() == 13  # rows, not JSON
    guids = {r["GlobalId"] for r in reply.tables[0].rows()}
    column = view.model.columns.index("GlobalId")
    assert {grid.model().index(r, column).data() for r in range(13)} == guids
    # The result, a summary of the table, is one line that opens the tree.
    assert detail.result.summary_button is not None
    assert detail.result.summary_button.full_text.startswith("Result: rows: 13 · columns: [")
    assert detail.tabs.tabText(FILES) == "Files (1)"
    assert [Path(p).name for p in detail.files.paths()] == ["walls.csv"]
    assert detail.tabs.tabText(CHART) == "Chart"
    assert "drew no chart" in detail.chart.placeholder.text()


def test_a_past_runs_chart_is_drawn_again(qtbot: Any, window: MainWindow, house: Path) -> None:
    import pyqtgraph as pg

    open_house(qtbot, window, house)
    window.scripts.show_code("show_chart('bar', ['Wall', 'Slab', 'Door'], [13, 4, 5], "
                             "title='Elements')\n", "Chart")
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.run_script()
    reply = finished.args[0]
    qtbot.waitUntil(lambda: window.history.select_run(reply.execution_id), timeout=10_000)
    detail = window.history.detail
    assert detail.tabs.tabText(CHART) == "Chart (1)"
    detail.tabs.setCurrentIndex(CHART)
    item = detail.chart.plot.getPlotItem()
    (bars,) = [i for i in item.items if isinstance(i, pg.BarGraphItem)]
    assert list(bars.opts["height"]) == [13, 4, 5] and item.titleLabel.text == "Elements"


def test_in_a_narrow_pane_the_runs_title_has_the_whole_width(qtbot: Any) -> None:
    """Beside its four buttons the title wrapped a word per line in a 1366 px window."""
    from ifcscript_desktop.ui.history.detail import RunDetail

    detail = RunDetail()
    qtbot.addWidget(detail)
    detail.resize(520, 400)
    detail.show()
    qtbot.waitExposed(detail)
    detail.show_run({"execution_id": 1, "script_name": "GUID Validation Check",
                     "model": "/m/duplex.ifc", "status": "success", "duration_s": 0.11,
                     "result": {"status": "PASS"}})
    assert detail.title.width() >= 0.9 * detail.width()
    assert detail.title.heightForWidth(detail.title.width()) <= 4 * detail.fontMetrics().height()
