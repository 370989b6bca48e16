"""What a run is given: the script (`ScriptSource`), its typed parameters, its `Limits`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ifcscript_desktop.core.library import get_script
from ifcscript_desktop.core.params import coerce_params, suggested_files, suggestion_for_command_line
from ifcscript_desktop.core.scriptfile import ScriptMeta, parse_script
from ifcscript_desktop.core.settings import Settings
from ifcscript_desktop.core.store import Script, Store


class UsageError(ValueError):
    """The user asked for something that cannot be run as given (exit code 2)."""


@dataclass(frozen=True)
class ScriptSource:
    """The script to run: a stored script or a .py file given by path."""

    label: str  # the name, or the path as the user gave it
    code: str
    meta: ScriptMeta
    script: Script | None = None
    path: str | None = None


@dataclass(frozen=True)
class Limits:
    """What a run may take, from the user's settings (the command's options override some)."""

    timeout_s: float
    memory_mb: int
    output_cap: int
    outputs_max_bytes: int = Settings.outputs_max_bytes
    outputs_max_files: int = Settings.outputs_max_files

    @classmethod
    def from_settings(cls, settings: Settings, timeout_s: float | None = None,
                      memory_mb: int | None = None, outputs_max_mb: int | None = None,
                      outputs_max_files: int | None = None) -> "Limits":
        return cls(timeout_s=timeout_s or settings.timeout_s,
                   memory_mb=memory_mb or settings.memory_mb,
                   output_cap=settings.output_cap_bytes,
                   outputs_max_bytes=outputs_max_mb * 1024 * 1024 if outputs_max_mb
                   else settings.outputs_max_bytes,
                   outputs_max_files=outputs_max_files or settings.outputs_max_files)

    def as_dict(self) -> dict[str, Any]:
        """The `limits` of the worker's run request (every key of `protocol.RUN_LIMITS`)."""
        return {"timeout_s": self.timeout_s, "memory_mb": self.memory_mb, "output_cap": self.output_cap,
                "outputs_max_bytes": self.outputs_max_bytes,
                "outputs_max_files": self.outputs_max_files}


def resolve_script(store: Store, ref: str) -> ScriptSource:
    """`ref` is a path to a .py file when such a file exists, else a stored script's name."""
    path = Path(ref).expanduser()
    if path.suffix == ".py" and path.is_file():
        try:
            code = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"The script file {ref} cannot be read: {exc}") from None
        return ScriptSource(label=ref, code=code, meta=parse_script(code, default_name=path.stem),
                            path=str(path.resolve()))
    script = get_script(store, ref)
    if script is None:
        hint = " (no such file either)" if path.suffix == ".py" else ""
        raise UsageError(f"There is no script named {ref!r}{hint}. `ifcscript scripts list` shows them.")
    return ScriptSource(label=script.name, code=script.code,
                        meta=parse_script(script.code, default_name=script.name), script=script)


def source_from_text(code: str, name: str, script: Script | None = None) -> ScriptSource:
    """The editor's text as a runnable source (raises ScriptFileError for a broken block)."""
    return ScriptSource(label=name, code=code, meta=parse_script(code, default_name=name), script=script)


def model_key(model_path: str) -> str:
    """The absolute path a model is known by (in the worker, the store and the JSON lines)."""
    return str(Path(model_path).expanduser().absolute())


def coerce(source: ScriptSource, raw: dict[str, Any]) -> dict[str, Any]:
    """Typed parameters, or UsageError naming the parameter and the expected type.

    A file the script suggests for itself (a `file`/`files` default) is refused with what to
    pass to allow it: only the user grants files.
    """
    suggested = suggested_files(source.meta, raw)
    if suggested:
        raise UsageError("\n".join(suggestion_for_command_line(name, paths)
                                   for name, paths in suggested.items()))
    try:
        return coerce_params(source.meta, raw)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
