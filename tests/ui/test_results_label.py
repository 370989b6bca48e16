"""Every result says what it belongs to: script, model, run and time; switching models follows."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ifcscript_desktop.ui.main_window import MainWindow
from tests.ui.test_app import OPEN_TIMEOUT, RUN_TIMEOUT, drop, window  # noqa: F401 - a fixture


def _open(qtbot: Any, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.models.model_opened, timeout=OPEN_TIMEOUT):
        drop(window, [path])


def _run(qtbot: Any, window: MainWindow) -> Any:
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.run_script()
    reply = finished.args[0]
    assert reply.status == "success", reply
    return reply


def _choose(window: MainWindow, path: Path) -> None:
    """What picking a model in the toolbar's model box does."""
    window.model_box.setCurrentIndex(window.model_box.findData(str(path)))


def test_switching_models_shows_each_models_own_results(qtbot: Any, window: MainWindow,
                                                        house: Path,
                                                        duplicated_guids: Path) -> None:
    _open(qtbot, window, house)
    _open(qtbot, window, duplicated_guids)
    assert window.models.active is not None and window.models.active.path == str(duplicated_guids)
    header = window.results.header
    assert header.text() == (f"No run on {duplicated_guids.name} yet: pick a script and press F5.")
    window.scripts.load("Model Summary")
    reply = _run(qtbot, window)
    said = header.text()
    assert said.startswith(f"Model Summary on {duplicated_guids.name} · run #{reply.execution_id} · ")
    assert "success" in said
    titles = [t.title for t in window.results.tables]
    assert len(titles) >= 2  # the summary's tables

    _choose(window, house)  # the other model: its own state, not the summary of the first
    assert header.text() == f"No run on {house.name} yet: pick a script and press F5."
    assert window.results.tables == [] and window.results.result_tree is None
    assert window.results.currentWidget() is window.results.output
    assert window.results.output.placeholderText() == header.text()
    # The status bar too: not "Opened <the other model>" from before.
    assert window.statusBar().currentMessage().startswith(f"{house.name} is the active model")

    _choose(window, duplicated_guids)  # back: the run is shown again, labelled as before
    assert header.text() == said
    assert [t.title for t in window.results.tables] == titles


def test_a_run_of_another_script_clears_the_previous_tables_first(qtbot: Any,
                                                                  window: MainWindow,
                                                                  duplicated_guids: Path) -> None:
    _open(qtbot, window, duplicated_guids)
    window.scripts.load("Model Summary")
    _run(qtbot, window)
    assert window.results.tables and window.results.chart.plot is not None
    window.scripts.show_code("print('only words')\n", "Plain")
    cleared: list[tuple[str, int, int, bool, str]] = []
    window.runs.run_started.connect(lambda _id: cleared.append((
        window.results.header.text(), len(window.results.tables),
        len(window.results.files.paths()),
        window.results.chart.stack.currentWidget() is window.results.chart.placeholder,
        window.results.chart.placeholder.text())))
    reply = _run(qtbot, window)
    ((said, tables, files, no_chart, chart_says),) = cleared
    assert chart_says == "Running… the charts it draws appear here when the run ends."
    assert said.startswith(f"Plain on {duplicated_guids.name} · run #{reply.execution_id}")
    assert said.endswith("running…")
    assert (tables, files, no_chart) == (0, 0, True)
    assert window.results.tables == []
    assert "only words" in window.results.output.toPlainText()
    assert window.results.header.text().startswith(f"Plain on {duplicated_guids.name}")


def test_a_checks_verdict_shows_as_a_badge_beside_the_runs_status(qtbot: Any) -> None:
    from tests.ui.test_results import _pane, _reply

    pane = _pane(qtbot)
    pane.show_reply(_reply(result={"status": "fail", "failed": 13}))
    assert pane.header.badge.isVisible() and pane.header.badge.text() == "FAIL: 13 failed"
    assert "success" in pane.header.text() and pane.header.text().endswith("FAIL: 13 failed")
    pane.show_reply(_reply(result={"status": "done"}))  # no verdict word: no badge
    assert not pane.header.badge.isVisible()


def test_a_closed_model_leaves_no_results_and_shows_its_last_run_when_opened_again(
        qtbot: Any, window: MainWindow, duplicated_guids: Path) -> None:
    _open(qtbot, window, duplicated_guids)
    window.scripts.show_code("show_table([{'a': 1}], title='One')\n", "One table")
    reply = _run(qtbot, window)
    assert [t.title for t in window.results.tables] == ["One"]
    window.close_active_model()
    assert window.results.header.text().startswith("No model open: drop an IFC file")
    assert window.results.tables == []
    # Opened again (tomorrow, say): its last run comes back from the history, labelled.
    _open(qtbot, window, duplicated_guids)
    assert window.results.header.text().startswith(
        f"One table on {duplicated_guids.name} · run #{reply.execution_id} · ")
    assert [t.title for t in window.results.tables] == ["One"]


def test_a_model_never_run_on_says_so_by_name(qtbot: Any, window: MainWindow,
                                              house: Path) -> None:
    _open(qtbot, window, house)
    assert window.results.header.text() == f"No run on {house.name} yet: pick a script and press F5."


def test_a_run_going_on_stays_in_view_named_by_its_model_when_another_is_chosen(
        qtbot: Any) -> None:
    from dataclasses import replace

    from tests.ui.test_results import _pane, _reply

    pane = _pane(qtbot)
    pane.show_model("/models/a.ifc")
    pane.start_run("Count walls", "/models/a.ifc", 7)
    pane.show_model("/models/b.ifc")  # chosen while the run goes: the run stays, labelled
    assert pane.header.text() == "Count walls on a.ifc · run #7 · running…"
    pane.show_reply(replace(_reply(result={"walls": 13}), model="/models/a.ifc",
                            script="Count walls", execution_id=7))
    assert pane.header.text() == ("Count walls on a.ifc · run #7 · success in 0.50 s · "
                                  "not the active model")
    pane.show_model("/models/b.ifc")
    assert pane.header.text() == "No run on b.ifc yet: pick a script and press F5."
    pane.show_model("/models/a.ifc")
    assert pane.header.text() == "Count walls on a.ifc · run #7 · success in 0.50 s"
    assert pane.result_tree is not None


def test_in_a_narrow_pane_the_header_wraps_so_the_status_stays_in_sight(qtbot: Any) -> None:
    from ifcscript_desktop.core.protocol import run_reply
    from ifcscript_desktop.core.reply import RunReply
    from ifcscript_desktop.ui.results.header import RunHeader

    header = RunHeader()
    qtbot.addWidget(header)
    reply = dataclasses.replace(
        RunReply.from_message(run_reply(12, "success", None, duration_s=0.04)),
        script="Export Elements to CSV", model="/models/a-long-file-name-from-revit.ifc")
    header.show_reply(reply)
    header.resize(320, header.heightForWidth(320) if header.hasHeightForWidth() else 60)
    header.show()
    line = header.label.fontMetrics().height()
    assert header.label.heightForWidth(300) >= 2 * line  # the line breaks rather than being cut
    assert header.minimumSizeHint().width() < 320  # and never widens the pane
    assert header.text().endswith("success in 0.04 s")
