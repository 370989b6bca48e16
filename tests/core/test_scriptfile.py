"""The `# /// ifcscript` metadata block: reading and validating it, and where errors point."""

from __future__ import annotations

from pathlib import Path

import pytest

from ifcscript_desktop.core.params import ParamSpec, coerce_params
from ifcscript_desktop.core.scriptfile import ScriptFileError, ScriptMeta, parse_script

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


# --- the built-in scripts ------------------------------------------------------------------


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
