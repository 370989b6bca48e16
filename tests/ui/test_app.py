"""The main window as a user drives it: real store, real worker processes, real models."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from ifcscript_desktop.core import library
from ifcscript_desktop.core.runs import list_executions
from ifcscript_desktop.ui.app import build_main_window, sample_model
from ifcscript_desktop.ui.main_window import MainWindow

OPEN_TIMEOUT = 120_000
RUN_TIMEOUT = 120_000


@pytest.fixture
def window(qtbot, data_dir: Path) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = build_main_window(str(data_dir), [])
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    win.store.close()


def drop(window: MainWindow, paths: list[Path]) -> None:
    """What a file manager's drag and drop delivers."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def open_house(qtbot, window: MainWindow, house: Path) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.models.model_opened, timeout=OPEN_TIMEOUT):
        drop(window, [house])
    qtbot.waitUntil(lambda: window.tree.model.rowCount() > 0, timeout=30_000)


def test_the_demo_model_is_bundled_and_valid() -> None:
    path = sample_model()
    assert path.is_file() and path.read_bytes().startswith(b"ISO-10303-21;")


def test_drop_a_model_and_see_its_tree(qtbot, window: MainWindow, house: Path) -> None:  # type: ignore[no-untyped-def]
    open_house(qtbot, window, house)
    root = window.tree.model.index(0, 0)
    assert window.tree.model.data(root).startswith("Projekt") or "IfcProject" in str(
        window.tree.model.data(window.tree.model.index(0, 1)))
    assert "127 elements" in window.model_label.text() and "IFC4" in window.model_label.text()


def test_a_broken_file_and_a_folder_get_a_message(qtbot, window: MainWindow, illegal_file: Path,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path, house: Path) -> None:
    with qtbot.waitSignal(window.models.open_failed, timeout=OPEN_TIMEOUT):
        drop(window, [illegal_file])
    assert "syntax error" in window.last_problem
    drop(window, [tmp_path])
    assert "is a folder" in window.last_problem
    open_house(qtbot, window, house)  # and the app carries on


def test_run_a_builtin_see_rows_history_and_select_from_a_row(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                              house: Path) -> None:
    open_house(qtbot, window, house)
    window.library.select_script("Export Elements to CSV")
    window.scripts.load("Export Elements to CSV")
    window.params.set_parameters(window.params.meta, {"query": "IfcWall", "output": "walls.csv"})
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.run_script()
    reply = finished.args[0]
    assert reply.status == "success", reply
    assert reply.result["rows"] == 13
    runs = list_executions(window.store, limit=5)
    assert runs[0].id == reply.execution_id and runs[0].source == "gui"
    qtbot.waitUntil(lambda: window.history.model.rowCount() >= 1, timeout=10_000)
    # Clicking a result row that carries a GlobalId selects that element in the tree.
    guid = reply.tables[0].rows()[0]["GlobalId"]
    with qtbot.waitSignal(window.tree.elements_revealed, timeout=30_000) as revealed:
        window.results.elements_activated.emit([guid])
    assert len(revealed.args[0]) == 1


def test_stop_an_infinite_loop(qtbot, window: MainWindow, house: Path) -> None:  # type: ignore[no-untyped-def]
    open_house(qtbot, window, house)
    window.scripts.show_code("print('looping', flush=True)\nwhile True:\n    pass\n", "Loop")
    with qtbot.waitSignal(window.runs.output_arrived, timeout=RUN_TIMEOUT):
        window.run_script()
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.action_stop.trigger()
    assert finished.args[0].status == "cancelled"
    assert window.action_run.isEnabled()


def test_edit_save_revision_and_draft_survives_a_restart(qtbot, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    first = build_main_window(str(data_dir), [])
    qtbot.addWidget(first)
    script, _ = library.save_script(first.store, "Mine", "# /// ifcscript\n# name = \"Mine\"\n# ///\nresult = 1\n")
    first.scripts.load("Mine")
    first.editor.set_draft(first.editor.text(), first.editor.text() + "result = 2\n")
    first.scripts.save()
    assert len(library.list_revisions(library.require_script(first.store, "Mine"))) == 2
    assert "revision 2" in first.statusBar().currentMessage()
    first.editor.set_draft(first.editor.text(), first.editor.text() + "result = 3  # not saved\n")
    first.scripts.flush_draft()  # the autosave; then the app crashes (nothing else runs)
    second = build_main_window(str(data_dir), [])
    qtbot.addWidget(second)
    second.scripts.load("Mine")
    assert "result = 3  # not saved" in second.editor.text()
    assert second.editor.is_modified()
    assert "Restored your unsaved changes" in second.statusBar().currentMessage()
    for window in (second, first):  # (closing over unsaved text would ask: test_menus.py)
        window.editor.set_saved()
        window.close()
        window.store.close()


def test_a_run_error_marks_the_line(qtbot, window: MainWindow, house: Path) -> None:  # type: ignore[no-untyped-def]
    open_house(qtbot, window, house)
    window.scripts.show_code("x = 1\ny = undefined_name\n", "Broken")
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.run_script()
    assert finished.args[0].status == "error"
    assert window.editor.error_line() == 2


def test_a_locked_history_refuses_the_run_with_a_sentence_and_the_next_run_goes(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, house: Path) -> None:
    open_house(qtbot, window, house)
    window.scripts.show_code("result = len(entities)\n", "Count")
    # Another program holds the write lock; the window's connection gives up at once.
    window.store.db.execute_sql("PRAGMA busy_timeout = 0")
    other = sqlite3.connect(window.store.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with qtbot.waitSignal(window.runs.run_refused) as refused:
            window.run_script()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert refused.args[0].startswith("The run could not start: The run could not be recorded: "
                                      "another program kept the database busy"), refused.args
    assert not window.runs.running
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.run_script()
    assert finished.args[0].status == "success" and finished.args[0].result == 127


def test_the_gui_process_never_imports_ifcopenshell(tmp_path: Path, house: Path) -> None:
    """The end-to-end proof of the import-linter contracts (pyproject.toml), which cannot see
    what Qt, pyqtgraph or a lazy import load at run time: open a model and run a script."""
    model = tmp_path / "house.ifc"
    shutil.copy(house, model)
    scenario = textwrap.dedent(f"""
        import os, sys
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtWidgets import QApplication
        from PySide6.QtCore import QEventLoop, QTimer
        app = QApplication([])
        from ifcscript_desktop.ui.app import build_main_window
        window = build_main_window({str(tmp_path / 'data')!r}, [{str(model)!r}])
        loop = QEventLoop()
        window.models.model_opened.connect(lambda m: loop.quit())
        QTimer.singleShot(120000, loop.quit)
        loop.exec()
        window.runs.run_finished.connect(lambda r: loop.quit())
        window.run_script()
        loop.exec()
        libraries = {"ifcopenshell", "ifctester", "ifccsv", "pandas"}
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in libraries)
        print("STATUS", window.runs.current is None and window.history.model.rowCount())
        print("MODEL LIBRARIES", loaded)
        window.close()
    """)
    done = subprocess.run([sys.executable, "-c", scenario], capture_output=True, text=True, timeout=300)
    assert "MODEL LIBRARIES []" in done.stdout, done.stdout + done.stderr


def test_rerun_a_past_run_from_history(qtbot, window: MainWindow, house: Path) -> None:  # type: ignore[no-untyped-def]
    open_house(qtbot, window, house)
    window.scripts.show_code("result = params.get('x', 'none')\n", "Again")
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as first:
        window.run_script()
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as again:
        window.history.rerun_requested.emit(first.args[0].execution_id)
    assert again.args[0].execution_id != first.args[0].execution_id
    assert again.args[0].result == first.args[0].result == "none"


def test_cancel_an_open_in_progress(qtbot, window: MainWindow, house: Path) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.models.open_failed, timeout=OPEN_TIMEOUT) as failed:
        window.open_models([str(house)])
        window.action_cancel_open.trigger()
    assert "cancelled" in failed.args[0]
    open_house(qtbot, window, house)


def test_the_editor_completes_the_open_models_classes(qtbot, window: MainWindow, house: Path) -> None:  # type: ignore[no-untyped-def]
    open_house(qtbot, window, house)
    qtbot.waitUntil(lambda: "IfcWorkCalendar" in window.editor.ifc_classes(), timeout=30_000)


def test_a_large_table_comes_from_its_file_sorted_and_counted(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                               house: Path) -> None:
    open_house(qtbot, window, house)
    code = ("rows = [{'GlobalId': e.ifc_guid, 'n': i} for i, e in enumerate(entities * 40)]\n"
            "show_table(rows, title='Every element forty times')\nresult = pd.DataFrame(rows)\n")
    window.scripts.show_code(code, "Big table")
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.run_script()
    reply = finished.args[0]
    assert reply.status == "success", reply
    assert reply.tables[0].file is not None  # the window got a file to page through, not 5080 rows
    result, view = window.results.tables
    assert result.title == "Result" and result.count_label.text() == "5,080 rows"
    assert view.count_label.text() == "5,080 rows"
    view.table.sortByColumn(view.model.columns.index("n"), Qt.SortOrder.DescendingOrder)
    assert view.model.index(0, view.model.columns.index("n")).data() == "5079"
    qtbot.waitUntil(lambda: window.history.select_run(reply.execution_id), timeout=10_000)
    # History pages both tables from their files, as the Result tab did.
    assert [t.count_label.text() for t in window.history.detail.result.tables] == ["5,080 rows"] * 2


def test_a_dropped_model_goes_to_the_worker_started_ahead_and_another_waits_for_the_next(
        qtbot, window: MainWindow, house: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The window (as `ifcscript` starts it) keeps a worker started before any model is
    chosen: a drop parses at once in it, and a new one is started for the next model once
    this one is open; closing the window ends both."""
    import os
    import select

    window.prepare_for_models()
    ahead = window.models.ahead
    assert ahead is not None
    qtbot.waitUntil(lambda: ahead.ready, timeout=60_000)
    first_pid = ahead.worker_pid
    open_house(qtbot, window, house)
    active = window.models.active
    assert active is not None and active.handle is ahead and ahead.worker_pid == first_pid
    qtbot.waitUntil(lambda: window.models.ahead is not None and window.models.ahead.ready,
                    timeout=60_000)
    second = window.models.ahead
    assert second is not None and second.worker_pid not in (None, first_pid)
    other = tmp_path / "copy.ifc"
    shutil.copy(house, other)
    with qtbot.waitSignal(window.models.model_opened, timeout=OPEN_TIMEOUT) as opened:
        drop(window, [other])
    assert opened.args[0].handle is second
    pids = [first_pid, second.worker_pid]
    ends = [os.pidfd_open(pid) for pid in pids if pid]  # readable once the process has ended
    try:
        window.close()
        qtbot.waitUntil(lambda: len(select.select(ends, [], [], 0)[0]) == len(ends),
                        timeout=60_000)
    finally:
        for fd in ends:
            os.close(fd)
