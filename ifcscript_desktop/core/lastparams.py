"""The parameter values last used with each script, so the form shows them again next time.

Kept in the store's ``Setting`` table as JSON under ``params.last.<script name>``, so the window
and the command share them. Reading is forgiving: a value that is missing, not JSON or not an
object reads as "nothing remembered", never as an error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from ifcscript_desktop.core.store import Setting, Store

log = logging.getLogger(__name__)

KEY_PREFIX = "params.last."


def params_key(script_name: str) -> str:
    """The ``Setting`` key holding the last values of ``script_name``."""
    return KEY_PREFIX + script_name.strip()


def remember_params(store: Store, script_name: str, values: Mapping[str, Any]) -> None:
    """Keep ``values`` as the last parameter values used with ``script_name``.

    Values that are not JSON-able are kept as their text (a path, a date).
    """
    # A round trip through JSON stores exactly what last_params will give back.
    plain = json.loads(json.dumps(dict(values), ensure_ascii=False, default=str))
    store.activate()
    Setting.replace(key=params_key(script_name), value=plain).execute()


def last_params(store: Store, script_name: str) -> dict[str, Any]:
    """The values last used with ``script_name``; ``{}`` when none (or the stored value is bad)."""
    store.activate()
    key = params_key(script_name)
    # The raw text: Setting.value would raise on text that is not JSON.
    table = Setting._meta.table_name
    row = store.db.execute_sql(f'SELECT value FROM "{table}" WHERE key = ?', (key,)).fetchone()
    if row is None or row[0] is None:
        return {}
    try:
        value = json.loads(row[0])
    except (TypeError, ValueError):
        log.warning("Ignoring the unreadable last parameters of %r", script_name)
        return {}
    if not isinstance(value, dict):
        log.warning("Ignoring the last parameters of %r: not an object", script_name)
        return {}
    return {name: item for name, item in value.items() if isinstance(name, str)}


def forget_params(store: Store, script_name: str) -> None:
    """Forget the values last used with ``script_name`` (its form shows the defaults again)."""
    store.activate()
    Setting.delete().where(Setting.key == params_key(script_name)).execute()
