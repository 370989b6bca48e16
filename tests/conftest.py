"""Fixtures shared by every test package: sample models and a fresh data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def house() -> Path:
    """KIT FZK-Haus (IFC4, ArchiCAD): storeys, materials, types, psets and quantities."""
    return FIXTURES / "AC20-FZK-Haus.ifc"


@pytest.fixture(scope="session")
def large_building() -> Path:
    """Revit 2021 IFC2X3 export with a user-defined Custom_Pset."""
    return FIXTURES / "LargeBuilding.ifc"


@pytest.fixture(scope="session")
def geelen() -> Path:
    """A real Revit 2011 IFC2X3 export with 345 GlobalIds that start outside 0-3."""
    return FIXTURES / "GEELEN-Breedplaat V2.ifc"


@pytest.fixture(scope="session")
def duplicated_guids() -> Path:
    return FIXTURES / "fail-duplicated-guids-ifc4.ifc"


@pytest.fixture(scope="session")
def illegal_file() -> Path:
    """1.#INF numbers and a non-UTF-8 byte: ifcopenshell refuses it."""
    return FIXTURES / "FormallyIllegalFile.ifc"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data dir, also set as IFCSCRIPT_DATA_DIR for commands run as subprocesses."""
    path = tmp_path / "data"
    monkeypatch.setenv("IFCSCRIPT_DATA_DIR", str(path))
    return path
