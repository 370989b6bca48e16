"""The metadata block of a script file and the parameters it declares.

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
line of the `.py` file and the key at fault. `coerce_params` turns the values a user gave (text
from the command line, typed values from the window or a workflow) into the typed `params` a
script sees. Qt-free and stdlib only.
"""

from __future__ import annotations

import copy
import csv
import io
import math
import os
import re
import tomllib
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Iterable, Mapping

OPEN_LINE = "# /// ifcscript"
CLOSE_LINE = "# ///"

TOP_KEYS = ("name", "description", "category", "parameters")
PARAM_KEYS = ("name", "type", "default", "label", "help", "required", "choices", "min", "max")
PARAM_TYPES = ("str", "int", "float", "bool", "choice", "ifc_class", "file", "files", "table")

#: How each type is named to a user when a value does not fit.
EXPECTED = {
    "str": "text (str)",
    "int": "a whole number (int)",
    "float": "a number (float)",
    "bool": "true or false (bool)",
    "choice": "one of the choices (choice)",
    "ifc_class": "an IFC class name or selector query (ifc_class)",
    "file": "the path of an existing file (file)",
    "files": "paths of existing files (files)",
    "table": "a table: CSV text with a header row, or a list of rows (table)",
}

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})
_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_KEY_AT_LINE_START = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")


@dataclass(frozen=True)
class ParamSpec:
    """One declared parameter."""

    name: str
    type: str
    default: Any = None
    label: str | None = None
    help: str | None = None
    required: bool = False
    choices: tuple[Any, ...] | None = None
    min: int | float | None = None
    max: int | float | None = None


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


class ParamError(ValueError):
    """A parameter value the script cannot accept; `name` is the parameter's name."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)


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
            raise fail("default", f'"default" {_show(default)} is not valid: expected '
                                  f"{_expected(spec)}, not text")
        try:
            value = _coerce(spec, default, base_dir=None, check_files=False)
        except ParamError as exc:
            why = str(exc).split(": ", 1)[1].rsplit(", got ", 1)[0]
            raise fail("default", f'"default" {_show(default)} is not valid: {why}') from None
        spec = replace(spec, default=value)
    return spec


def _toml_kind(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text",
             list: "a list", dict: "a table"}
    return next((text for kind, text in names.items() if type(value) is kind), "a date or time")


# ---------------------------------------------------------------------------------------------
# Parameter values


def coerce_params(meta: ScriptMeta, raw: Mapping[str, object],
                  base_dir: str | None = None) -> dict[str, object]:
    """The typed `params` of a run from the values a user gave.

    Values may be text (the command line's `-p NAME=VALUE`; a list parameter as a list of
    texts) or already typed (the window, a workflow). Missing values take the declared default;
    without one they are None, except bool (False) and files and table (empty lists). An empty
    text counts as missing for every type but str. Relative `file`/`files` paths are resolved
    against `base_dir` (default: the current directory) and must be existing files.
    """
    for name in raw:
        if meta.param(name) is None:
            declared = ", ".join(p.name for p in meta.parameters)
            listing = f"its parameters: {declared}" if declared else "it declares none"
            raise ParamError(name, f'"{name}" is not a parameter of "{meta.name}" ({listing})')
    params: dict[str, object] = {}
    for spec in meta.parameters:
        value = raw.get(spec.name)
        if not _is_missing(spec, value):
            params[spec.name] = _coerce(spec, value, base_dir)
        elif spec.default is not None and not _is_missing(spec, spec.default):
            params[spec.name] = _coerce(spec, copy.deepcopy(spec.default), base_dir)
        elif spec.required:
            raise ParamError(spec.name, f'parameter "{spec.name}" is required: give '
                                        f"{_expected(spec)}")
        else:
            params[spec.name] = {"bool": False, "files": [], "table": []}.get(spec.type)
    return params


def params_to_json(meta: ScriptMeta) -> list[dict[str, Any]]:
    """The declared parameters as JSON-able dicts (every key present; choices as a list)."""
    out = []
    for spec in meta.parameters:
        item = asdict(spec)
        item["choices"] = list(spec.choices) if spec.choices is not None else None
        out.append(item)
    return out


def params_from_json(items: Iterable[Mapping[str, Any]]) -> tuple[ParamSpec, ...]:
    """The inverse of `params_to_json`."""
    specs = []
    for item in items:
        fields = {key: item[key] for key in PARAM_KEYS if key in item}
        if fields.get("choices") is not None:
            fields["choices"] = tuple(fields["choices"])
        specs.append(ParamSpec(**fields))
    return tuple(specs)


def granted_paths(meta: ScriptMeta, params: Mapping[str, object]) -> list[str]:
    """The files the run may read: the values of its `file` and `files` parameters."""
    paths: list[str] = []
    for spec in meta.parameters:
        value = params.get(spec.name)
        if spec.type == "file" and isinstance(value, str):
            values = [value]
        elif spec.type == "files" and isinstance(value, (list, tuple)):
            values = [v for v in value if isinstance(v, str)]
        else:
            continue
        paths.extend(v for v in values if v not in paths)
    return paths


def _is_missing(spec: ParamSpec, value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == "" and spec.type != "str"
    return isinstance(value, (list, tuple)) and len(value) == 0


def _coerce(spec: ParamSpec, value: object, base_dir: str | None,
            check_files: bool = True) -> object:
    def bad(why: str = "") -> ParamError:
        return ParamError(spec.name, f'parameter "{spec.name}": expected {_expected(spec)}'
                                     f"{why}, got {_show(value)}")

    kind = spec.type
    if isinstance(value, (list, tuple)) and kind not in ("files", "table"):
        if len(value) != 1:
            raise ParamError(spec.name, f'parameter "{spec.name}": expected one value '
                                        f"({_expected(spec)}), got {len(value)}")
        return _coerce(spec, value[0], base_dir, check_files)
    if kind in ("str", "ifc_class"):
        if not isinstance(value, str):
            raise bad()
        return value.strip() if kind == "ifc_class" else value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise bad(" (true/false, yes/no, 1/0, on/off)")
    if kind in ("int", "float"):
        number = _number(value, kind)
        if number is None:
            raise bad()
        if spec.min is not None and number < spec.min:
            raise bad(f" of at least {spec.min}")
        if spec.max is not None and number > spec.max:
            raise bad(f" of at most {spec.max}")
        return number
    if kind == "choice":
        if not isinstance(value, bool):
            text = str(value).strip()
            for choice in spec.choices or ():
                if value == choice or text == str(choice):
                    return choice
        raise bad()
    if kind == "file":
        return _path(spec, value, base_dir, check_files, bad)
    if kind == "files":
        items = [value] if isinstance(value, (str, os.PathLike)) else value
        if not isinstance(items, (list, tuple)):
            raise bad()
        return [_path(spec, item, base_dir, check_files, bad) for item in items]
    return _table(value, bad)


def _number(value: object, kind: str) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text) if kind == "int" else _finite(float(text))
        except ValueError:
            return None
    if isinstance(value, int):
        return value if kind == "int" else float(value)
    if isinstance(value, float) and math.isfinite(value):
        if kind == "float":
            return value
        return int(value) if value.is_integer() else None
    return None


def _finite(number: float) -> float:
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _path(spec: ParamSpec, value: object, base_dir: str | None, check_files: bool,
          bad: Callable[..., ParamError]) -> str:
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str) or not value.strip():
        raise bad()
    path = os.path.expanduser(value.strip())
    if base_dir is not None and check_files:
        path = os.path.join(base_dir, path)
    if not check_files:
        return path
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        reason = "is a folder" if os.path.isdir(path) else "does not exist"
        raise ParamError(spec.name, f'parameter "{spec.name}": expected {_expected(spec)}, '
                                    f"but {path} {reason}")
    return path


def _table(value: object, bad: Callable[..., ParamError]) -> list[dict[str, Any]]:
    if isinstance(value, (list, tuple)) and len(value) == 1 and isinstance(value[0], str):
        value = value[0]
    if isinstance(value, str):
        reader = csv.DictReader(io.StringIO(value.strip()))
        if not reader.fieldnames:
            raise bad(" (the header row is missing)")
        rows = []
        for row in reader:
            if None in row:
                raise bad(f" (row {reader.line_num} has more cells than the header)")
            rows.append({key: (cell if cell is not None else "") for key, cell in row.items()})
        return rows
    if isinstance(value, (list, tuple)) and all(
            isinstance(row, Mapping) and all(isinstance(k, str) for k in row) for row in value):
        return [dict(row) for row in value]
    raise bad()


def _expected(spec: ParamSpec) -> str:
    if spec.type == "choice":
        return f"one of {', '.join(map(str, spec.choices or ()))} (choice)"
    return EXPECTED[spec.type]


def _show(value: object) -> str:
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
