"""The results area: output, result tables, charts and files a run produced."""

from __future__ import annotations

import csv
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel

from ifcscript_desktop.core import colors
from ifcscript_desktop.core.protocol import run_reply
from ifcscript_desktop.core.reply import RunReply
from ifcscript_desktop.ui.results import OutputPane, ResultsPane, TableModel, TableView
from ifcscript_desktop.ui.results.output import DROPPED_NOTE

STOREYS = ["Level 10", "Level 2", "Ground", "Roof"]


def _rows(count: int) -> list[dict[str, Any]]:
    return [{"GlobalId": f"0Guid{i:06d}", "name": f"Wall {i}", "storey": STOREYS[i % 4],
             "area": round((i * 7919) % 1000 / 10, 1), "FireRating": "EI90" if i % 5 == 0 else None}
            for i in range(count)]


def _reply(output: str = "", output_dir: str | None = None, **fields: Any) -> RunReply:
    """A reply as the worker's final message gives it (`core.protocol.run_reply`)."""
    status = fields.pop("status", "success")
    message = run_reply(1, status, fields.pop("error", None), duration_s=fields.pop("duration_s", 0.5),
                        **fields)
    return replace(RunReply.from_message(message, output), output_dir=output_dir)


def _pane(qtbot: Any) -> ResultsPane:
    pane = ResultsPane()
    qtbot.addWidget(pane)
    pane.resize(1000, 700)
    pane.show()
    return pane


def _view(rows: list[dict[str, Any]], qtbot: Any, columns: list[str] | None = None) -> TableView:
    view = TableView(rows, columns, "Walls")
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    return view


def _column(view: TableView, name: str) -> list[str]:
    model, column = view.model, view.model.columns.index(name)
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_a_100k_row_table_appears_fast_and_loads_one_page(qtbot: Any) -> None:
    rows = _rows(100_000)
    pane = _pane(qtbot)
    pane.start_run()
    started = time.perf_counter()
    pane.show_reply(_reply(tables=[{"title": "Walls", "columns": list(rows[0]), "rows": rows}]))
    QApplication.processEvents()  # the table is laid out and painted
    elapsed = time.perf_counter() - started
    print(f"\n100k-row table shown in {elapsed * 1000:.0f} ms")
    assert elapsed < 3.0
    assert pane.currentWidget() is pane.result_page
    (view,) = pane.tables
    assert view.isVisible() and view.count_label.text() == "100,000 rows"
    assert view.model.total_rows == 100_000
    assert view.model.rowCount() == TableModel.PAGE_SIZE  # only a page is materialised
    view.table.scrollToBottom()  # scrolling to the end loads the next page
    qtbot.waitUntil(lambda: view.model.rowCount() == 2 * TableModel.PAGE_SIZE)


def test_sorting_orders_numbers_numerically_and_text_naturally(qtbot: Any) -> None:
    rows = [{"name": n, "value": v} for n, v in
            [("a", 10), ("b", 9), ("c", None), ("d", 100), ("e", 2.5), ("f", "3")]]
    view = _view(rows, qtbot)
    view.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    assert _column(view, "value") == ["2.5", "3", "9", "10", "100", ""]
    view.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert _column(view, "value") == ["100", "10", "9", "3", "2.5", ""]  # empty stays last
    storeys = _view([{"storey": s} for s in STOREYS], qtbot)
    storeys.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert _column(storeys, "storey") == ["Ground", "Level 2", "Level 10", "Roof"]


def test_sorting_reaches_rows_beyond_the_loaded_page(qtbot: Any) -> None:
    view = _view(_rows(5000), qtbot)
    view.table.sortByColumn(view.model.columns.index("name"), Qt.SortOrder.DescendingOrder)
    assert _column(view, "name")[0] == "Wall 4999"


def test_the_filter_box_narrows_the_rows_and_says_how_many(qtbot: Any) -> None:
    view = _view(_rows(5000), qtbot)
    qtbot.keyClicks(view.filter_edit, "ei90")
    qtbot.waitUntil(lambda: view.model.shown_rows == 1000)
    assert view.count_label.text() == "1,000 of 5,000 rows"
    assert set(_column(view, "FireRating")) == {"EI90"}
    view.filter_edit.clear()
    qtbot.waitUntil(lambda: view.model.shown_rows == 5000)
    assert view.count_label.text() == "5,000 rows"


def test_selecting_rows_emits_their_globalids(qtbot: Any) -> None:
    rows = _rows(10)
    pane = _pane(qtbot)
    pane.show_reply(_reply(tables=[{"title": "Walls", "columns": list(rows[0]), "rows": rows}]))
    table = pane.tables[0].table
    viewport = table.viewport()
    with qtbot.waitSignal(pane.elements_activated) as first:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton,
                         pos=table.visualRect(table.model().index(1, 2)).center())
    assert first.args == [["0Guid000001"]]
    with qtbot.waitSignal(pane.elements_activated) as both:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                         table.visualRect(table.model().index(4, 0)).center())
    assert both.args == [["0Guid000001", "0Guid000004"]]


def test_a_result_list_with_step_ids_links_rows_to_elements(qtbot: Any) -> None:
    pane = _pane(qtbot)
    pane.show_reply(_reply(result=[{"ID": 12, "name": "a"}, {"ID": "#40", "name": "b"}]))
    (view,) = pane.tables
    with qtbot.waitSignal(pane.elements_activated) as blocker:
        view.table.selectAll()
    assert blocker.args == [[12, 40]]


def test_rows_without_an_element_column_emit_no_elements(qtbot: Any) -> None:
    view = _view([{"storey": "Ground", "count": 3}], qtbot)
    with qtbot.assertNotEmitted(view.elements_activated), \
            qtbot.waitSignal(view.rows_activated) as rows:
        view.table.selectRow(0)
    assert rows.args == [[{"storey": "Ground", "count": 3}]]


def test_ctrl_c_copies_the_selected_cells_as_tsv(qtbot: Any) -> None:
    view = _view(_rows(10), qtbot)
    model, selection = view.model, QItemSelection()
    selection.select(model.index(1, 1), model.index(2, 3))  # name..area of rows 2 and 3
    selection.select(model.index(5, 1), model.index(5, 3))
    view.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == (
        "Wall 1\tLevel 2\t91.9\nWall 2\tGround\t83.8\nWall 5\tLevel 2\t59.5\n")


def test_csv_and_xlsx_exports_hold_every_shown_row(qtbot: Any, tmp_path: Path) -> None:
    import openpyxl

    rows = _rows(10_000)
    rows[5]["name"] = "=HYPERLINK(\"x\")"  # text that looks like a formula stays text
    view = _view(rows, qtbot)
    view.filter_edit.setText("ei90")
    view.apply_filter()
    view.table.sortByColumn(view.model.columns.index("area"), Qt.SortOrder.AscendingOrder)
    assert view.model.rowCount() < view.model.shown_rows == 2000  # more than the loaded page
    expected = list(view.model.iter_rows())

    assert view.export_csv(tmp_path / "walls.csv") == 2000
    with open(tmp_path / "walls.csv", encoding="utf-8-sig", newline="") as stream:
        read = list(csv.reader(stream))
    assert read[0] == ["GlobalId", "name", "storey", "area", "FireRating"]
    assert read[1:] == [[r["GlobalId"], r["name"], r["storey"], repr(r["area"]), "EI90"]
                        for r in expected]

    assert view.export_xlsx(tmp_path / "walls.xlsx") == 2000
    sheet = openpyxl.load_workbook(tmp_path / "walls.xlsx", read_only=True).active
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == ["GlobalId", "name", "storey", "area", "FireRating"]
    assert cells[1:] == [[r["GlobalId"], r["name"], r["storey"], r["area"], "EI90"]
                         for r in expected]
    assert "=HYPERLINK(\"x\")" in [c[1] for c in cells]


def test_a_bar_chart_names_its_categories(qtbot: Any) -> None:
    import pyqtgraph as pg

    pane = _pane(qtbot)
    pane.show_reply(_reply(charts=[{"kind": "bar", "x": ["Ground", "Level 1", "Roof"],
                                    "y": [12, 30, 4], "title": "Walls per storey"}]))
    assert pane.currentWidget() is pane.chart
    plot = pane.chart.plot
    assert pane.chart.stack.currentWidget() is plot and plot.isVisible()
    item = plot.getPlotItem()
    (bars,) = [i for i in item.items if isinstance(i, pg.BarGraphItem)]
    assert list(bars.opts["height"]) == [12, 30, 4]
    axis = item.getAxis("bottom")
    ticks = axis.tickValues(-0.5, 2.5, 800)
    assert axis.tickStrings(ticks[0][1], 1, 1) == ["Ground", "Level 1", "Roof"]
    assert item.titleLabel.text == "Walls per storey"
    upright = axis.tickValues(-0.5, 2.5, 60)  # too narrow across: turned upright, all named
    assert len(upright[0][1]) == 3 and axis.upright
    crowded = axis.tickValues(-0.5, 2.5, 12)  # too narrow even upright: thinned, and said
    assert len(crowded[0][1]) < 3
    assert "Showing the names of" in pane.chart.note.text() and "of 3 bars" in pane.chart.note.text()
    assert len(crowded[0][1]) < 3


def test_a_pie_request_is_drawn_as_bars_and_several_charts_get_a_chooser(qtbot: Any) -> None:
    import pyqtgraph as pg

    pane = _pane(qtbot)
    line = {"kind": "line", "x": [1, 2, 3], "y": [1, 4, 9], "title": None}
    pie = {"kind": "pie", "x": ["a", "b"], "y": [1, 2], "title": "Share"}
    pane.show_reply(_reply(charts=[line, pie]))
    assert pane.chart.chooser.isVisible() and pane.chart.chooser.count() == 2
    pane.chart.chooser.setCurrentIndex(1)
    item = pane.chart.plot.getPlotItem()
    assert any(isinstance(i, pg.BarGraphItem) for i in item.items)
    assert "pie chart shown as bars" in item.titleLabel.text


def test_the_output_pane_caps_a_20_mb_stream_and_stays_responsive(qtbot: Any) -> None:
    pane = OutputPane(max_chars=1_000_000)
    qtbot.addWidget(pane)
    pane.show()
    line = "x" * 63 + "\n"
    chunk = line * 1024  # 64 KB, as the worker's pipe delivers it
    worst = 0.0
    started = time.perf_counter()
    for number in range(320):  # 20 MB
        before = time.perf_counter()
        pane.append_output(chunk)
        if number % 10 == 9:  # as if the flush timer fired every 640 KB: each draws
            pane.flush()
            QApplication.processEvents()
        worst = max(worst, time.perf_counter() - before)
    pane.append_output("the last line\n")
    assert "the last line" not in pane.toPlainText()  # queued, not drawn yet
    qtbot.waitUntil(lambda: "the last line" in pane.toPlainText())  # the timer draws it
    total = time.perf_counter() - started
    print(f"\n20 MB of output: {total:.2f} s in all, longest stall {worst * 1000:.0f} ms")
    text = pane.toPlainText()
    assert text.startswith(DROPPED_NOTE) and pane.dropped
    assert len(text) <= 1.25 * pane.max_chars
    assert worst < 0.5


def test_a_long_line_without_newlines_is_broken_and_kept_whole(qtbot: Any) -> None:
    pane = OutputPane(max_chars=100_000)
    qtbot.addWidget(pane)
    for _ in range(25):
        pane.append_output("0123456789" * 1000)
    started = time.perf_counter()
    text = pane.text()
    assert time.perf_counter() - started < 1.0
    assert text.startswith(DROPPED_NOTE)
    body = text[len(DROPPED_NOTE) + 1:]
    assert max(len(line) for line in body.split("\n")) <= OutputPane.MAX_LINE
    assert body.replace("\n", "").endswith("0123456789" * 5000)


def test_a_failed_run_shows_the_sentence_in_red_on_the_output_tab(qtbot: Any) -> None:
    pane = _pane(qtbot)
    pane.start_run()
    pane.append_output("checking walls\n")
    sentence = "NameError: name 'wals' is not defined (line 3)"
    pane.show_reply(_reply(status="error", error=sentence, error_line=3,
                           traceback="Traceback (most recent call last):\n  line 3\nNameError"))
    assert pane.currentWidget() is pane.output
    text = pane.output.text()
    assert text.startswith("checking walls\n" + sentence + "\nTraceback")
    block = pane.output.document().findBlock(text.index(sentence))
    color = block.begin().fragment().charFormat().foreground().color()
    assert color.red() > 150 and color.green() < 100
    assert pane.tabs.tabBar().tabTextColor(0) == color  # the Output tab's name turns red too


def test_a_cancelled_run_is_noted_not_shown_as_an_error(qtbot: Any) -> None:
    pane = _pane(qtbot)
    pane.start_run()
    pane.show_reply(_reply(status="cancelled", error="The run was cancelled.", duration_s=2.0))
    assert pane.output.text() == "Cancelled by the user after 2.00 s\n"
    assert not pane.tabs.tabBar().tabTextColor(0).isValid()


def test_a_result_value_shows_as_a_tree_and_start_run_clears(qtbot: Any) -> None:
    pane = _pane(qtbot)
    pane.start_run()
    pane.append_output("streamed log\n")
    pane.show_reply(_reply(result={"walls": 3, "missing": [1, 2]}, output="streamed log\n",
                           highlights=[{"ids": [5, 6], "color": "#FF0000"}],
                           colors=[colors.color_record({5: "EI60"}, 1, "Fire rating")]))
    assert pane.output.text() == "streamed log\nFinished after 0.50 s\n"  # the log once
    assert pane.result_tree is not None
    root = pane.result_tree.topLevelItem(0)
    assert [root.child(i).text(0) for i in range(root.childCount())] == ["walls", "missing"]
    assert pane.highlights() == [{"ids": [5, 6], "color": "#FF0000"}]
    [colored] = pane.colors()
    assert colored["title"] == "Fire rating" and colored["values"] == {"5": "EI60"}
    assert pane.tabText(1) == "Result (1)"
    pane.start_run()
    assert pane.output.text() == "" and pane.highlights() == [] and pane.result_tree is None
    assert pane.colors() == []
    assert pane.tabText(1) == "Result"


def test_many_tables_are_shown_as_tabs_named_by_their_titles(qtbot: Any) -> None:
    from PySide6.QtWidgets import QTabWidget

    pane = _pane(qtbot)
    tables = [{"title": f"Check {n}", "columns": ["a"], "rows": [{"a": n}]} for n in range(5)]
    pane.show_reply(_reply(tables=tables))
    (tabs,) = pane.result_page.findChildren(QTabWidget)
    assert [tabs.tabText(i) for i in range(tabs.count())] == [f"Check {n}" for n in range(5)]
    assert pane.tabText(1) == "Result (5)"


class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def catch(self, url: QUrl) -> None:
        self.urls.append(url)


def test_the_files_tab_lists_and_opens_output_files(qtbot: Any, tmp_path: Path) -> None:
    saved = tmp_path / "report.csv"
    saved.write_text("a\n1\n")
    pane = _pane(qtbot)
    pane.show_reply(_reply(outputs=[str(saved), str(tmp_path / "gone.ifc")], output_dir=str(tmp_path)))
    assert pane.currentWidget() is pane.files and pane.tabText(3) == "Files (2)"
    assert pane.files.paths() == [str(saved), str(tmp_path / "gone.ifc")]
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "catch")
    try:
        pane.files.list.setCurrentRow(0)
        pane.files.open_button.click()
        if sys.platform.startswith("linux"):
            pane.files.reveal_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert catcher.urls[0] == QUrl.fromLocalFile(str(saved))
    if sys.platform.startswith("linux"):
        assert catcher.urls[1] == QUrl.fromLocalFile(str(tmp_path))


def test_the_export_menu_saves_in_the_background(qtbot: Any, tmp_path: Path) -> None:
    import openpyxl

    view = _view(_rows(3000), qtbot)
    with qtbot.waitSignal(view.export_finished, timeout=30_000) as done:
        view.save_as(str(tmp_path / "walls.xlsx"), "xlsx")
        assert not view.export_button.isEnabled()  # the window carries on meanwhile
    assert done.args == [str(tmp_path / "walls.xlsx"), 3000]
    assert view.count_label.text() == "3,000 rows saved to walls.xlsx"
    sheet = openpyxl.load_workbook(tmp_path / "walls.xlsx", read_only=True).active
    assert sum(1 for _ in sheet.iter_rows(values_only=True)) == 3001
    view.export_failed.disconnect(view._on_export_failed)  # no message box in a test
    with qtbot.waitSignal(view.export_failed) as failed:
        view.save_as(str(tmp_path / "missing" / "walls.csv"), "csv")
    assert "No such file" in failed.args[1]


def test_a_table_whose_file_was_removed_says_so(qtbot: Any, tmp_path: Path) -> None:
    pane = _pane(qtbot)
    gone = {"title": "Walls", "columns": ["a"], "row_count": 5000, "file": str(tmp_path / "table-1.jsonl")}
    pane.show_reply(_reply(tables=[gone]))
    labels = [w.text() for w in pane.result_page.findChildren(QLabel)]
    assert any("Walls" in text and "gone" in text for text in labels), labels
    assert pane.tables == []


def test_a_table_read_from_its_file_exports_every_row_sorted_or_not(qtbot: Any, tmp_path: Path) -> None:
    from ifcscript_desktop.core.tablefile import TableRows, write_table_file
    rows = _rows(5000)
    write_table_file(tmp_path / "table-1.jsonl", list(rows[0]), rows)
    view = _view(TableRows(tmp_path / "table-1.jsonl"), qtbot, list(rows[0]))  # type: ignore[arg-type]
    assert view.count_label.text() == "5,000 rows"
    with qtbot.waitSignal(view.export_finished, timeout=30_000) as done:
        view.save_as(str(tmp_path / "all.csv"), "csv")
    assert done.args[1] == 5000
    with open(tmp_path / "all.csv", encoding="utf-8-sig", newline="") as stream:
        written = list(csv.DictReader(stream))
    assert [r["GlobalId"] for r in written] == [r["GlobalId"] for r in rows]
    view.table.sortByColumn(view.model.columns.index("name"), Qt.SortOrder.DescendingOrder)
    with qtbot.waitSignal(view.export_finished, timeout=30_000):
        view.save_as(str(tmp_path / "sorted.csv"), "csv")
    with open(tmp_path / "sorted.csv", encoding="utf-8-sig", newline="") as stream:
        assert next(csv.DictReader(stream))["name"] == "Wall 4999"


def test_a_damaged_block_of_a_table_file_is_said_not_hidden(qtbot: Any, tmp_path: Path) -> None:
    from ifcscript_desktop.core.tablefile import TableRows, write_table_file
    rows = _rows(3000)
    path = tmp_path / "table-1.jsonl"
    write_table_file(path, list(rows[0]), rows)
    lines = path.read_bytes().split(b"\n")
    lines[2] = b"[" + b"?" * 40 + b"]"
    path.write_bytes(b"\n".join(lines))
    view = _view(TableRows(path), qtbot, list(rows[0]))  # type: ignore[arg-type]
    assert view.count_label.text() == "3,000 rows"  # the first page is whole
    view.table.sortByColumn(view.model.columns.index("name"), Qt.SortOrder.AscendingOrder)
    assert "damaged" in view.count_label.text()


def _menu_action(view: TableView, column: str) -> Any:
    menu = view.header_menu(view.model.columns.index(column))
    return None if menu is None else {a.text(): a for a in menu.actions()}


def test_a_column_header_colours_the_model_by_that_column(qtbot: Any) -> None:
    rows = _rows(12)
    rows.append({"GlobalId": "0Guid000003", "name": "again", "FireRating": "REI120"})  # last wins
    rows.append({"GlobalId": None, "name": "no element", "FireRating": "EI30"})
    pane = _pane(qtbot)
    pane.show_reply(_reply(tables=[{"title": "Walls", "columns": list(rows[0]), "rows": rows},
                                   {"title": "Counts", "columns": ["storey", "n"],
                                    "rows": [{"storey": "Ground", "n": 3}]}]))
    walls, counts = pane.tables
    assert _menu_action(walls, "GlobalId") is None  # nothing to colour by the link itself
    assert _menu_action(counts, "storey") is None  # no GlobalId: nothing to colour
    walls.table.sortByColumn(walls.model.columns.index("name"), Qt.SortOrder.DescendingOrder)
    walls.filter_edit.setText("Wall 1")
    walls.apply_filter()  # what is shown does not matter: the whole table colours
    action = _menu_action(walls, "FireRating")["Colour model by this column"]
    with qtbot.waitSignal(pane.color_by_requested, timeout=10_000) as asked:
        action.trigger()
    title, values = asked.args
    assert title == "FireRating" and len(values) == 12
    assert values["0Guid000000"] == "EI90" and values["0Guid000001"] is None
    assert values["0Guid000003"] == "REI120"
    with qtbot.waitSignal(pane.color_by_requested, timeout=10_000) as areas:
        _menu_action(walls, "area")["Colour model by this column"].trigger()
    assert areas.args[1]["0Guid000002"] == rows[2]["area"]


def test_a_100k_row_table_file_colours_the_model_without_blocking(qtbot: Any, tmp_path: Path) -> None:
    from ifcscript_desktop.core.tablefile import TableRows, write_table_file
    rows = [{"global_id": f"0Guid{i:06d}", "status": "duplicate" if i % 7 == 0 else "valid"}
            for i in range(100_000)]
    write_table_file(tmp_path / "table-1.jsonl", ["global_id", "status"], rows)
    view = _view(TableRows(tmp_path / "table-1.jsonl"), qtbot, ["global_id", "status"])  # type: ignore[arg-type]
    action = _menu_action(view, "status")["Colour model by this column"]
    with qtbot.waitSignal(view.color_by_requested, timeout=30_000) as asked:
        started = time.perf_counter()
        action.trigger()
        assert time.perf_counter() - started < 0.1  # the rows are read off the GUI thread
        assert "Reading 'status'" in view.count_label.text()
    title, values = asked.args
    assert title == "status" and len(values) == 100_000
    assert values["0Guid000007"] == "duplicate" and values["0Guid000008"] == "valid"
    assert view.count_label.text() == "100,000 rows"


IFC_CLASSES = ["IfcWallStandardCase", "IfcBuildingElementProxy", "IfcSlab", "IfcDoor", "IfcWindow",
               "IfcBeam", "IfcColumn", "IfcStair", "IfcRailing", "IfcCovering", "IfcRoof",
               "IfcFurnishingElement", "IfcFlowTerminal", "IfcSpace", "IfcOpeningElement"]


def test_a_chart_of_15_bars_names_every_bar(qtbot: Any) -> None:
    pane = _pane(qtbot)
    pane.show_reply(_reply(charts=[{"kind": "bar", "x": IFC_CLASSES, "y": list(range(1, 16)),
                                    "title": "Products by class"}]))
    axis = pane.chart.plot.getPlotItem().getAxis("bottom")

    def painted() -> list[str]:
        pane.chart.plot.grab()  # paints the axis as the screen would
        return list(axis.drawn)

    qtbot.waitUntil(lambda: painted() == IFC_CLASSES)  # every name, whole
    assert axis.upright and not pane.chart.note.isVisible()


def test_a_long_list_in_a_result_is_collapsed_to_its_count(qtbot: Any) -> None:
    pane = _pane(qtbot)
    columns = [f"Pset_Column{i}" for i in range(1287)]
    pane.show_reply(_reply(result={"rows": 13, "columns": columns, "file": "walls.csv"}))
    root = pane.result_tree.topLevelItem(0)
    rows, listed, _file = (root.child(i) for i in range(3))
    assert rows.text(1) == "13"
    assert listed.text(1) == "1,287 items — expand to show" and not listed.isExpanded()
    listed.setExpanded(True)  # the user asks: the items are there, the count stays
    assert listed.text(1) == "1,287 items" and listed.child(0).text(1) == "Pset_Column0"


def test_beside_tables_the_result_is_one_line_and_tables_take_turns(qtbot: Any) -> None:
    from PySide6.QtWidgets import QTabWidget

    pane = _pane(qtbot)
    tables = [{"title": "Units", "columns": ["a"], "rows": [{"a": 1}]},
              {"title": "Walls", "columns": list(_rows(1)[0]), "rows": _rows(40)}]
    pane.show_reply(_reply(result={"rows": 40, "columns": ["a", "b"]}, tables=tables))
    page = pane.result_page
    assert page.summary_button is not None and page.summary_button.isVisible()
    assert page.summary_button.full_text == "Result: rows: 40 · columns: [2 items]"
    assert pane.result_tree is not None and not pane.result_tree.isVisible()
    (tabs,) = page.findChildren(QTabWidget)
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Units", "Walls"]
    assert tabs.tabToolTip(1) == "Walls: 40 rows"
    tabs.setCurrentIndex(1)
    walls = pane.tables[1]
    assert walls.isVisible() and walls.height() > 0.7 * page.height()  # the table has the room
    page.summary_button.click()  # the tree opens above the tables, in a splitter
    assert pane.result_tree.isVisible() and page.splitter is not None
    page.splitter.setSizes([300, 300])
    page.splitter.splitterMoved.emit(300, 1)
    from PySide6.QtCore import QSettings
    settings = QSettings()
    pane.save(settings)  # remembered for the next window
    again = _pane(qtbot)
    again.restore(settings)
    again.show_reply(_reply(result={"rows": 40}, tables=tables))
    again.result_page.summary_button.click()
    assert abs(again.result_page.splitter.sizes()[0] - again.result_page.splitter.sizes()[1]) <= 2


def test_a_long_result_beside_tables_never_widens_the_pane(qtbot: Any) -> None:
    pane = _pane(qtbot)
    result = {f"key {i}": "a long value " * 5 for i in range(200)}
    pane.show_reply(_reply(result=result, tables=[{"title": "T", "columns": ["a"],
                                                   "rows": [{"a": 1}]}]))
    button = pane.result_page.summary_button
    assert button is not None and len(button.full_text) > 250
    assert pane.minimumSizeHint().width() < 400  # the line is cut to the pane, not the reverse
    qtbot.waitUntil(lambda: button.text().endswith("…"))
    assert button.full_text in button.toolTip()


def test_a_cut_cell_shows_its_whole_text_and_ids_keep_their_ends(qtbot: Any) -> None:
    long_name = "Basic Wall:Interior - 138mm Partition (1-hr) with a very long type name:4711"
    view = _view([{"GlobalId": "2O2Fr$t4X7Zf8NOew3FLOH", "name": long_name, "area": 2.5}], qtbot)
    header = view.table.horizontalHeader()
    guid_width = view.fontMetrics().horizontalAdvance("2O2Fr$t4X7Zf8NOew3FLOH")
    assert header.sectionSize(0) > guid_width  # a whole GlobalId fits
    assert header.sectionSize(1) <= 360  # a long name stops at the maximum...
    assert view.table.textElideMode() == Qt.TextElideMode.ElideMiddle  # ...cut in the middle
    index = view.model.index(0, 1)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == long_name  # and whole in its tooltip
    assert view.model.headerData(0, Qt.Orientation.Horizontal,
                                 Qt.ItemDataRole.ToolTipRole).startswith("GlobalId\n")


def test_in_a_narrow_pane_long_text_columns_give_way_to_the_sums(qtbot: Any) -> None:
    rows = [{"Class": "IfcWallStandardCase", "Quantity set": f"Qto_WallBaseQuantities {'x' * 30}",
             "Quantity": f"NetSideArea of a long quantity name {i}", "Unit": "m2",
             "Sum": 1234.5 + i} for i in range(20)]
    view = TableView(rows, None, "Sums")
    qtbot.addWidget(view)
    view.resize(620, 400)
    view.show()
    qtbot.waitExposed(view)
    sums = view.model.columns.index("Sum")
    header = view.table.horizontalHeader()
    right = header.sectionViewportPosition(sums) + header.sectionSize(sums)
    assert right <= view.table.viewport().width() + header.sectionSize(sums) // 2  # in view
    header.resizeSection(0, 300)  # the user widens a column: it stays as dragged
    view.resize(600, 400)
    assert header.sectionSize(0) == 300


def test_a_two_column_table_keeps_its_names_whole_beside_a_long_last_column(qtbot: Any) -> None:
    """Model Summary's Item/Value: the long values are cut (tooltips), never the item names."""
    rows = [{"Item": "Originating system (header)", "Value": "IFC Script Desktop " + "x" * 80},
            {"Item": "Products without storey", "Value": "42"}]
    view = TableView(rows, None, "Model")
    qtbot.addWidget(view)
    view.resize(200, 300)  # a passing first width, as inside tabs and splitters
    view.show()
    qtbot.waitExposed(view)
    view.resize(460, 300)
    header = view.table.horizontalHeader()
    qtbot.waitUntil(lambda: view.table.viewport().width() > 300)
    needed = view.table.sizeHintForColumn(0)
    assert header.sectionSize(0) >= needed  # "Originating system (header)" whole


def test_a_scripts_text_that_looks_like_html_is_shown_literally(qtbot: Any, monkeypatch: Any) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent

    from ifcscript_desktop.ui.results import table_view

    pane = _pane(qtbot)
    reply = _reply(result={"name": "<b>bold</b>"},
                   tables=[{"title": "<b>T</b>", "columns": ["a"], "rows": [{"a": 1}]}])
    pane.show_reply(replace(reply, script="<b>Check</b>", verdict="FAIL",
                            verdict_detail="<b>3</b> failed"))
    button = pane.result_page.summary_button
    assert button is not None and "&lt;b&gt;bold&lt;/b&gt;" in button.toolTip()
    assert "&lt;b&gt;Check&lt;/b&gt;" in pane.header.label.toolTip()
    badge = pane.header.badge
    assert badge.textFormat() == Qt.TextFormat.PlainText and badge.text() == "FAIL: <b>3</b> failed"

    shown: list[str] = []

    class Tips:
        showText = staticmethod(lambda _pos, text, *_rest: shown.append(text))
        hideText = staticmethod(lambda: None)

    monkeypatch.setattr(table_view, "QToolTip", Tips)
    cell = '<img src="/home/u/x.png"> <b>' + "a long cell " * 40
    view = _view([{"name": cell}], qtbot)
    rect = view.table.visualRect(view.model.index(0, 0))
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), view.table.viewport().mapToGlobal(rect.center()))
    QApplication.sendEvent(view.table.viewport(), event)
    assert len(shown) == 1 and shown[0].startswith("<p>&lt;img src=")
    assert cell[:40] not in shown[0]
