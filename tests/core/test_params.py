"""The typed parameters a script declares: coercing a run's values, JSON, granted paths."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ifcscript_desktop.core.params import (
    ParamError,
    ParamSpec,
    coerce_params,
    granted_paths,
    params_from_json,
    params_to_json,
    suggested_files,
    suggestion_for_command_line,
)
from ifcscript_desktop.core.scriptfile import ScriptMeta, parse_script
from tests.core.test_scriptfile import script


# --- coercion ------------------------------------------------------------------------------


def meta_with(*specs: ParamSpec) -> ScriptMeta:
    return ScriptMeta(name="Demo", parameters=specs)


@pytest.mark.parametrize("kind, text, expected", [
    ("str", " keep spaces ", " keep spaces "),
    ("str", "", ""),
    ("int", "42", 42),
    ("int", " -7 ", -7),
    ("float", "2.5", 2.5),
    ("float", "3", 3.0),
    ("ifc_class", " IfcWall, IfcSlab ", "IfcWall, IfcSlab"),
])
def test_text_values_are_coerced(kind: str, text: str, expected: object) -> None:
    params = coerce_params(meta_with(ParamSpec("v", kind)), {"v": text})
    assert params["v"] == expected and type(params["v"]) is type(expected)


@pytest.mark.parametrize("text", ["true", "YES", "1", "On", "tRuE"])
def test_bool_true_words(text: str) -> None:
    assert coerce_params(meta_with(ParamSpec("b", "bool")), {"b": text}) == {"b": True}


@pytest.mark.parametrize("text", ["false", "No", "0", "OFF"])
def test_bool_false_words(text: str) -> None:
    assert coerce_params(meta_with(ParamSpec("b", "bool")), {"b": text}) == {"b": False}


@pytest.mark.parametrize("kind, value, expected_text", [
    ("int", "abc", 'parameter "v": expected a whole number (int), got "abc"'),
    ("int", "1.5", "whole number (int)"),
    ("int", True, "whole number (int)"),
    ("float", "x", "a number (float)"),
    ("float", "nan", "a number (float)"),
    ("bool", "maybe", "true or false (bool)"),
    ("bool", 2, "true or false (bool)"),
    ("str", 3, "text (str)"),
    ("ifc_class", 3, "ifc_class"),
    ("table", 3, "(table)"),
    ("table", [1, 2], "(table)"),
])
def test_bad_values_name_parameter_and_type(kind: str, value: object,
                                            expected_text: str) -> None:
    with pytest.raises(ParamError) as info:
        coerce_params(meta_with(ParamSpec("v", kind)), {"v": value})
    assert info.value.name == "v"
    assert 'parameter "v"' in str(info.value)
    assert expected_text in str(info.value)


def test_typed_values_pass_through() -> None:
    meta = meta_with(ParamSpec("i", "int"), ParamSpec("f", "float"), ParamSpec("b", "bool"))
    assert coerce_params(meta, {"i": 3, "f": 2, "b": True}) == {"i": 3, "f": 2.0, "b": True}
    assert coerce_params(meta, {"i": 4.0})["i"] == 4


def test_min_and_max_are_checked() -> None:
    meta = meta_with(ParamSpec("n", "int", min=1, max=10), ParamSpec("x", "float", min=0.5))
    assert coerce_params(meta, {"n": "10", "x": "0.5"}) == {"n": 10, "x": 0.5}
    with pytest.raises(ParamError, match=r'parameter "n": .*\(int\) of at least 1, got "0"'):
        coerce_params(meta, {"n": "0"})
    with pytest.raises(ParamError, match=r"of at most 10"):
        coerce_params(meta, {"n": 11})
    with pytest.raises(ParamError, match=r'parameter "x".*at least 0.5'):
        coerce_params(meta, {"x": 0.1})


def test_choices_keep_their_declared_type() -> None:
    meta = meta_with(ParamSpec("lod", "choice", default=300, choices=(100, 200, 300)),
                     ParamSpec("unit", "choice", choices=("m", "mm")))
    assert coerce_params(meta, {"lod": "200", "unit": "mm"}) == {"lod": 200, "unit": "mm"}
    assert coerce_params(meta, {"lod": 100})["lod"] == 100
    assert coerce_params(meta, {}) == {"lod": 300, "unit": None}
    with pytest.raises(ParamError, match=r'parameter "lod": expected one of 100, 200, 300'):
        coerce_params(meta, {"lod": "250"})


def test_defaults_and_empty_values() -> None:
    meta = meta_with(ParamSpec("out", "str", default="elements.csv"), ParamSpec("n", "int"),
                     ParamSpec("b", "bool"), ParamSpec("fs", "files"), ParamSpec("t", "table"),
                     ParamSpec("k", "int", default=5))
    assert coerce_params(meta, {}) == {"out": "elements.csv", "n": None, "b": False, "fs": [],
                                       "t": [], "k": 5}
    assert coerce_params(meta, {"out": "", "k": ""}) == {"out": "", "n": None, "b": False,
                                                         "fs": [], "t": [], "k": 5}


def test_defaults_are_not_shared_between_runs() -> None:
    meta = meta_with(ParamSpec("t", "table", default=[{"a": "1"}]))
    first = coerce_params(meta, {})
    first["t"][0]["a"] = "changed"  # type: ignore[index]
    assert coerce_params(meta, {})["t"] == [{"a": "1"}]


def test_required_without_value() -> None:
    meta = meta_with(ParamSpec("ids", "file", required=True))
    with pytest.raises(ParamError, match=r'parameter "ids" is required.*\(file\)') as info:
        coerce_params(meta, {})
    assert info.value.name == "ids"
    with pytest.raises(ParamError):
        coerce_params(meta_with(ParamSpec("fs", "files", required=True)), {"fs": []})


def test_undeclared_name_lists_the_declared_ones() -> None:
    meta = meta_with(ParamSpec("query", "ifc_class"), ParamSpec("output", "str"))
    with pytest.raises(ParamError) as info:
        coerce_params(meta, {"qeury": "IfcWall"})
    assert info.value.name == "qeury"
    assert '"qeury" is not a parameter of "Demo"' in str(info.value)
    assert "query, output" in str(info.value)
    with pytest.raises(ParamError, match="declares none"):
        coerce_params(ScriptMeta(name="Bare"), {"x": "1"})


def test_repeated_values_for_a_single_parameter() -> None:
    meta = meta_with(ParamSpec("n", "int"))
    assert coerce_params(meta, {"n": ["3"]}) == {"n": 3}
    with pytest.raises(ParamError, match=r'parameter "n": expected one value'):
        coerce_params(meta, {"n": ["3", "4"]})


def test_file_values_become_absolute_existing_paths(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.ifc").write_text("x")
    (tmp_path / "b c.ifc").write_text("x")
    monkeypatch.chdir(tmp_path)
    meta = meta_with(ParamSpec("one", "file"), ParamSpec("many", "files"))
    params = coerce_params(meta, {"one": "a.ifc", "many": ["a.ifc", str(tmp_path / "b c.ifc")]})
    assert params == {"one": str(tmp_path / "a.ifc"),
                      "many": [str(tmp_path / "a.ifc"), str(tmp_path / "b c.ifc")]}
    assert all(os.path.isabs(p) for p in params["many"])  # type: ignore[attr-defined]
    assert coerce_params(meta, {"many": "a.ifc"})["many"] == [str(tmp_path / "a.ifc")]
    assert coerce_params(meta, {"one": tmp_path / "a.ifc"})["one"] == str(tmp_path / "a.ifc")


def test_file_values_relative_to_a_base_dir(tmp_path: Path) -> None:
    (tmp_path / "rules.ids").write_text("x")
    params = coerce_params(meta_with(ParamSpec("ids", "file")), {"ids": "rules.ids"},
                           base_dir=str(tmp_path))
    assert params["ids"] == str(tmp_path / "rules.ids")


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    meta = meta_with(ParamSpec("one", "file"), ParamSpec("many", "files"))
    with pytest.raises(ParamError, match=r'parameter "one": .*\(file\), but .* does not exist'):
        coerce_params(meta, {"one": str(tmp_path / "nope.ifc")})
    with pytest.raises(ParamError, match=r'parameter "many": .*is a folder') as info:
        coerce_params(meta, {"many": [str(tmp_path)]})
    assert info.value.name == "many"


def test_table_from_csv_text_and_from_rows() -> None:
    meta = meta_with(ParamSpec("t", "table"))
    text = "class,pset,property\nIfcWall,Pset_WallCommon,FireRating\nIfcDoor,,\n"
    assert coerce_params(meta, {"t": text}) == {"t": [
        {"class": "IfcWall", "pset": "Pset_WallCommon", "property": "FireRating"},
        {"class": "IfcDoor", "pset": "", "property": ""}]}
    assert coerce_params(meta, {"t": [text]})["t"][0]["class"] == "IfcWall"  # type: ignore
    rows = [{"class": "IfcSlab", "pset": "Pset_SlabCommon"}]
    assert coerce_params(meta, {"t": rows}) == {"t": rows}
    with pytest.raises(ParamError, match="more cells than the header"):
        coerce_params(meta, {"t": "a,b\n1,2,3\n"})


# --- JSON, granted paths, round trips ------------------------------------------------------


def test_params_to_json_round_trips() -> None:
    meta = parse_script(script(
        'name = "A"',
        "[[parameters]]", 'name = "lod"', 'type = "choice"', "choices = [100, 300]",
        "default = 300", 'label = "Target"', 'help = "LOD"',
        "[[parameters]]", 'name = "n"', 'type = "int"', "min = 0", "max = 9", "required = true",
        "[[parameters]]", 'name = "models"', 'type = "files"', "default = []",
    ))
    data = json.loads(json.dumps(params_to_json(meta)))
    assert data[0] == {"name": "lod", "type": "choice", "default": 300, "label": "Target",
                       "help": "LOD", "required": False, "choices": [100, 300], "min": None,
                       "max": None}
    assert params_from_json(data) == meta.parameters


def test_granted_paths_are_the_file_values(tmp_path: Path) -> None:
    for name in ("a.ids", "b.ifc", "c.ifc"):
        (tmp_path / name).write_text("x")
    meta = meta_with(ParamSpec("ids", "file"), ParamSpec("others", "files"),
                     ParamSpec("output", "str"))
    params = coerce_params(meta, {"ids": str(tmp_path / "a.ids"), "output": "x.csv",
                                  "others": [str(tmp_path / "b.ifc"), str(tmp_path / "c.ifc"),
                                             str(tmp_path / "b.ifc")]})
    assert granted_paths(meta, params) == [str(tmp_path / n) for n in ("a.ids", "b.ifc",
                                                                       "c.ifc")]
    assert granted_paths(meta, coerce_params(meta, {})) == []



# --- file defaults are suggestions, never grants ----------------------------------------------


def test_a_file_default_is_never_a_value_or_a_grant(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("canary")
    meta = meta_with(ParamSpec("key", "file", default=str(secret)),
                     ParamSpec("others", "files", default=[str(secret), "b.ifc"]),
                     ParamSpec("none", "files", default=[]), ParamSpec("plain", "file"))
    params = coerce_params(meta, {})
    assert params == {"key": None, "others": [], "none": [], "plain": None}
    assert granted_paths(meta, params) == []
    assert suggested_files(meta, {}) == {"key": [str(secret)], "others": [str(secret), "b.ifc"]}
    assert suggested_files(meta, {"key": "", "others": []}) == suggested_files(meta, {})


def test_a_suggested_file_the_user_gives_is_granted(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("canary")
    meta = meta_with(ParamSpec("key", "file", default=str(secret)))
    given = {"key": str(secret)}
    assert suggested_files(meta, given) == {}
    assert granted_paths(meta, coerce_params(meta, given)) == [str(secret)]


def test_a_required_file_with_a_default_still_needs_the_user() -> None:
    meta = meta_with(ParamSpec("ids", "file", default="rules.ids", required=True))
    with pytest.raises(ParamError, match=r'parameter "ids" is required'):
        coerce_params(meta, {})
    assert suggested_files(meta, {}) == {"ids": ["rules.ids"]}


def test_the_command_line_sentence_says_what_to_pass() -> None:
    assert (suggestion_for_command_line("ids", ["/tmp/rules.ids"])
            == "ids suggests /tmp/rules.ids; pass -p ids=/tmp/rules.ids to allow it.")
    assert (suggestion_for_command_line("others", ["a.ifc", "my b.ifc"])
            == "others suggests a.ifc, my b.ifc; pass -p others=a.ifc -p 'others=my b.ifc' "
               "to allow it.")
