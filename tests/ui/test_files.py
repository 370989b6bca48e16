"""The Files tab offers Open only for documents inside the run's folder; the rest, Show in folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

from ifcscript_desktop.ui.history.detail import RunDetail
from ifcscript_desktop.ui.results.files import FilesPane
from tests.ui.test_app import RUN_TIMEOUT, open_house, window  # noqa: F401 - a fixture
from tests.ui.test_results import _UrlCatcher


@pytest.fixture
def opened() -> Iterator[list[QUrl]]:
    """What the pane handed to the desktop to open (nothing really opens)."""
    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "catch")
    try:
        yield catcher.urls
    finally:
        QDesktopServices.unsetUrlHandler("file")


@pytest.fixture
def run_files(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A run folder holding a report and what a hostile script could leave beside it."""
    folder = tmp_path / "runs" / "3"
    folder.mkdir(parents=True)
    (folder / "report.csv").write_text("a\n1\n")
    (folder / "link.csv").symlink_to(folder / "report.csv")
    (folder / "zero.txt").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.csv")
    for name in ("tool.exe", "install.sh", "app.desktop"):
        (folder / name).write_text("#!/bin/sh\necho owned\n")
    outside = tmp_path / "secret.csv"
    outside.write_text("a\n")
    files = {"report": folder / "report.csv", "link": folder / "link.csv",
             "zero": folder / "zero.txt", "pipe": folder / "pipe.csv", "exe": folder / "tool.exe",
             "sh": folder / "install.sh", "desktop": folder / "app.desktop", "outside": outside}
    return folder, files


def _pane(qtbot: Any) -> FilesPane:
    pane = FilesPane()
    qtbot.addWidget(pane)
    pane.show()
    return pane


def _select(pane: FilesPane, path: Path) -> None:
    pane.list.setCurrentRow(pane.paths().index(str(path)))


def test_open_is_offered_only_for_a_document_inside_the_run_folder(
        qtbot: Any, run_files: tuple[Path, dict[str, Path]], opened: list[QUrl]) -> None:
    folder, files = run_files
    pane = _pane(qtbot)
    pane.set_files([str(p) for p in files.values()], str(folder))
    for key, path in files.items():
        _select(pane, path)
        assert pane.open_button.isEnabled() == (key == "report"), key
        assert pane.reveal_button.isEnabled(), key
        if key != "report":
            assert "\n" in pane.list.currentItem().toolTip()  # the reason Open is not offered
            pane.list.itemActivated.emit(pane.list.currentItem())  # a double-click
            assert not pane.open_file(str(path)) and opened == [], key
    _select(pane, files["report"])
    pane.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(files["report"]))]


def test_selecting_everything_opens_only_the_document(
        qtbot: Any, run_files: tuple[Path, dict[str, Path]], opened: list[QUrl]) -> None:
    folder, files = run_files
    pane = _pane(qtbot)
    pane.set_files([str(p) for p in files.values()], str(folder))
    pane.list.selectAll()
    pane.open_selected()
    assert opened == [QUrl.fromLocalFile(str(files["report"]))]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Show in folder opens the folder on Linux")
def test_show_in_folder_opens_the_folder_never_the_file(
        qtbot: Any, run_files: tuple[Path, dict[str, Path]], opened: list[QUrl]) -> None:
    folder, files = run_files
    pane = _pane(qtbot)
    forged = folder / "app.desktop" / "x.csv"  # its "folder" is a program
    pane.set_files([str(files["desktop"]), str(forged)], str(folder))
    _select(pane, files["desktop"])
    pane.reveal_button.click()
    assert opened == [QUrl.fromLocalFile(str(folder))]
    _select(pane, forged)
    assert not pane.reveal_button.isEnabled() and not pane.open_button.isEnabled()
    assert not pane.reveal(str(forged)) and len(opened) == 1


def test_a_file_swapped_for_a_link_after_it_was_listed_is_not_opened(
        qtbot: Any, run_files: tuple[Path, dict[str, Path]], opened: list[QUrl]) -> None:
    folder, files = run_files
    pane = _pane(qtbot)
    pane.set_files([str(files["report"])], str(folder))
    assert pane.open_button.isEnabled()
    files["report"].unlink()
    files["report"].symlink_to("/etc/passwd")
    pane.open_button.click()
    assert opened == []


def test_history_offers_open_by_the_same_rule(qtbot: Any, run_files: tuple[Path, dict[str, Path]],
                                             opened: list[QUrl]) -> None:
    folder, files = run_files
    detail = RunDetail()
    qtbot.addWidget(detail)
    detail.show_run({"execution_id": 3, "status": "success", "output_dir": str(folder),
                     "outputs": [str(files["pipe"]), str(files["outside"]), str(files["report"])]})
    pane = detail.files
    for key in ("pipe", "outside"):
        _select(pane, files[key])
        assert not pane.open_button.isEnabled(), key
    _select(pane, files["report"])
    assert pane.open_button.isEnabled()
    pane.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(files["report"]))]


def test_a_run_in_the_window_offers_open_for_its_report_not_its_script(
        qtbot: Any, window: Any, house: Path, opened: list[QUrl]) -> None:
    open_house(qtbot, window, house)
    window.scripts.show_code("save_output('report.csv', 'a\\n1\\n')\n"
                             "save_output('install.sh', '#!/bin/sh\\necho owned\\n')\n", "Saves")
    with qtbot.waitSignal(window.runs.run_finished, timeout=RUN_TIMEOUT) as finished:
        window.run_script()
    reply = finished.args[0]
    assert reply.status == "success", reply
    pane = window.results.files
    by_name = {Path(p).name: p for p in pane.paths()}
    assert set(by_name) == {"report.csv", "install.sh"}
    pane.list.setCurrentRow(pane.paths().index(by_name["install.sh"]))
    assert not pane.open_button.isEnabled() and pane.reveal_button.isEnabled()
    pane.list.setCurrentRow(pane.paths().index(by_name["report.csv"]))
    pane.open_button.click()
    assert opened == [QUrl.fromLocalFile(by_name["report.csv"])]


def test_open_with_no_program_for_the_file_says_so_and_offers_its_folder(
        qtbot: Any, run_files: tuple[Path, dict[str, Path]], opened: list[QUrl]) -> None:
    folder, files = run_files
    pane = _pane(qtbot)
    pane.set_files([str(files["report"])], str(folder))
    pane.open_url = lambda url: False  # a desktop with no program for .csv files
    _select(pane, files["report"])
    pane.open_button.click()
    assert pane.problem.isVisible()
    assert "Nothing on this computer opens report.csv" in pane.problem.text()
    assert "Show it in its folder" in pane.problem.text()
    pane.problem.linkActivated.emit("reveal")
    if sys.platform.startswith("linux"):
        assert opened == [QUrl.fromLocalFile(str(folder))]  # the folder, never the file
    pane.set_files([str(files["report"])], str(folder))  # the next run: the sentence is gone
    assert not pane.problem.isVisible()
