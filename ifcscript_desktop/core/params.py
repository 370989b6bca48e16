"""The parameters a script declares and the values a run gives them.

A `ParamSpec` is one `[[parameters]]` table of a script's metadata block (read by
:mod:`.scriptfile`). `coerce_params` turns the values a user gave (text from the command line,
typed values from the window or a workflow) into the typed `params` a script sees; every value
that does not fit is a `ParamError` naming the parameter and the type it expects.
`granted_paths` lists the files a run may read, and `params_to_json`/`params_from_json` carry
the declarations to and from JSON. Qt-free and stdlib only.

A `file`/`files` default is only a suggestion: scripts come from anywhere, so a path a script
names for itself never becomes readable unless the user gives it (`-p`, the form's "Use
suggested", a workflow step's stored value). `coerce_params` leaves such a parameter empty and
`suggested_files` tells callers what the script suggests, so they can ask.
"""

from __future__ import annotations

import copy
import csv
import io
import math
import os
import shlex
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

if TYPE_CHECKING:
    from ifcscript_desktop.core.scriptfile import ScriptMeta

PARAM_KEYS = ("name", "type", "default", "label", "help", "required", "choices", "min", "max")
PARAM_TYPES = ("str", "int", "float", "bool", "choice", "ifc_class", "file", "files", "table")
#: The types whose values become files the run may read.
FILE_TYPES = ("file", "files")

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


class ParamError(ValueError):
    """A parameter value the script cannot accept; `name` is the parameter's name."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)


# ---------------------------------------------------------------------------------------------
# Parameter values


def coerce_params(meta: ScriptMeta, raw: Mapping[str, object],
                  base_dir: str | None = None) -> dict[str, object]:
    """The typed `params` of a run from the values a user gave.

    Values may be text (the command line's `-p NAME=VALUE`; a list parameter as a list of
    texts) or already typed (the window, a workflow). Missing values take the declared default;
    without one they are None, except bool (False) and files and table (empty lists). A
    `file`/`files` default is never taken (see `suggested_files`): the parameter stays None or
    empty until the user gives it. An empty text counts as missing for every type but str.
    Relative `file`/`files` paths are resolved against `base_dir` (default: the current
    directory) and must be existing files.
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
            params[spec.name] = coerce_value(spec, value, base_dir)
        elif (spec.type not in FILE_TYPES and spec.default is not None
              and not _is_missing(spec, spec.default)):
            params[spec.name] = coerce_value(spec, copy.deepcopy(spec.default), base_dir)
        elif spec.required:
            raise ParamError(spec.name, f'parameter "{spec.name}" is required: give '
                                        f"{expected_text(spec)}")
        else:
            params[spec.name] = {"bool": False, "files": [], "table": []}.get(spec.type)
    return params


def suggested_files(meta: ScriptMeta, raw: Mapping[str, object]) -> dict[str, list[str]]:
    """The files a script suggests for the `file`/`files` parameters the user left empty.

    Parameter name -> the default's paths as the script writes them, for every such parameter
    with a default; the run gets none of them until the user passes or confirms them.
    """
    suggested: dict[str, list[str]] = {}
    for spec in meta.parameters:
        if spec.type not in FILE_TYPES or not _is_missing(spec, raw.get(spec.name)):
            continue
        paths = suggested_paths(spec)
        if paths:
            suggested[spec.name] = paths
    return suggested


def suggested_paths(spec: ParamSpec) -> list[str]:
    """A `file`/`files` parameter's default as a list of the paths written (empty if none)."""
    default = spec.default
    if spec.type not in FILE_TYPES or default is None:
        return []
    items = default if isinstance(default, (list, tuple)) else [default]
    return [os.fspath(item) for item in items
            if isinstance(item, (str, os.PathLike)) and os.fspath(item).strip()]


def suggestion_for_command_line(name: str, paths: list[str]) -> str:
    """How the command tells the user a script suggests files: what to pass to allow them."""
    flags = " ".join(f"-p {shlex.quote(f'{name}={path}')}" for path in paths)
    return f"{name} suggests {', '.join(paths)}; pass {flags} to allow it."


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


def coerce_value(spec: ParamSpec, value: object, base_dir: str | None,
                 check_files: bool = True) -> object:
    """One value for the parameter `spec`, typed as the script will see it; ParamError if unfit.

    Text is read the way the command line gives it; a one-item list stands for that item
    (except for `files` and `table`). `file`/`files` paths are made absolute against
    `base_dir` and must exist; with `check_files` False (a declared default) they are only
    checked to be paths.
    """
    def bad(why: str = "") -> ParamError:
        return ParamError(spec.name, f'parameter "{spec.name}": expected '
                                     f"{expected_text(spec)}{why}, got {show_value(value)}")

    kind = spec.type
    if isinstance(value, (list, tuple)) and kind not in ("files", "table"):
        if len(value) != 1:
            raise ParamError(spec.name, f'parameter "{spec.name}": expected one value '
                                        f"({expected_text(spec)}), got {len(value)}")
        return coerce_value(spec, value[0], base_dir, check_files)
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
        raise ParamError(spec.name, f'parameter "{spec.name}": expected {expected_text(spec)}, '
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


def expected_text(spec: ParamSpec) -> str:
    """What the parameter `spec` accepts, in words for an error ("a whole number (int)")."""
    if spec.type == "choice":
        return f"one of {', '.join(map(str, spec.choices or ()))} (choice)"
    return EXPECTED[spec.type]


def show_value(value: object) -> str:
    """A value as an error message quotes it: text in double quotes, cut at 80 characters."""
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."

