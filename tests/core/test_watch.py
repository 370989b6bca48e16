"""The folder watcher: a model runs once it is complete, once per change, never half-written."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from ifcscript_desktop.core.workflows.folderwatch import FolderWatcher, WatchFolderGone, is_complete


def _settle(watcher: FolderWatcher) -> list[Path]:
    """Two looks in a row: a file unchanged between them is stable."""
    return watcher.poll() + watcher.poll()


def test_a_step_file_runs_only_once_complete_and_once_per_change(tmp_path: Path, house: Path) -> None:
    watcher = FolderWatcher(tmp_path)
    data = house.read_bytes()
    target = tmp_path / "delivery.ifc"
    target.write_bytes(data[: len(data) // 2])
    assert _settle(watcher) == []  # stable size, but no trailer: half-written
    with open(target, "ab") as stream:
        stream.write(data[len(data) // 2:])
    assert watcher.poll() == []  # just changed: not stable yet
    assert watcher.poll() == [target]
    assert _settle(watcher) == []  # never twice for one change
    with open(target, "ab") as stream:
        stream.write(b"\n")  # rewritten: a new change, still complete
    assert _settle(watcher) == [target]


def test_files_present_at_start_are_not_new_unless_asked(tmp_path: Path, house: Path) -> None:
    shutil.copy(house, tmp_path / "old.ifc")
    (tmp_path / "notes.txt").write_text("END-ISO-10303-21;")
    assert _settle(FolderWatcher(tmp_path)) == []
    assert _settle(FolderWatcher(tmp_path, include_existing=True)) == [tmp_path / "old.ifc"]


def test_a_file_moved_in_runs_and_a_replaced_one_runs_again(tmp_path: Path, house: Path) -> None:
    inbox, staging = tmp_path / "inbox", tmp_path / "staging"
    inbox.mkdir()
    staging.mkdir()
    watcher = FolderWatcher(inbox)
    shutil.copy(house, staging / "m.ifc")
    os.replace(staging / "m.ifc", inbox / "m.ifc")
    assert _settle(watcher) == [inbox / "m.ifc"]
    shutil.copy(house, staging / "m.ifc")
    os.replace(staging / "m.ifc", inbox / "m.ifc")  # same size, older mtime possible: new inode
    assert _settle(watcher) == [inbox / "m.ifc"]


def test_ifczip_needs_a_complete_central_directory(tmp_path: Path, house: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(house, "model.ifc")
    data = buffer.getvalue()
    target = tmp_path / "m.ifczip"
    target.write_bytes(data[:-30])
    assert not is_complete(target)
    target.write_bytes(data)
    assert is_complete(target)
    empty = tmp_path / "empty.ifczip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("readme.txt", "no model")
    assert not is_complete(empty)


def test_trailer_with_trailing_whitespace_counts(tmp_path: Path) -> None:
    target = tmp_path / "m.ifc"
    target.write_bytes(b"ISO-10303-21;\nDATA;\nENDSEC;\nEND-ISO-10303-21;\r\n\n")
    assert is_complete(target)
    target.write_bytes(b"ISO-10303-21;\nDATA;\nENDSEC;\nEND-ISO-10303-2")
    assert not is_complete(target)


def test_a_folder_that_disappears_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    watcher = FolderWatcher(folder)
    folder.rmdir()
    with pytest.raises(WatchFolderGone, match="is gone"):
        watcher.poll()
    with pytest.raises(WatchFolderGone, match="does not exist"):
        FolderWatcher(folder)


def test_a_file_that_just_changed_is_looked_at_again_soon(tmp_path: Path, house: Path) -> None:
    watcher = FolderWatcher(tmp_path)
    assert watcher.poll() == [] and not watcher.changing  # a quiet folder: the full interval
    shutil.copy(house, tmp_path / "m.ifc")
    assert watcher.poll() == [] and watcher.changing  # new: a second look after SETTLE_S
    assert watcher.poll() == [tmp_path / "m.ifc"] and not watcher.changing
    assert watcher.poll() == [] and not watcher.changing
    (tmp_path / "half.ifc").write_bytes(house.read_bytes()[:1000])
    assert watcher.poll() == [] and watcher.changing
    assert watcher.poll() == [] and not watcher.changing  # stable but incomplete: not ready, quiet
