"""F1 help from the worker: ifcopenshell names resolve to their docstrings, nothing else does."""

from __future__ import annotations

import sys

import ifcopenshell.util.element
import ifcopenshell.util.selector
import pytest

from ifcscript_desktop.core.client import WorkerClient
from ifcscript_desktop.worker.docs import find_doc


@pytest.mark.parametrize("word, qualified", [
    ("get_psets", "ifcopenshell.util.element.get_psets"),
    ("filter_elements", "ifcopenshell.util.selector.filter_elements"),
    ("ifcopenshell.util.element.get_container", "ifcopenshell.util.element.get_container"),
    ("util.element.get_psets", "ifcopenshell.util.element.get_psets"),
    ("element.get_psets", "ifcopenshell.util.element.get_psets"),  # `import ... as element`
    ("by_type", "ifcopenshell.file.by_type"),
    ("model.by_type", "ifcopenshell.file.by_type"),
    ("wall.is_a", "ifcopenshell.entity_instance.is_a"),  # a variable's method
    ("ifcopenshell.api.root.create_entity", "ifcopenshell.api.root.create_entity"),
])
def test_ifcopenshell_names_give_their_docstring(word: str, qualified: str) -> None:
    found = find_doc(word)
    assert found is not None and found["name"] == qualified
    assert found["kind"] == "function" and found["doc"]


def test_the_docstring_is_ifcopenshells_own() -> None:
    found = find_doc("get_psets")
    assert found is not None
    assert found["doc"].splitlines()[0] == ifcopenshell.util.element.get_psets.__doc__.strip(
        ).splitlines()[0]
    selector = find_doc("filter_elements")
    assert selector is not None and "query" in selector["doc"]
    assert "query" in str(ifcopenshell.util.selector.filter_elements.__doc__)


def test_an_ifc_class_and_a_property_set_are_described_in_the_models_schema() -> None:
    wall = find_doc("IfcWall", "IFC4")
    assert wall is not None and wall["kind"] == "IFC4 class"
    assert "vertical construction" in wall["doc"] and "Subtype of IfcBuildingElement" in wall["doc"]
    assert "GlobalId" in wall["doc"]
    old = find_doc("IfcWallStandardCase", "IFC2X3")
    assert old is not None and old["kind"] == "IFC2X3 class"
    pset = find_doc("Pset_WallCommon", "IFC4")
    assert pset is not None and "FireRating" in pset["doc"]
    assert find_doc("IfcNoSuchThing", "IFC4") is None


@pytest.mark.parametrize("word", [
    "os.system", "os", "sys.modules", "subprocess.run", "json.dumps", "math.floor",
    "ifcopenshell.os.system",  # os reached through an ifcopenshell attribute
    "ifcopenshell.sys.modules", "ifcopenshell.util.element.ifcopenshell.os",
    "ifcopenshell.__builtins__", "ifcopenshell.file.__init__", "__import__", "get_psets.__globals__",
    "ifcopenshell.util.scripts", "ifcopenshell.util.ifc4x3dev_scrape_data_for_docs",
    "ifcopenshell; import os", "x" * 300, "", "no_such_function_anywhere",
])
def test_names_outside_ifcopenshell_are_refused(word: str) -> None:
    assert find_doc(word) is None


def test_modules_outside_the_list_are_never_imported() -> None:
    for module in ("ifcopenshell.util.ifc4x3dev_scrape_data_for_docs", "ifcopenshell.util.scripts",
                   "antigravity", "this"):
        sys.modules.pop(module, None)
        find_doc(module)
        find_doc(f"{module}.anything")
        assert module not in sys.modules, module


def test_the_worker_answers_doc_requests(worker: WorkerClient) -> None:
    reply = worker.call("doc", timeout=60, name="get_psets")
    assert reply["found"] and reply["name"] == "ifcopenshell.util.element.get_psets"
    assert "property sets" in reply["doc"]
    wall = worker.call("doc", timeout=60, name="IfcWall")
    assert wall["found"] and wall["kind"] == "IFC4 class"  # the open model's schema
    refused = worker.call("doc", timeout=60, name="os.system")
    assert refused["found"] is False and "doc" not in refused
    assert worker.call("doc", timeout=60, name=None)["found"] is False


def test_the_api_packages_are_listed_once_not_on_every_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    import pkgutil

    from ifcscript_desktop.worker import docs

    assert find_doc("no_such_function_anywhere") is None  # the list is made by now
    listed: list[object] = []
    real = pkgutil.iter_modules
    monkeypatch.setattr(pkgutil, "iter_modules", lambda *a, **k: listed.append(a) or real(*a, **k))
    assert find_doc("another_unknown_name") is None and find_doc("yet.another_unknown") is None
    assert find_doc("ifcopenshell.api.root.create_entity") is not None
    assert listed == [] and "ifcopenshell.api.root" in docs.api_modules()
