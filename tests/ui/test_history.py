"""The History pane on a real store: listing, filters, lazy pages, detail, live updates."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6 import QtGui
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFontMetrics

from ifcscript_desktop.core import colors, runs
from ifcscript_desktop.core.runs import create_execution, finish_execution, mark_running
from ifcscript_desktop.core.store import ScriptExecution, Setting, Store, open_store, utcnow
from ifcscript_desktop.ui.app import build_main_window
from ifcscript_desktop.ui.history import HistoryModel, HistoryPane
from ifcscript_desktop.ui.history.detail import ERROR, FILES as FILES_TAB
from ifcscript_desktop.ui.history.model import FILES, MODEL, SCRIPT, STATUS, VERDICT

CODE = 'print("hello from the script")\nresult = {"walls": 3}\n'


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    with open_store(data_dir) as opened:
        yield opened


def record(store: Store, status: str = "success", script: str = "Count Walls",
           model: str = "/models/house.ifc", **finish: Any) -> ScriptExecution:
    """A run recorded the way the engine records one."""
    run = create_execution(store, script=None, script_name=script, script_path=None, code=CODE,
                           model_path=model, parameters={"query": "IfcWall"}, source="cli")
    mark_running(run, model_schema="IFC4")
    finish_execution(run, status=status, duration_s=1.5, **finish)
    return run


def column(model: HistoryModel, col: int) -> list[str]:
    return [model.index(r, col).data() for r in range(model.rowCount())]


def make_pane(qtbot: Any, store: Store) -> HistoryPane:
    pane = HistoryPane(store)
    qtbot.addWidget(pane)
    pane.resize(900, 700)
    return pane


def test_lists_runs_newest_first_with_status(qtbot: Any, store: Store) -> None:
    first = record(store, "success", script="First")
    second = record(store, "error", script="Second", error="ValueError: no walls")
    third = record(store, "timeout", script="Third")
    pane = make_pane(qtbot, store)
    model = pane.model
    assert [model.row(r).id for r in range(model.rowCount())] == [third.id, second.id, first.id]
    assert column(model, SCRIPT) == ["Third", "Second", "First"]
    assert column(model, STATUS) == ["timeout", "error", "success"]
    assert column(model, MODEL) == ["house.ifc"] * 3
    assert model.index(0, MODEL).data(Qt.ItemDataRole.ToolTipRole) == "/models/house.ifc"
    assert "no walls" in model.index(1, STATUS).data(Qt.ItemDataRole.ToolTipRole)
    colors = {model.index(r, STATUS).data(Qt.ItemDataRole.ForegroundRole).color().name()
              for r in range(3)}
    assert len(colors) == 3  # each status has its own colour


def test_filtering_by_status_narrows_the_list(qtbot: Any, store: Store) -> None:
    for status in ("success", "error", "success", "cancelled", "error"):
        record(store, status)
    pane = make_pane(qtbot, store)
    assert pane.model.rowCount() == 5
    pane.status_filter.setCurrentIndex(pane.status_filter.findData("error"))
    pane.status_filter.activated.emit(pane.status_filter.currentIndex())
    assert column(pane.model, STATUS) == ["error", "error"]
    pane.set_filters(status=None)
    assert pane.model.rowCount() == 5


def test_filtering_by_script_and_model(qtbot: Any, store: Store) -> None:
    record(store, script="A", model="/models/one.ifc")
    record(store, script="B", model="/models/two.ifc")
    record(store, script="A", model="/models/two.ifc")
    pane = make_pane(qtbot, store)
    pane.set_filters(script="A")
    assert column(pane.model, SCRIPT) == ["A", "A"]
    pane.set_filters(script="A", model="/models/two.ifc")
    assert pane.model.rowCount() == 1
    # The filter boxes offer the scripts and models seen in the history.
    assert pane.script_filter.findText("B") >= 0
    assert pane.model_filter.findData("/models/one.ifc") >= 0


def test_a_thousand_runs_load_a_page_at_a_time(qtbot: Any, store: Store) -> None:
    with store.db.atomic():
        for i in range(1000):
            record(store, script=f"Script {i}")
    model = HistoryModel(store)
    model.page_size = 200
    model.reload()
    assert model.rowCount() == 200
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 400
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 1000
    ids = [model.row(r).id for r in range(1000)]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 1000


def test_the_detail_shows_code_output_and_error(qtbot: Any, store: Store, tmp_path: Path) -> None:
    saved = tmp_path / "walls.csv"
    saved.write_text("a,b\n1,2\n")
    run = record(store, "error", output="hello from the script\n",
                 error="ZeroDivisionError: division by zero",
                 traceback='Traceback (most recent call last):\n  File "<script>", line 2\n'
                           "ZeroDivisionError: division by zero",
                 outputs=[saved], result={"walls": 3})
    pane = make_pane(qtbot, store)
    pane.select_run(run.id)
    detail = pane.detail
    assert detail.execution_id == run.id
    assert detail.code.toPlainText() == CODE
    metrics = QFontMetrics(detail.code.font())  # the code is shown in monospace: i as wide as W
    assert metrics.horizontalAdvance("iiii") == metrics.horizontalAdvance("WWWW")
    assert "hello from the script" in detail.output.toPlainText()
    assert detail.error.text() == "ZeroDivisionError: division by zero"
    assert 'line 2' in detail.traceback.toPlainText()
    tree = detail.result.result_tree  # the result as a tree of keys, as a live run shows it
    assert tree is not None and tree.topLevelItem(0).child(0).text(0) == "walls"
    assert tree.topLevelItem(0).child(0).text(1) == "3"
    assert detail.files.paths() == [str(saved)]
    parameter = detail.parameters.topLevelItem(0)
    assert parameter is not None and parameter.text(0) == "query"
    assert detail.tabs.currentIndex() == ERROR  # a failed run opens on its error
    assert "Count Walls" in detail.title.text() and "house.ifc" in detail.title.text()


def test_a_run_whose_process_died_shows_as_interrupted(qtbot: Any, store: Store,
                                                       data_dir: Path) -> None:
    pane = make_pane(qtbot, store)
    # While the pane is open, a process records a run, starts it and dies.
    child = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from ifcscript_desktop.core.runs import create_execution, mark_running
        from ifcscript_desktop.core.store import open_store
        store = open_store(Path({str(data_dir)!r}))
        run = create_execution(store, script=None, script_name="Crashes", script_path=None,
                               code="while True: pass", model_path="/m/house.ifc",
                               parameters={{}}, source="cli")
        mark_running(run)
        os._exit(9)
    """)
    subprocess.run([sys.executable, "-c", child], check=False, timeout=60)
    model = pane.model
    qtbot.waitUntil(lambda: model.index(0, STATUS).data() == "interrupted", timeout=5000)
    assert model.index(0, STATUS).data(Qt.ItemDataRole.FontRole).italic()
    assert "stopped before this run finished" in model.index(0, STATUS).data(
        Qt.ItemDataRole.ToolTipRole)
    pane.select_run(model.row(0).id)
    assert "interrupted" in pane.detail.title.text()
    assert "stopped before this run finished" in pane.detail.title.text()


def test_a_run_added_by_another_connection_appears(qtbot: Any, store: Store,
                                                   data_dir: Path) -> None:
    record(store, script="Before")
    pane = make_pane(qtbot, store)
    assert pane.model.rowCount() == 1
    with open_store(data_dir) as other:  # as `ifcscript run` would, in its own connection
        added = record(other, script="From the command line")
    store.activate()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=5000)
    assert pane.model.row(0).id == added.id
    assert pane.model.index(0, SCRIPT).data() == "From the command line"


def test_a_filtered_list_follows_the_store_and_keeps_the_selection(
        qtbot: Any, store: Store, data_dir: Path) -> None:
    kept = record(store, "error", script="Old failure")
    record(store, "success")
    pane = make_pane(qtbot, store)
    pane.set_filters(status="error")
    assert pane.select_run(kept.id)
    with open_store(data_dir) as other:
        record(other, "success", script="Passes")
        new_failure = record(other, "error", script="New failure")
    store.activate()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=5000)
    assert [pane.model.row(r).id for r in range(2)] == [new_failure.id, kept.id]
    assert pane.selected_run() == kept.id and pane.detail.execution_id == kept.id


def test_a_run_of_the_command_line_appears_while_the_pane_is_open(
        qtbot: Any, store: Store, data_dir: Path, house: Path, tmp_path: Path) -> None:
    pane = make_pane(qtbot, store)
    assert pane.model.rowCount() == 0
    script = tmp_path / "count_walls.py"
    script.write_text('print(len(model.by_type("IfcWall")), "walls")\n')
    command = subprocess.Popen(
        [sys.executable, "-m", "ifcscript_desktop", "run", str(script), str(house),
         "--data-dir", str(data_dir)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        qtbot.waitUntil(lambda: pane.model.index(0, STATUS).data() == "success", timeout=60000)
    finally:
        assert command.wait(timeout=60) == 0, command.stderr.read() if command.stderr else ""
    assert pane.model.index(0, MODEL).data() == house.name
    assert pane.model.index(0, SCRIPT).data(Qt.ItemDataRole.ToolTipRole) == str(script)
    assert pane.model.row(0).source == "cli"


def test_a_running_run_is_updated_when_it_finishes(qtbot: Any, store: Store,
                                                   data_dir: Path) -> None:
    other = open_store(data_dir)
    try:
        run = create_execution(other, script=None, script_name="Slow", script_path=None,
                               code=CODE, model_path="/m/a.ifc", parameters={}, source="cli")
        mark_running(run)
        store.activate()
        pane = make_pane(qtbot, store)
        pane.select_run(run.id)
        assert pane.model.index(0, STATUS).data() == "running"
        other.activate()
        finish_execution(run, status="success", output="done\n")
        store.activate()
        qtbot.waitUntil(lambda: pane.model.index(0, STATUS).data() == "success", timeout=5000)
        assert pane.detail.status == "success"
        assert pane.detail.output.toPlainText().startswith("done")
    finally:
        other.close()
        store.activate()


def test_rerun_and_open_code_emit_the_id(qtbot: Any, store: Store) -> None:
    run = record(store)
    pane = make_pane(qtbot, store)
    pane.select_run(run.id)
    with qtbot.waitSignal(pane.rerun_requested, timeout=1000) as rerun:
        qtbot.mouseClick(pane.detail.rerun_button, Qt.MouseButton.LeftButton)
    assert rerun.args == [run.id]
    with qtbot.waitSignal(pane.open_code_requested, timeout=1000) as opened:
        qtbot.mouseClick(pane.detail.open_code_button, Qt.MouseButton.LeftButton)
    assert opened.args == [run.id]


def test_the_detail_says_what_the_run_coloured_and_can_colour_again(qtbot: Any, store: Store) -> None:
    rating = colors.color_record({11: "EI60", 12: "EI30", 13: "EI60"}, 2, "Fire rating")
    area = colors.color_record({11: 2.5, 12: 4.0}, 0, "Area")
    coloured = record(store, colors=[rating, area])
    plain = record(store)
    pane = make_pane(qtbot, store)
    pane.select_run(coloured.id)
    detail = pane.detail
    assert "Coloured by: Fire rating (3 values, 2 not found)" in detail.title.text()
    assert "Coloured by: Area (2 values)" in detail.title.text()
    assert detail.colors_button.isVisibleTo(detail)
    with qtbot.waitSignal(pane.show_colors_requested, timeout=1000) as shown:
        qtbot.mouseClick(detail.colors_button, Qt.MouseButton.LeftButton)
    assert shown.args == [[rating, area]]
    pane.select_run(plain.id)
    assert "Coloured by" not in detail.title.text()
    assert not detail.colors_button.isVisibleTo(detail)


def files_of(pane: HistoryPane, run_id: int) -> str:
    return pane.model.index(pane.model.row_of(run_id), FILES).data()


def test_keep_from_the_detail_and_the_context_menu(qtbot: Any, store: Store) -> None:
    run, other = record(store), record(store)
    pane = make_pane(qtbot, store)
    pane.select_run(run.id)
    assert files_of(pane, run.id) == "" and not pane.detail.keep_button.isChecked()
    qtbot.mouseClick(pane.detail.keep_button, Qt.MouseButton.LeftButton)
    assert runs.get_execution(store, run.id).kept
    assert files_of(pane, run.id) == "kept" and pane.detail.keep_button.isChecked()
    assert pane.detail.keep_button.text() == "Kept" and "never removed" in pane.detail.title.text()
    qtbot.mouseClick(pane.detail.keep_button, Qt.MouseButton.LeftButton)
    assert not runs.get_execution(store, run.id).kept and files_of(pane, run.id) == ""

    menu = pane.context_menu(other.id)
    [keep] = [a for a in menu.actions() if a.text() == "Keep output files"]
    assert not keep.isChecked()
    keep.trigger()
    assert runs.get_execution(store, other.id).kept and files_of(pane, other.id) == "kept"
    assert [a for a in pane.context_menu(other.id).actions() if a.isCheckable()][0].isChecked()


def saved_a_file(store: Store, script: str) -> ScriptExecution:
    run = create_execution(store, script=None, script_name=script, script_path=None, code=CODE,
                           model_path="/models/house.ifc", parameters={}, source="gui")
    saved = Path(run.output_dir) / "walls.csv"
    saved.write_text("GlobalId\n")
    finish_execution(run, status="success", outputs=[saved])
    return run


def test_the_window_prunes_old_runs_off_the_gui_thread_and_history_says_so(
        qtbot: Any, data_dir: Path) -> None:
    with open_store(data_dir) as store:
        old, kept, recent = (saved_a_file(store, name) for name in ("Old", "Kept", "Recent"))
        runs.set_kept(store, kept.id)
        ScriptExecution.update(finished_at=utcnow() - timedelta(days=45)).where(
            ScriptExecution.id.in_([old.id, kept.id])).execute()
        Setting.replace(key=runs.LAST_PRUNED_KEY,
                        value=(utcnow() - timedelta(days=3)).isoformat()).execute()
    window = build_main_window(str(data_dir), [])
    qtbot.addWidget(window)
    try:
        pane = window.history
        pane.select_run(old.id)
        qtbot.waitUntil(lambda: files_of(pane, old.id) == "removed", timeout=20_000)
        assert not Path(old.output_dir).exists()
        assert (Path(kept.output_dir) / "walls.csv").is_file() and files_of(pane, kept.id) == "kept"
        assert (Path(recent.output_dir) / "walls.csv").is_file() and files_of(pane, recent.id) == ""
        assert "Output files removed after 45 days" in pane.detail.title.text()
        assert pane.detail.tabs.tabText(FILES_TAB) == "Files (1 removed)"
        assert runs.last_pruned(window.store) > utcnow() - timedelta(minutes=5)
    finally:
        window.close()
        window.store.close()


# -- the check's verdict beside the run's status ------------------------------------------------


def test_the_verdict_column_shows_what_each_check_found_in_its_colour(qtbot: Any,
                                                                      store: Store) -> None:
    record(store, result={"status": "FAIL", "failed": 13, "passed": 40}, script="IDS Check")
    record(store, result={"status": "warn", "below_target": 4}, script="LOD Analyzer")
    record(store, result={"status": "PASS", "checked": 300}, script="GUID Validation Check")
    record(store, result={"status": "hacked", "failed": 1}, script="Mine")
    pane = make_pane(qtbot, store)
    model = pane.model
    assert column(model, STATUS) == ["success"] * 4
    assert column(model, VERDICT) == ["", "PASS: 300 checked", "WARN: 4 below target",
                                      "FAIL: 13 failed"]
    shades = [model.index(r, VERDICT).data(Qt.ItemDataRole.ForegroundRole) for r in range(4)]
    assert shades[0] is None
    assert [s.color().name() for s in shades[1:]] == ["#2e7d32", "#e07b00", "#d0312d"]
    assert "Status column says whether the script itself ran" in model.index(3, VERDICT).data(
        Qt.ItemDataRole.ToolTipRole)


def test_filtering_by_verdict_narrows_the_list_and_follows_new_runs(
        qtbot: Any, store: Store, data_dir: Path) -> None:
    failed = record(store, result={"status": "FAIL", "failed": 2})
    record(store, result={"status": "PASS"})
    plain = record(store, result={"walls": 3})
    pane = make_pane(qtbot, store)
    assert [pane.verdict_filter.itemText(i) for i in range(pane.verdict_filter.count())] == [
        "All verdicts", "PASS", "FAIL", "WARN", "none"]
    pane.verdict_filter.setCurrentIndex(pane.verdict_filter.findText("FAIL"))
    pane.verdict_filter.activated.emit(pane.verdict_filter.currentIndex())
    assert [pane.model.row(r).id for r in range(pane.model.rowCount())] == [failed.id]
    pane.verdict_filter.setCurrentIndex(pane.verdict_filter.findText("none"))
    pane.verdict_filter.activated.emit(pane.verdict_filter.currentIndex())
    assert [pane.model.row(r).id for r in range(pane.model.rowCount())] == [plain.id]
    pane.set_filters(verdict="FAIL")
    with open_store(data_dir) as other:  # a failing check recorded by the command line
        later = record(other, result={"status": "fail", "failed": 5})
        record(other, result={"status": "PASS"})
    store.activate()
    qtbot.waitUntil(lambda: pane.model.rowCount() == 2, timeout=5000)
    assert [pane.model.row(r).id for r in range(2)] == [later.id, failed.id]
    assert pane.verdict_filter.currentText() == "FAIL"
    pane.set_filters()
    assert pane.model.rowCount() == 5


def test_a_failed_ids_check_in_the_window_is_a_success_with_verdict_fail(
        qtbot: Any, data_dir: Path, house: Path, tmp_path: Path) -> None:
    from ifctester import facet

    from tests.test_builtin_ids_check import _spec, _write
    from tests.ui.test_app import RUN_TIMEOUT, open_house

    ids_file = _write(tmp_path / "fire rating.ids", _spec(
        "Walls have a fire rating", "IFCWALLSTANDARDCASE",
        facet.Property(propertySet="Pset_WallCommon", baseName="FireRating",
                       cardinality="required")))
    window = build_main_window(str(data_dir), [])
    qtbot.addWidget(window)
    window.show()
    try:
        open_house(qtbot, window, house)
        window.library.select_script("IDS Check")
        window.scripts.load("IDS Check")
        window.params.set_parameters(window.params.meta, {"ids": str(ids_file)})
        with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
            window.run_script()
        reply = finished.args[0]
        walls = reply.result["failed"]
        assert walls == 13  # no wall of the FZK house has a fire rating
        assert (reply.status, reply.verdict, reply.verdict_detail) == ("success", "FAIL",
                                                                         "13 failed")
        message = window.statusBar().currentMessage()
        assert message.startswith(f"Run #{reply.execution_id} success · FAIL: 13 failed in ")
        history = window.history.model
        qtbot.waitUntil(lambda: history.row_of(reply.execution_id) is not None, timeout=10_000)
        row = history.row_of(reply.execution_id)
        assert history.index(row, STATUS).data() == "success"
        assert history.index(row, VERDICT).data() == "FAIL: 13 failed"
        assert history.index(row, VERDICT).data(
            Qt.ItemDataRole.ForegroundRole).color().name() == "#d0312d"
    finally:
        window.close()
        window.store.close()


def test_a_scripts_error_and_parameters_that_look_like_html_show_literally(
        qtbot: Any, store: Store) -> None:
    run = create_execution(store, script=None, script_name="<b>Check</b>", script_path=None,
                           code=CODE, model_path="/m/house.ifc", parameters={"name": "<b>Wand</b>"},
                           source="cli")
    mark_running(run, model_schema="IFC4")
    finish_execution(run, status="error", duration_s=1.0,
                     error='ValueError: <img src="/home/u/x.png"> <b>bad</b>')
    pane = make_pane(qtbot, store)
    pane.select_run(run.id)
    detail = pane.detail
    assert detail.error.textFormat() == Qt.TextFormat.PlainText  # not drawn bold, no image read
    assert detail.error.text() == 'ValueError: <img src="/home/u/x.png"> <b>bad</b>'
    parameter = detail.parameters.topLevelItem(0)
    assert parameter.text(1) == "<b>Wand</b>"
    assert "&lt;b&gt;Wand&lt;/b&gt;" in parameter.toolTip(1)
    # The run list: the script's name in its tooltip, and the error under its status.
    row = pane.model.row_of(run.id)
    assert "&lt;b&gt;Check&lt;/b&gt;" in pane.model.index(row, SCRIPT).data(
        Qt.ItemDataRole.ToolTipRole)
    status_tip = pane.model.index(row, STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert 'ValueError: <img src="/home/u/x.png">' in status_tip  # whole, and Qt shows it as
    assert not QtGui.Qt.mightBeRichText(status_tip)  # text: its first line is our help, not a tag


def test_a_status_has_the_same_colour_in_history_and_above_the_results(
        qtbot: Any, store: Store) -> None:
    from ifcscript_desktop.core.protocol import run_reply
    from ifcscript_desktop.core.reply import RunReply
    from ifcscript_desktop.ui.results.header import RunHeader

    record(store, "interrupted")
    pane = make_pane(qtbot, store)
    assert pane.count_label.text() == "1 run"  # not "1 runs"
    history = pane.model.index(0, STATUS).data(Qt.ItemDataRole.ForegroundRole).color().name()
    header = RunHeader()
    qtbot.addWidget(header)
    header.show_reply(RunReply.from_message(run_reply(1, "interrupted", None, duration_s=1.5), ""))
    assert "interrupted" in header.text()
    assert f"color:{history}".lower() in header.label.text().lower()  # purple in both


def test_in_a_narrow_pane_status_and_verdict_are_in_view(qtbot: Any, store: Store) -> None:
    """The bottom tab of a 1366 px window is ~480 px wide: what a run ended as comes before
    the model's path and the duration."""
    record(store, "success")
    pane = make_pane(qtbot, store)
    pane.resize(520, 400)
    pane.show()
    qtbot.waitExposed(pane)
    header = pane.table.horizontalHeader()
    width = pane.table.viewport().width()
    assert header.sectionViewportPosition(STATUS) + header.sectionSize(STATUS) <= width
    assert header.sectionViewportPosition(VERDICT) < width - 40
