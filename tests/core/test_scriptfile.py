"""The `# /// ifcscript` metadata block and the typed parameters it declares."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ifcscript_desktop.core.scriptfile import (
    ParamError,
    ParamSpec,
    ScriptFileError,
    ScriptMeta,
    coerce_params,
    granted_paths,
    params_from_json,
    params_to_json,
    parse_script,
)

BUILTINS = Path(__file__).resolve().parents[2] / "builtin_scripts"


def script(*toml_lines: str, before: str = "import math\n", after: str = "print(1)\n") -> str:
    """A script whose block starts on line 2 (after `before`), so TOML line k is file line 2+k."""
    body = "".join(f"# {line}\n" if line else "#\n" for line in toml_lines)
    return f"{before}# /// ifcscript\n{body}# ///\n{after}"


def error_of(code: str, **kwargs: object) -> ScriptFileError:
    with pytest.raises(ScriptFileError) as info:
        parse_script(code, **kwargs)  # type: ignore[arg-type]
    return info.value


def assert_names(error: ScriptFileError, line: int, field: str | None) -> None:
    assert error.line == line
    assert error.field == field
    assert str(error).startswith(f"line {line}: ")
    if field is not None:
        assert f'"{field}"' in str(error)


# --- reading the block ---------------------------------------------------------------------


def test_full_block_is_read() -> None:
    code = script(
        'name = "Export Elements to CSV"',
        'description = "All elements as one CSV"',
        'category = "Export"',
        "",
        "[[parameters]]",
        'name = "query"',
        'type = "ifc_class"',
        'default = "IfcElement"',
        'label = "Elements"',
        'help = "An IFC class or a selector query"',
        "[[parameters]]",
        'name = "count"',
        'type = "int"',
        "default = 3",
        "min = 1",
        "max = 10",
        "required = true",
    )
    meta = parse_script(code)
    assert meta.name == "Export Elements to CSV"
    assert meta.description == "All elements as one CSV"
    assert meta.category == "Export"
    assert [p.name for p in meta.parameters] == ["query", "count"]
    assert meta.param("query") == ParamSpec(
        name="query", type="ifc_class", default="IfcElement", label="Elements",
        help="An IFC class or a selector query")
    assert meta.param("count") == ParamSpec(
        name="count", type="int", default=3, required=True, min=1, max=10)
    assert meta.param("missing") is None


def test_no_block_takes_the_default_name() -> None:
    assert parse_script("print('hi')\n", default_name="hello") == ScriptMeta(name="hello")


def test_no_block_without_default_name_says_the_block_is_missing() -> None:
    error = error_of("print('hi')\n")
    assert error.line is None
    assert "no metadata block" in str(error)


def test_block_without_name_uses_default_name() -> None:
    assert parse_script(script('category = "Quality"'), default_name="mine").name == "mine"


def test_block_without_name_and_no_default_is_an_error() -> None:
    assert_names(error_of(script('category = "Quality"')), 2, "name")


def test_other_comment_blocks_and_crlf_are_fine() -> None:
    code = "# /// script\n# dependencies = []\n# ///\n" + script('name = "A"', before="")
    assert parse_script(code.replace("\n", "\r\n")).name == "A"


def test_byte_order_mark_is_ignored() -> None:
    assert parse_script("\ufeff" + script('name = "A"', before="")).name == "A"


def test_bare_hash_line_is_an_empty_toml_line() -> None:
    assert parse_script(script('name = "A"', "", 'category = "B"')).category == "B"


def test_unclosed_block_names_its_opening_line() -> None:
    error = error_of('x = 1\n# /// ifcscript\n# name = "A"\nprint(1)\n')
    assert error.line == 2
    assert "not closed" in str(error)
    assert error_of('# /// ifcscript\n# name = "A"\n').line == 1


def test_second_block_is_an_error() -> None:
    code = script('name = "A"') + script('name = "B"', before="")
    assert error_of(code).line == 6


def test_metadata_line_without_space_after_hash() -> None:
    error = error_of(script('name = "A"', before="").replace("# name", "#name"))
    assert error.line == 2
    assert "# " in str(error)


# --- TOML errors map to the file line --------------------------------------------------------


def test_bad_toml_value_reports_the_file_line_and_key() -> None:
    error = error_of(script('name = "A"', "[[parameters]]", 'name = "count"', "default = ",
                            'type = "int"'))
    assert_names(error, 6, "default")
    assert "not valid TOML" in str(error)


def test_unterminated_string_reports_the_file_line() -> None:
    error = error_of(script('name = "A"', 'description = "oops', 'category = "B"'))
    assert_names(error, 4, "description")


def test_toml_error_at_end_of_document_points_into_the_block() -> None:
    error = error_of(script('name = "A"', "[[parameters]]", 'name = "c"', 'type = "int"',
                            "default = [1,"))
    assert error.line == 7
    assert "not valid TOML" in str(error)


def test_key_given_twice_names_the_second_line() -> None:
    assert_names(error_of(script('name = "A"', 'name = "B"')), 4, "name")
    error = error_of(script('name = "A"', "[[parameters]]", 'name = "c"', 'type = "int"',
                            'type = "str"'))
    assert_names(error, 7, "type")
    assert '"c"' in str(error)


# --- validation errors name line and field -------------------------------------------------


def test_unknown_top_level_key() -> None:
    error = error_of(script('name = "A"', 'colour = "red"'))
    assert_names(error, 4, "colour")
    assert "allowed: name, description, category, parameters" in str(error)


def test_unknown_parameter_key_lists_the_allowed_ones() -> None:
    error = error_of(script('name = "A"', "[[parameters]]", 'name = "count"', 'type = "int"',
                            "defualt = 3"))
    assert_names(error, 7, "defualt")
    assert str(error).startswith('line 7: parameter "count": unknown key "defualt" (allowed: '
                                 "name, type, default")
    assert error.parameter == "count"


@pytest.mark.parametrize("key, value", [("name", "5"), ("description", "[1]"),
                                        ("category", "true")])
def test_top_level_values_must_be_text(key: str, value: str) -> None:
    lines = ['name = "A"', f"{key} = {value}"] if key != "name" else [f"name = {value}"]
    error = error_of(script(*lines))
    assert_names(error, 2 + len(lines), key)


def test_empty_name_is_an_error() -> None:
    assert_names(error_of(script('name = " "')), 3, "name")


def test_parameters_must_be_tables() -> None:
    assert_names(error_of(script('name = "A"', "parameters = [1, 2]")), 4, "parameters")


@pytest.mark.parametrize("lines, line, field", [
    (['[[parameters]]', 'type = "int"'], 4, "name"),
    (['[[parameters]]', 'name = "c"'], 4, "type"),
    (['[[parameters]]', 'name = 3', 'type = "int"'], 5, "name"),
    (['[[parameters]]', 'name = "a b"', 'type = "int"'], 5, "name"),
    (['[[parameters]]', 'name = "c"', 'type = "integer"'], 6, "type"),
    (['[[parameters]]', 'name = "c"', 'type = "int"', "label = 1"], 7, "label"),
    (['[[parameters]]', 'name = "c"', 'type = "int"', "help = [1]"], 7, "help"),
    (['[[parameters]]', 'name = "c"', 'type = "int"', 'required = "yes"'], 7, "required"),
    (['[[parameters]]', 'name = "c"', 'type = "str"', "min = 1"], 7, "min"),
    (['[[parameters]]', 'name = "c"', 'type = "int"', 'max = "ten"'], 7, "max"),
    (['[[parameters]]', 'name = "c"', 'type = "int"', "min = 5", "max = 1"], 8, "max"),
    (['[[parameters]]', 'name = "c"', 'type = "choice"'], 4, "choices"),
    (['[[parameters]]', 'name = "c"', 'type = "choice"', "choices = []"], 7, "choices"),
    (['[[parameters]]', 'name = "c"', 'type = "choice"', "choices = [1, 1]"], 7, "choices"),
    (['[[parameters]]', 'name = "c"', 'type = "str"', 'choices = ["a"]'], 7, "choices"),
    (['[[parameters]]', 'name = "c"', 'type = "int"', 'default = "abc"'], 7, "default"),
    (['[[parameters]]', 'name = "c"', 'type = "int"', "default = 1.5"], 7, "default"),
    (['[[parameters]]', 'name = "c"', 'type = "float"', "default = true"], 7, "default"),
    (['[[parameters]]', 'name = "c"', 'type = "bool"', 'default = "yes"'], 7, "default"),
    (['[[parameters]]', 'name = "c"', 'type = "str"', "default = 3"], 7, "default"),
    (['[[parameters]]', 'name = "c"', 'type = "int"', "default = 11", "max = 10"], 7,
     "default"),
    (['[[parameters]]', 'name = "c"', 'type = "choice"', "choices = [1, 2]", "default = 3"],
     8, "default"),
    (['[[parameters]]', 'name = "c"', 'type = "files"', "default = [1]"], 7, "default"),
    (['[[parameters]]', 'name = "c"', 'type = "table"', "default = 3"], 7, "default"),
])
def test_bad_parameter_declarations(lines: list[str], line: int, field: str) -> None:
    error = error_of(script('name = "A"', *lines))
    assert_names(error, line, field)
    if error.parameter:
        assert f'parameter "{error.parameter}"' in str(error)
    else:
        assert "parameter #1" in str(error)


def test_bad_default_names_the_expected_type() -> None:
    error = error_of(script('name = "A"', "[[parameters]]", 'name = "count"', 'type = "int"',
                            'default = "abc"'))
    assert "whole number (int)" in str(error)


def test_duplicate_parameter_names() -> None:
    error = error_of(script('name = "A"', "[[parameters]]", 'name = "c"', 'type = "int"',
                            "[[parameters]]", 'name = "c"', 'type = "str"'))
    assert_names(error, 8, "name")
    assert "declared twice (first on line 5)" in str(error)


def test_inline_parameter_tables_point_at_the_parameters_line() -> None:
    error = error_of(script('name = "A"', 'parameters = [{name = "c", type = "nope"}]'))
    assert_names(error, 4, "type")


def test_defaults_are_normalised() -> None:
    meta = parse_script(script(
        'name = "A"',
        "[[parameters]]", 'name = "f"', 'type = "float"', "default = 2",
        "[[parameters]]", 'name = "lod"', 'type = "choice"', "choices = [100, 200]",
        "default = 200",
        "[[parameters]]", 'name = "rows"', 'type = "table"',
        'default = [{class = "IfcWall", pset = "Pset_WallCommon"}]',
    ))
    specs = {spec.name: spec for spec in meta.parameters}
    assert specs["f"].default == 2.0 and isinstance(specs["f"].default, float)
    assert specs["lod"].choices == (100, 200)
    assert specs["rows"].default == [{"class": "IfcWall", "pset": "Pset_WallCommon"}]


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


@pytest.mark.parametrize("filename, name", [
    ("export_elements_to_csv.py", "Export Elements to CSV"),
    ("guid_validation_check.py", "GUID Validation Check"),
    ("lod_analyzer.py", "LOD Analyzer"),
])
def test_builtin_scripts_declare_valid_metadata(filename: str, name: str) -> None:
    meta = parse_script((BUILTINS / filename).read_text(encoding="utf-8"))
    assert meta.name == name
    assert meta.description and meta.category
    params = coerce_params(meta, {})
    assert set(params) == {p.name for p in meta.parameters}
