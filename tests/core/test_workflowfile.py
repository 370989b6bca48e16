"""The workflow TOML file: validation with the line at fault, and the write/read round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from ifcscript_desktop.core.library import ensure_builtins
from ifcscript_desktop.core.store import AutomationWorkflow, Store, open_store
from ifcscript_desktop.core.workflows.file import (WorkflowFileError, dump_workflow, parse_workflow,
                                                 read_workflow_file)
from ifcscript_desktop.core.workflows import (export_workflow_file, import_workflow_file,
                                              spec_of)
from tests.conftest import FIXTURES

GOOD = (FIXTURES / "example-workflow.toml").read_text(encoding="utf-8")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "data") as opened:
        ensure_builtins(opened)
        yield opened


def test_the_issue_example_parses(store: Store) -> None:
    spec = parse_workflow(GOOD, store)
    assert spec.name == "Incoming model checks" and spec.stop_on_error is False
    assert [(s.name, s.script, s.params) for s in spec.steps] == [
        ("GUIDs", "GUID Validation Check", {}), ("LOD", "LOD Analyzer", {"target_lod": 300})]
    assert spec.trigger == {"kind": "manual"}


@pytest.mark.parametrize("change, line, words", [
    (("script = \"LOD Analyzer\"", "script = \"LOD Analyser\""), 12, "no stored script named \"LOD Analyser\""),
    (("target_lod = 300", "target_lod = 250"), 13, "target_lod"),
    (("target_lod = 300", "colour = 1"), 13, "\"colour\" is not a parameter"),
    (("name = \"LOD\"", "name = \"GUIDs\""), 11, "must be unique"),
    (("name = \"LOD\"\n", ""), 10, "needs a \"name\""),
    (("enabled = true", "enabled = \"yes\""), 3, "true or false"),
    (("kind = \"manual\"", "kind = \"hourly\""), 6, "manual, on_open, watch"),
    (("[trigger]", "colour = \"red\"\n[trigger]"), 5, "unknown key \"colour\""),
    (("params = {", "parameters = {"), 13, "unknown key \"parameters\""),
    (("stop_on_error = false", "stop_on_error = fals"), 4, "not valid TOML"),
    (("[[steps]]\nname = \"LOD\"", "[[steps]\nname = \"LOD\""), 10, "not valid TOML"),
])
def test_bad_files_name_the_line_and_the_reason(store: Store, change: tuple[str, str], line: int,
                                                words: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(WorkflowFileError) as caught:
        parse_workflow(text, store)
    assert caught.value.line == line, str(caught.value)
    assert words in str(caught.value) and str(caught.value).startswith(f"line {line}: ")


def test_no_steps_is_refused(store: Store) -> None:
    with pytest.raises(WorkflowFileError, match="no steps"):
        parse_workflow('name = "x"\n', store)


def test_dump_reads_back_to_the_same_workflow(store: Store) -> None:
    spec = parse_workflow(GOOD, store)
    assert parse_workflow(dump_workflow(spec), store) == spec
    tricky = GOOD.replace('"GUIDs and LOD on every delivery"',
                          '"""two\nlines with "quotes", \\\\ and \u00e9"""')
    spec = parse_workflow(tricky, store)
    assert "\n" in spec.description
    assert parse_workflow(dump_workflow(spec), store) == spec


def test_file_parameters_are_relative_to_the_toml_and_kept_absolute(store: Store, tmp_path: Path,
                                                                    house: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "other.ifc").write_bytes(house.read_bytes()[:10])
    path = folder / "wf.toml"
    path.write_text('name = "Cross"\n[trigger]\nkind = "watch"\nfolder = "incoming"\n'
                    '[[steps]]\nname = "G"\nscript = "GUID Validation Check"\n'
                    'params = { other_models = ["other.ifc"] }\n')
    spec = read_workflow_file(store, path)
    assert spec.steps[0].params == {"other_models": [str(folder / "other.ifc")]}
    assert spec.trigger == {"kind": "watch", "folder": "incoming", "base_dir": str(folder)}
    (folder / "other.ifc").unlink()
    with pytest.raises(WorkflowFileError) as caught:
        read_workflow_file(store, path)
    assert caught.value.line == 8 and "does not exist" in str(caught.value)


def test_import_export_round_trip_and_nothing_stored_on_error(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "in.toml"
    source.write_text(GOOD)
    workflow, what = import_workflow_file(store, source)
    assert what == "Created" and workflow.stop_on_error is False
    assert import_workflow_file(store, source)[1] == "Unchanged"
    out = tmp_path / "out.toml"
    export_workflow_file(store, "Incoming model checks", out)
    assert read_workflow_file(store, out) == spec_of(workflow)
    again = tmp_path / "again.toml"
    import_workflow_file(store, out)
    export_workflow_file(store, "Incoming model checks", again)
    assert again.read_text() == out.read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(GOOD.replace("Incoming model checks", "Other").replace("target_lod = 300",
                                                                           "target_lod = 1"))
    with pytest.raises(WorkflowFileError):
        import_workflow_file(store, bad)
    assert [w.name for w in AutomationWorkflow.select()] == ["Incoming model checks"]
