"""Which output files the window offers to open: documents inside the run's folder, nothing else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ifcscript_desktop.core.outputfiles import DOCUMENT_TYPES, describe_output


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "runs" / "7"
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize("name", sorted(f"out.{kind}" for kind in DOCUMENT_TYPES) + ["REPORT.CSV"])
def test_a_document_inside_the_run_folder_may_be_opened(run_folder: Path, name: str) -> None:
    (run_folder / "sub").mkdir()
    path = run_folder / "sub" / name
    path.write_bytes(b"1234")
    shown = describe_output(str(path), str(run_folder))
    assert shown.can_open and shown.why_not == "" and shown.note == "4 bytes"
    assert shown.folder == str(run_folder / "sub")


@pytest.mark.parametrize("name", ["tool.exe", "run.sh", "app.desktop", "script.py", "lib.so",
                                  "page.html.desktop", "noextension", "x.bat", "y.jar"])
def test_a_program_or_unknown_type_is_only_shown_in_its_folder(run_folder: Path, name: str) -> None:
    path = run_folder / name
    path.write_text("#!/bin/sh\n")
    shown = describe_output(str(path), str(run_folder))
    assert not shown.can_open and "not opened" in shown.why_not and shown.folder == str(run_folder)


def test_links_pipes_folders_and_gone_files_are_not_opened(run_folder: Path) -> None:
    (run_folder / "real.csv").write_text("a\n")
    (run_folder / "link.csv").symlink_to(run_folder / "real.csv")
    (run_folder / "zero.csv").symlink_to("/dev/zero")
    os.mkfifo(run_folder / "pipe.csv")
    (run_folder / "folder.csv").mkdir()
    cases = {"link.csv": "(a link)", "zero.csv": "(a link)", "pipe.csv": "(not a file)",
             "folder.csv": "(not a file)", "gone.csv": "(deleted)"}
    for name, note in cases.items():
        shown = describe_output(str(run_folder / name), str(run_folder))
        assert not shown.can_open and shown.note == note, name
    assert not describe_output(str(run_folder / "gone.csv"), str(run_folder)).exists


def test_a_path_outside_the_run_folder_is_not_opened(run_folder: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("a\n")
    other_run = run_folder.parent / "8"
    other_run.mkdir()
    (other_run / "theirs.csv").write_text("a\n")
    (run_folder / "elsewhere").symlink_to(tmp_path)  # a folder link leading out
    for path in (outside, other_run / "theirs.csv", run_folder / ".." / "8" / "theirs.csv",
                 run_folder / "elsewhere" / "secret.csv"):
        shown = describe_output(str(path), str(run_folder))
        assert not shown.can_open and shown.exists, path
    assert not describe_output("relative.csv", str(run_folder)).can_open
    assert not describe_output(str(run_folder / "x.csv"), None).can_open  # folder unknown


def test_show_in_folder_only_ever_shows_a_real_folder(run_folder: Path) -> None:
    (run_folder / "evil.desktop").write_text("[Desktop Entry]\nExec=sh\n")
    (run_folder / "linked").symlink_to(run_folder)
    assert describe_output(str(run_folder / "evil.desktop" / "x.csv"), str(run_folder)).folder is None
    assert describe_output(str(run_folder / "linked" / "x.csv"), str(run_folder)).folder is None
    assert describe_output(str(run_folder / "evil.desktop"), str(run_folder)).folder == str(run_folder)
