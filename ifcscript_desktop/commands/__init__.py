"""The command line's subcommands, one module each; helpers they share live here."""

from __future__ import annotations

import json
import sys
from typing import Any

from ifcscript_desktop.core.datadir import resolve_data_dir
from ifcscript_desktop.core.library import ensure_builtins
from ifcscript_desktop.core.store import Store, open_store


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str), flush=True)


def error(message: str) -> None:
    print(f"ifcscript: {message}", file=sys.stderr, flush=True)


def store_for(args: Any) -> Store:
    """The store of `--data-dir` (or the default), with the built-ins loaded on first use."""
    store = open_store(resolve_data_dir(getattr(args, "data_dir", None)))
    ensure_builtins(store)
    return store
