"""Every way a model file can be wrong gets a sentence; odd but valid forms just open."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest

from ifcscript_desktop.worker.modelload import ModelOpenError, open_model


def _error(path: Path | str) -> str:
    with pytest.raises(ModelOpenError) as caught:
        open_model(str(path))
    message = str(caught.value)
    assert "Traceback" not in message and message.endswith(".")
    return message


def test_missing_path_directory_and_empty_file(tmp_path: Path) -> None:
    assert "does not exist" in _error(tmp_path / "nope.ifc")
    assert "is a folder" in _error(tmp_path)
    (tmp_path / "empty.ifc").write_bytes(b"")
    assert "is empty" in _error(tmp_path / "empty.ifc")


def test_text_and_random_bytes_are_not_ifc(tmp_path: Path) -> None:
    (tmp_path / "notes.ifc").write_text("Meeting notes: check the walls\n")
    assert "is not an IFC file" in _error(tmp_path / "notes.ifc")
    (tmp_path / "noise.ifc").write_bytes(os.urandom(4096))
    assert "is not an IFC file" in _error(tmp_path / "noise.ifc")


def test_truncated_file_is_reported_as_incomplete(tmp_path: Path, house: Path) -> None:
    data = house.read_bytes()
    (tmp_path / "cut.ifc").write_bytes(data[: len(data) // 2])
    assert "incomplete" in _error(tmp_path / "cut.ifc")


def test_unreadable_schema_names_the_schema(tmp_path: Path, house: Path) -> None:
    data = house.read_bytes().replace(b"FILE_SCHEMA(('IFC4'))", b"FILE_SCHEMA(('IFC4X3_RC2'))")
    (tmp_path / "rc2.ifc").write_bytes(data)
    message = _error(tmp_path / "rc2.ifc")
    assert "IFC4X3_RC2" in message and "cannot read" in message


def test_a_file_ifcopenshell_refuses_gets_a_sentence(illegal_file: Path) -> None:
    assert "syntax error" in _error(illegal_file)


def test_ifczip_uppercase_spaces_and_non_ascii_just_work(tmp_path: Path, house: Path) -> None:
    folder = tmp_path / "Projekt Größe"
    folder.mkdir()
    upper = folder / "HAUS MODELL.IFC"
    shutil.copy(house, upper)
    assert open_model(str(upper)).info()["elements"] == 127
    archive = folder / "Haus.IFCZIP"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(house, "AC20-FZK-Haus.ifc")
    info = open_model(str(archive)).info()
    assert info["elements"] == 127 and info["schema"] == "IFC4"
    assert "ARCHICAD" in info["application"]


def test_damaged_zip(tmp_path: Path) -> None:
    (tmp_path / "broken.ifczip").write_bytes(b"PK\x03\x04" + os.urandom(100))
    assert "damaged zip" in _error(tmp_path / "broken.ifczip")
