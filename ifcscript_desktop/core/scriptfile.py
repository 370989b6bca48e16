"""The metadata block of a script file.

A script is one plain `.py` file whose metadata sits in a comment block in the PEP 723 style::

    # /// ifcscript
    # name = "Export Elements to CSV"
    # category = "Export"
    # [[parameters]]
    # name = "query"
    # type = "ifc_class"
    # default = "IfcElement"
    # ///

`parse_script` reads and validates the block; every problem is a `ScriptFileError` naming the
line of the `.py` file and the key at fault. The parameters it declares (`ParamSpec`) and the
coercion of the values a run gives them (`coerce_params`) live in :mod:`.params`. Qt-free and
stdlib only.
"""

from __future__ import annotations

import ast

import re
import tomllib
from dataclasses import dataclass, replace
from typing import Any

from ifcscript_desktop.core.params import (
    PARAM_KEYS,
    PARAM_TYPES,
    ParamError,
    ParamSpec,
    coerce_value,
    expected_text,
    show_value,
)

OPEN_LINE = "# /// ifcscript"
CLOSE_LINE = "# ///"

TOP_KEYS = ("name", "description", "category", "parameters")

_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_KEY_AT_LINE_START = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")


@dataclass(frozen=True)
class ScriptMeta:
    """What a script's metadata block declares."""

    name: str
    description: str = ""
    category: str = ""
    parameters: tuple[ParamSpec, ...] = ()

    def param(self, name: str) -> ParamSpec | None:
        """The parameter called `name`, or None."""
        for spec in self.parameters:
            if spec.name == name:
                return spec
        return None


class ScriptFileError(ValueError):
    """The metadata block is missing or invalid.

    `line` is the 1-based line in the `.py` file (None when there is no block at all), `field`
    the key at fault (`"name"`, `"default"`, ...), `parameter` the name of the parameter the
    key belongs to, when it belongs to one, and `detail` the sentence without its line.
    """

    def __init__(self, message: str, line: int | None = None, field: str | None = None,
                 parameter: str | None = None) -> None:
        self.line = line
        self.field = field
        self.parameter = parameter
        self.detail = message
        super().__init__(f"line {line}: {message}" if line is not None else message)


# ---------------------------------------------------------------------------------------------
# Reading the block


@dataclass
class _Block:
    open_line: int  # 1-based file line of "# /// ifcscript"
    toml: str

    def file_line(self, toml_line: int) -> int:
        return self.open_line + toml_line


def _find_block(code: str) -> _Block | None:
    lines = code.removeprefix("\ufeff").splitlines()
    block: _Block | None = None
    index = 0
    while index < len(lines):
        if lines[index].rstrip() != OPEN_LINE:
            index += 1
            continue
        open_line = index + 1
        if block is not None:
            raise ScriptFileError("a second `# /// ifcscript` block; a script has one", open_line)
        content: list[str] = []
        index += 1
        while True:
            if index == len(lines) or not lines[index].startswith("#"):
                raise ScriptFileError(
                    "the `# /// ifcscript` block is not closed: end it with a `# ///` line",
                    open_line)
            text = lines[index].rstrip()
            if text == CLOSE_LINE:
                break
            if text == "#":
                content.append("")
            elif text.startswith("# "):
                content.append(text[2:])
            else:
                raise ScriptFileError(
                    "a metadata line must start with `# ` (hash and space)", index + 1)
            index += 1
        block = _Block(open_line, "\n".join(content) + "\n")
        index += 1
    return block


class _KeyLines:
    """Where each key of the TOML sits, found by a light scan (tomllib gives no positions)."""

    def __init__(self, block: _Block) -> None:
        self.block = block
        self.top: dict[str, int] = {}
        self.param_header: list[int] = []
        self.param_keys: list[dict[str, int]] = []
        section: str | None = None  # None: top level; "parameters": inside a [[parameters]]
        in_multiline: str | None = None
        for number, raw in enumerate(block.toml.splitlines(), start=1):
            line = raw.strip()
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            file_line = block.file_line(number)
            if line.startswith("[["):
                section = line.strip("[] \t")
                if section == "parameters":
                    self.param_header.append(file_line)
                    self.param_keys.append({})
                else:
                    self.top.setdefault(section.split(".")[0], file_line)
                continue
            if line.startswith("["):
                section = line.strip("[] \t")
                self.top.setdefault(section.split(".")[0], file_line)
                continue
            match = _KEY_AT_LINE_START.match(line)
            if not match:
                continue
            key = match.group(1).strip("\"'")
            where = self.param_keys[-1] if section == "parameters" and self.param_keys \
                else self.top if section is None else None
            if where is not None:
                if key in where:
                    param = self._name_in(where, section)
                    raise ScriptFileError(f'{_subject(param, key)} is given twice', file_line,
                                          key, param)
                where[key] = file_line
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_multiline = quote

    def _name_in(self, where: dict[str, int], section: str | None) -> str | None:
        if section != "parameters" or "name" not in where:
            return None
        text = self.block.toml.splitlines()[where["name"] - self.block.open_line - 1]
        match = re.search(r"""=\s*["']([^"']*)["']""", text)
        return match.group(1) if match else None

    def of_top(self, key: str) -> int:
        return self.top.get(key, self.block.open_line)

    def of_param(self, index: int, key: str | None = None) -> int:
        if index < len(self.param_keys):
            if key is not None and key in self.param_keys[index]:
                return self.param_keys[index][key]
            return self.param_header[index]
        return self.of_top("parameters")


def _subject(param: str | None, key: str) -> str:
    return f'parameter "{param}": key "{key}"' if param else f'key "{key}"'


def _toml_error(exc: tomllib.TOMLDecodeError, block: _Block) -> ScriptFileError:
    message = str(exc)
    match = _TOML_POSITION.search(message)
    reason = message[:match.start()] if match else message
    toml_lines = block.toml.splitlines()
    if match and match.group(1):
        toml_line, column = int(match.group(1)), int(match.group(2))
        where = f"{reason[0].lower()}{reason[1:]} at column {column}"
    else:  # tomllib could not say where: the last line of the block is the best guess
        toml_line, where = max(len(toml_lines), 1), f"{reason[0].lower()}{reason[1:]}"
    text = toml_lines[toml_line - 1] if toml_line <= len(toml_lines) else ""
    key_match = _KEY_AT_LINE_START.match(text)
    field = key_match.group(1).strip("\"'") if key_match else None
    subject = f'key "{field}": ' if field else ""
    return ScriptFileError(f"{subject}not valid TOML: {where}", block.file_line(toml_line), field)


# ---------------------------------------------------------------------------------------------
# Validating it


def parse_script(code: str, default_name: str | None = None) -> ScriptMeta:
    """The metadata a script declares.

    Without a block, a script named `default_name` with no parameters (or an error when no
    default name is given); a block without `name` takes `default_name` too.
    """
    block = _find_block(code)
    if block is None:
        if default_name:
            return ScriptMeta(name=default_name)
        raise ScriptFileError(
            "the script has no metadata block: start it with `# /// ifcscript`, "
            "`# name = \"...\"` and `# ///`")
    keys = _KeyLines(block)
    try:
        data = tomllib.loads(block.toml)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, block) from None

    for key in data:
        if key not in TOP_KEYS:
            raise ScriptFileError(f'unknown key "{key}" (allowed: {", ".join(TOP_KEYS)})',
                                  keys.of_top(key), key)
    name = data.get("name", default_name)
    if name is None:
        raise ScriptFileError('the metadata block has no "name"', block.open_line, "name")
    texts = {"name": name}
    for key in ("description", "category"):
        texts[key] = data.get(key, "")
    for key, value in texts.items():
        if not isinstance(value, str):
            raise ScriptFileError(f'"{key}" must be text in quotes, not {_toml_kind(value)}',
                                  keys.of_top(key), key)
    if not texts["name"].strip():
        raise ScriptFileError('"name" must not be empty', keys.of_top("name"), "name")

    raw_params = data.get("parameters", [])
    if not isinstance(raw_params, list) or not all(isinstance(p, dict) for p in raw_params):
        raise ScriptFileError('"parameters" must be a list of `[[parameters]]` tables',
                              keys.of_top("parameters"), "parameters")
    params: list[ParamSpec] = []
    for index, raw in enumerate(raw_params):
        spec = _param_spec(raw, index, keys)
        first = next((i for i, p in enumerate(params) if p.name == spec.name), None)
        if first is not None:
            raise ScriptFileError(
                f'parameter "{spec.name}" is declared twice (first on line '
                f'{keys.of_param(first, "name")}): each "name" must be unique',
                keys.of_param(index, "name"), "name", spec.name)
        params.append(spec)
    return ScriptMeta(name=texts["name"].strip(), description=texts["description"],
                      category=texts["category"], parameters=tuple(params))


def _param_spec(raw: dict[str, Any], index: int, keys: _KeyLines) -> ParamSpec:
    label_name = raw.get("name") if isinstance(raw.get("name"), str) else None

    def fail(key: str, message: str) -> ScriptFileError:
        subject = f'parameter "{label_name}"' if label_name else f"parameter #{index + 1}"
        return ScriptFileError(f"{subject}: {message}", keys.of_param(index, key), key,
                               label_name)

    for key in raw:
        if key not in PARAM_KEYS:
            raise fail(key, f'unknown key "{key}" (allowed: {", ".join(PARAM_KEYS)})')
    for key in ("name", "type"):
        if key not in raw:
            raise fail(key, f'missing key "{key}"')
    for key in ("name", "type", "label", "help"):
        if key in raw and not isinstance(raw[key], str):
            raise fail(key, f'"{key}" must be text in quotes, not {_toml_kind(raw[key])}')
    name, kind = raw["name"], raw["type"]
    if not name.isidentifier():
        raise fail("name", f'"name" must be letters, digits and _ (not starting with a '
                           f'digit), not "{name}"')
    if kind not in PARAM_TYPES:
        raise fail("type", f'"type" is "{kind}", which is not a known type '
                           f'(known: {", ".join(PARAM_TYPES)})')
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise fail("required", f'"required" must be true or false, not {_toml_kind(required)}')

    choices: tuple[Any, ...] | None = None
    if "choices" in raw:
        if kind != "choice":
            raise fail("choices", f'"choices" is only for type "choice", not "{kind}"')
        values = raw["choices"]
        if (not isinstance(values, list) or not values
                or not all(_is_number(v) or isinstance(v, str) for v in values)):
            raise fail("choices", '"choices" must be a non-empty list of texts or numbers')
        if len(set(map(str, values))) != len(values):
            raise fail("choices", '"choices" lists a value twice')
        choices = tuple(values)
    elif kind == "choice":
        raise fail("choices", 'type "choice" needs a "choices" list')

    bounds: dict[str, int | float | None] = {"min": None, "max": None}
    for key in bounds:
        if key in raw:
            if kind not in ("int", "float"):
                raise fail(key, f'"{key}" is only for types int and float, not "{kind}"')
            if not _is_number(raw[key]):
                raise fail(key, f'"{key}" must be a number, not {_toml_kind(raw[key])}')
            bounds[key] = raw[key]
    low, high = bounds["min"], bounds["max"]
    if low is not None and high is not None and low > high:
        raise fail("max", f'"max" ({high}) is below "min" ({low})')

    spec = ParamSpec(name=name, type=kind, label=raw.get("label"), help=raw.get("help"),
                     required=required, choices=choices, min=low, max=high)
    if "default" in raw:
        default = raw["default"]
        if kind in ("int", "float", "bool") and isinstance(default, str):
            raise fail("default", f'"default" {show_value(default)} is not valid: expected '
                                  f"{expected_text(spec)}, not text")
        try:
            value = coerce_value(spec, default, base_dir=None, check_files=False)
        except ParamError as exc:
            why = str(exc).split(": ", 1)[1].rsplit(", got ", 1)[0]
            raise fail("default", f'"default" {show_value(default)} is not valid: {why}') from None
        spec = replace(spec, default=value)
    return spec


def _toml_kind(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "a table"}
    return next((text for kind, text in names.items() if type(value) is kind), "a date or time")


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def names_properties(code: Any) -> bool:
    """Whether a script's source names `properties` (a name, not an attribute or a string)."""
    if not isinstance(code, str) or "properties" not in code:
        return False
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):  # the run reports it
        return False
    return any(isinstance(node, ast.Name) and node.id == "properties" for node in ast.walk(tree))
