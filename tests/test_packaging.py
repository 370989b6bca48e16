"""What `pip install .` ships: every package of the source tree and the data the app loads."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_package_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "ifcscript_desktop").rglob("__init__.py")}
    assert found - listed == set(), "packages missing from pyproject.toml"
    data = config["tool"]["setuptools"]["package-data"]
    assert "*.ifc" in data["ifcscript_desktop.resources"]
    assert "*.py" in data["ifcscript_desktop.builtin_scripts"]
