"""The workflow file: a TOML file teams share, read and validated, and written back.

::

    name = "Incoming model checks"
    description = "GUIDs and LOD on every delivery"
    enabled = true
    stop_on_error = false     # per model: a failed step skips that model's later steps
    [trigger]
    kind = "manual"            # manual | on_open | watch
    folder = "incoming"        # for watch; relative to the TOML file
    [[steps]]
    name = "GUIDs"
    script = "GUID Validation Check"
    [[steps]]
    name = "LOD"
    script = "LOD Analyzer"
    params = { target_lod = 300 }

`parse_workflow` refuses bad TOML, unknown keys, missing or duplicate step names, scripts the
store does not hold and parameter values the script's declared parameters do not accept, each
as a `WorkflowFileError` naming the line of the file. `dump_workflow` writes a spec back as
TOML that parses to the same spec. `step_files` and `files_outside` say which files a workflow
would let its scripts read, and which of them lie outside a folder (the TOML's, on import: a
shared file may only point inside its own folder unless the user allows more). Qt-free.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ifcscript_desktop.core.library import get_script
from ifcscript_desktop.core.params import (FILE_TYPES, ParamError, coerce_params, granted_paths,
                                           show_value)
from ifcscript_desktop.core.scriptfile import ScriptFileError, parse_script
from ifcscript_desktop.core.store import Store

TOP_KEYS = ("name", "description", "enabled", "stop_on_error", "trigger", "steps")
TRIGGER_KEYS = ("kind", "folder")
TRIGGER_KINDS = ("manual", "on_open", "watch")
STEP_KEYS = ("name", "script", "params")

_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*[.=]""")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class WorkflowFileError(ValueError):
    """A workflow file that cannot be used; `line` is the 1-based line at fault (or None)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        self.detail = message
        super().__init__(f"line {line}: {message}" if line is not None else message)


@dataclass(frozen=True)
class StepSpec:
    name: str
    script: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkflowSpec:
    name: str
    steps: tuple[StepSpec, ...]
    description: str = ""
    enabled: bool = True
    stop_on_error: bool = True
    trigger: dict[str, Any] = field(default_factory=lambda: {"kind": "manual"})


# -- where keys sit ------------------------------------------------------------------------------


class _Lines:
    """Lines of the top keys, the trigger's keys and each step's keys (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self.top: dict[str, int] = {}
        self.trigger: dict[str, int] = {}
        self.steps: list[dict[str, int]] = []  # "" -> the [[steps]] header line
        self.step_params: list[dict[str, int]] = []
        section = ""
        multiline: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if multiline:
                if line.count(multiline) % 2 == 1:
                    multiline = None
                continue
            if not line or line.startswith("#"):
                continue
            if line.startswith("[[") and line.split("]]")[0].strip("[ \t") == "steps":
                section = "steps"
                self.steps.append({"": number})
                self.step_params.append({})
                continue
            if line.startswith("["):
                section = line.split("]")[0].strip("[ \t").replace(" ", "")
                if section == "steps.params" and self.steps:
                    self.steps[-1].setdefault("params", number)
                else:
                    self.top.setdefault(section.split(".")[0], number)
                continue
            match = _KEY.match(line)
            if match:
                key = match.group(1).strip("\"'")
                where = {"": self.top, "trigger": self.trigger}.get(section)
                if section == "steps" and self.steps:
                    where = self.steps[-1]
                elif section == "steps.params" and self.step_params:
                    where = self.step_params[-1]
                if where is not None:
                    where.setdefault(key, number)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    multiline = quote

    def of_top(self, key: str) -> int | None:
        return self.top.get(key)

    def of_step(self, index: int, key: str = "") -> int | None:
        if index >= len(self.steps):
            return self.top.get("steps")
        return self.steps[index].get(key, self.steps[index][""])

    def of_param(self, index: int, name: str) -> int | None:
        if index < len(self.step_params) and name in self.step_params[index]:
            return self.step_params[index][name]
        return self.of_step(index, "params")


# -- reading -------------------------------------------------------------------------------------


def read_workflow_file(store: Store, path: str | os.PathLike[str]) -> WorkflowSpec:
    """The workflow in the TOML file at `path`, validated against the store's scripts."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowFileError(f"The workflow file {file} cannot be read: {exc}") from None
    return parse_workflow(text, store, base_dir=str(file.resolve().parent))


def parse_workflow(text: str, store: Store, base_dir: str | None = None) -> WorkflowSpec:
    """Validate a workflow file's text; relative paths are relative to `base_dir`."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, text) from None
    lines = _Lines(text)
    for key in data:
        if key not in TOP_KEYS:
            raise WorkflowFileError(f'unknown key "{key}" (allowed: {", ".join(TOP_KEYS)})',
                                    lines.of_top(key))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise WorkflowFileError('the workflow needs a "name": text in quotes, not empty',
                                lines.of_top("name"))
    description = data.get("description", "")
    if not isinstance(description, str):
        raise WorkflowFileError('"description" must be text in quotes', lines.of_top("description"))
    flags = {}
    for key in ("enabled", "stop_on_error"):
        value = data.get(key, True)
        if not isinstance(value, bool):
            raise WorkflowFileError(f'"{key}" must be true or false, not {show_value(value)}',
                                    lines.of_top(key))
        flags[key] = value
    trigger = _trigger(data.get("trigger", {"kind": "manual"}), lines, base_dir)
    steps = _steps(data.get("steps"), lines, store, base_dir)
    return WorkflowSpec(name=name.strip(), description=description, steps=steps,
                        trigger=trigger, **flags)


def _trigger(raw: Any, lines: _Lines, base_dir: str | None) -> dict[str, Any]:
    where = lines.of_top("trigger")
    if not isinstance(raw, dict):
        raise WorkflowFileError('"trigger" must be a table: `[trigger]` with `kind = "manual"`',
                                where)
    for key in raw:
        if key not in TRIGGER_KEYS:
            raise WorkflowFileError(f'trigger: unknown key "{key}" (allowed: '
                                    f'{", ".join(TRIGGER_KEYS)})', lines.trigger.get(key, where))
    kind = raw.get("kind", "manual")
    if kind not in TRIGGER_KINDS:
        raise WorkflowFileError(f'trigger: "kind" must be one of {", ".join(TRIGGER_KINDS)}, '
                                f"not {show_value(kind)}", lines.trigger.get("kind", where))
    trigger: dict[str, Any] = {"kind": kind}
    if "folder" in raw:
        folder = raw["folder"]
        if not isinstance(folder, str) or not folder.strip():
            raise WorkflowFileError('trigger: "folder" must be a folder path in quotes',
                                    lines.trigger.get("folder", where))
        trigger["folder"] = folder
        if base_dir is not None:
            trigger["base_dir"] = base_dir
    return trigger


def _steps(raw: Any, lines: _Lines, store: Store, base_dir: str | None) -> tuple[StepSpec, ...]:
    if raw is None:
        raise WorkflowFileError("the workflow has no steps: add a `[[steps]]` table with "
                                '`name` and `script`', None)
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise WorkflowFileError('"steps" must be a list of `[[steps]]` tables', lines.of_top("steps"))
    if not raw:
        raise WorkflowFileError("the workflow has no steps", lines.of_top("steps"))
    steps: list[StepSpec] = []
    for index, item in enumerate(raw):
        for key in item:
            if key not in STEP_KEYS:
                raise WorkflowFileError(f'step {index + 1}: unknown key "{key}" (allowed: '
                                        f'{", ".join(STEP_KEYS)})', lines.of_step(index, key))
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise WorkflowFileError(f'step {index + 1} needs a "name": text in quotes, unique in '
                                    "the workflow", lines.of_step(index, "name"))
        name = name.strip()
        if any(step.name == name for step in steps):
            raise WorkflowFileError(f'step {index + 1}: the name "{name}" is used by an earlier '
                                    "step; step names must be unique", lines.of_step(index, "name"))
        script_name = item.get("script")
        if not isinstance(script_name, str) or not script_name.strip():
            raise WorkflowFileError(f'step "{name}" needs a "script": the name of a stored script',
                                    lines.of_step(index, "script"))
        params = item.get("params", {})
        if not isinstance(params, dict):
            raise WorkflowFileError(f'step "{name}": "params" must be a table, e.g. '
                                    "`params = { target_lod = 300 }`", lines.of_step(index, "params"))
        script = get_script(store, script_name)
        if script is None:
            raise WorkflowFileError(f'step "{name}": there is no stored script named '
                                    f'"{script_name.strip()}" (`ifcscript scripts list` shows them)',
                                    lines.of_step(index, "script"))
        try:
            meta = parse_script(script.code, default_name=script.name)
            typed = coerce_params(meta, params, base_dir=base_dir)
        except ParamError as exc:
            raise WorkflowFileError(f'step "{name}": {exc}', lines.of_param(index, exc.name)) from None
        except ScriptFileError as exc:
            raise WorkflowFileError(f'step "{name}": the script "{script.name}" is broken: {exc}',
                                    lines.of_step(index, "script")) from None
        # Files are kept as resolved absolute paths, so later runs depend neither on where they
        # start nor on where a link points later: what is granted is what the import checked.
        kept = {key: _resolved(typed[key]) if (spec := meta.param(key)) and spec.type in FILE_TYPES
                else value for key, value in params.items()}
        steps.append(StepSpec(name=name, script=script.name, params=kept))
    return tuple(steps)


def _resolved(value: Any) -> Any:
    if isinstance(value, str):
        return os.path.realpath(value)
    if isinstance(value, list):
        return [os.path.realpath(item) for item in value]
    return value


def step_files(store: Store, spec: WorkflowSpec) -> list[str]:
    """Every file the steps' `file`/`files` parameters give their scripts to read, resolved."""
    found: list[str] = []
    for step in spec.steps:
        script = get_script(store, step.script)
        if script is None:
            continue
        meta = parse_script(script.code, default_name=script.name)
        found.extend(os.path.realpath(path) for path in granted_paths(meta, step.params))
    return list(dict.fromkeys(found))


def files_outside(paths: list[str], folder: str | os.PathLike[str]) -> list[str]:
    """The resolved `paths` not inside `folder` (links and `..` resolved on both sides)."""
    root = os.path.realpath(folder)
    outside = []
    for path in paths:
        real = os.path.realpath(path)
        if os.path.commonpath([root, real]) != root and real not in outside:
            outside.append(real)
    return outside


def _toml_error(exc: tomllib.TOMLDecodeError, text: str) -> WorkflowFileError:
    message = str(exc)
    match = _TOML_POSITION.search(message)
    reason = message[:match.start()] if match else message
    reason = reason[:1].lower() + reason[1:]
    if match and match.group(1):
        return WorkflowFileError(f"not valid TOML: {reason} at column {match.group(2)}",
                                 int(match.group(1)))
    return WorkflowFileError(f"not valid TOML: {reason}", max(len(text.splitlines()), 1))


# -- writing -------------------------------------------------------------------------------------


def dump_workflow(spec: WorkflowSpec) -> str:
    """The workflow as a TOML file that `parse_workflow` reads back to the same spec."""
    out = [f"name = {_value(spec.name)}"]
    if spec.description:
        out.append(f"description = {_value(spec.description)}")
    out.append(f"enabled = {_value(spec.enabled)}")
    out.append(f"stop_on_error = {_value(spec.stop_on_error)}")
    out += ["", "[trigger]", f"kind = {_value(spec.trigger.get('kind', 'manual'))}"]
    if spec.trigger.get("folder"):
        out.append(f"folder = {_value(spec.trigger['folder'])}")
    for step in spec.steps:
        out += ["", "[[steps]]", f"name = {_value(step.name)}", f"script = {_value(step.script)}"]
        params = {key: value for key, value in step.params.items() if value is not None}
        if params:
            out.append(f"params = {_value(params)}")
    return "\n".join(out) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # JSON's escapes are all valid in a TOML basic string; DEL must be escaped too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = [f"{_key(str(k))} = {_value(v)}" for k, v in value.items() if v is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    raise TypeError(f"a {type(value).__name__} cannot be written to a workflow file")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _value(key)
