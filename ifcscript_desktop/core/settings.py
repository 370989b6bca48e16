"""Settings shared by the window and the command, declared once with types and defaults.

Each field's metadata carries what a settings dialog or an error message needs: a label, the
unit, the smallest allowed value and what 0 means when it is special (`retention_days = 0`
keeps output files forever).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields
from typing import Any, get_type_hints

from ifcscript_desktop.core.store import Setting, Store

log = logging.getLogger(__name__)

def default_memory_mb() -> int:
    """Half the physical memory, at most 4 GiB (4096 MB when the size cannot be read)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 4096
    return min(4096, total // (2 * 1024 * 1024))


def _spec(label: str, minimum: int, unit: str, zero: str | None = None) -> dict[str, Any]:
    """`zero`: what the value 0 means when it is not a plain amount ("keep forever")."""
    return {"label": label, "min": minimum, "unit": unit, "zero": zero}


@dataclass(frozen=True)
class Settings:
    """What every run and the history housekeeping use."""

    timeout_s: int = field(default=300, metadata=_spec("Time limit per run", 1, "seconds"))
    memory_mb: int = field(
        default_factory=default_memory_mb, metadata=_spec("Memory limit per run", 64, "MB")
    )
    output_cap_bytes: int = field(
        default=10 * 1024 * 1024, metadata=_spec("Log kept per run", 1024, "bytes")
    )
    outputs_max_bytes: int = field(
        default=1 << 30, metadata=_spec("Output files per run, total size", 1024 * 1024, "bytes")
    )
    outputs_max_files: int = field(
        default=10_000, metadata=_spec("Output files per run, how many", 1, "files")
    )
    retention_days: int = field(
        default=30, metadata=_spec("Keep run output files for", 0, "days", zero="keep forever")
    )
    geometry_cache_bytes: int = field(
        default=2 << 30, metadata=_spec("3D geometry cache, total size", 0, "bytes")
    )


def _check_key(key: str) -> dict[str, Any]:
    """The metadata of setting ``key``; ValueError naming the known ones if there is none."""
    known = {f.name: f for f in fields(Settings)}
    if key not in known:
        raise ValueError(
            f"There is no setting named {key!r}; the settings are {', '.join(sorted(known))}."
        )
    return dict(known[key].metadata)


def validate_setting(key: str, value: Any) -> Any:
    """Return ``value`` if it is valid for ``key``; raise ValueError with a sentence otherwise."""
    spec = _check_key(key)
    expected = get_type_hints(Settings)[key]
    # bool is an int subclass in Python, but "True seconds" is never meant.
    if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
        raise ValueError(
            f"The setting {key!r} ({spec['label']}) must be a whole number of {spec['unit']},"
            f" not {value!r}."
        )
    if value < spec["min"]:
        zero = f" ({spec['min']}: {spec['zero']})" if spec.get("zero") and spec["min"] == 0 else ""
        raise ValueError(
            f"The setting {key!r} ({spec['label']}) must be at least {spec['min']} {spec['unit']}"
            f"{zero}, not {value!r}."
        )
    return value


def load_settings(store: Store) -> Settings:
    """The stored settings, with defaults for those never set (or stored with a bad value)."""
    store.activate()
    values: dict[str, Any] = {}
    names = {f.name for f in fields(Settings)}
    for row in Setting.select().where(Setting.key.in_(sorted(names))):
        key = row.key
        try:
            values[key] = validate_setting(key, row.value)
        except ValueError as exc:
            log.warning("Ignoring the stored value: %s", exc)
    return Settings(**values)


def save_setting(store: Store, key: str, value: Any) -> None:
    """Store one setting after checking its name and value (ValueError when wrong)."""
    validate_setting(key, value)
    store.activate()
    Setting.replace(key=key, value=value).execute()


def reset_setting(store: Store, key: str) -> None:
    """Forget a stored setting so its default applies again."""
    _check_key(key)
    store.activate()
    Setting.delete().where(Setting.key == key).execute()
