"""The command line's subcommands, one module each; helpers they share live here."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ifcscript_desktop.core.datadir import resolve_data_dir
from ifcscript_desktop.core.execute import Limits
from ifcscript_desktop.core.library import ensure_builtins
from ifcscript_desktop.core.settings import Settings, load_settings
from ifcscript_desktop.core.store import Store, open_store

#: The command's exit codes (DESIGN.md): done; a run failed; the command was asked something it
#: cannot do (or no model opened); Ctrl+C.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: The options every running command takes, with what they limit.
LIMIT_OPTIONS = ("timeout", "memory_mb", "outputs_max_mb", "outputs_max_files")


def print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str), flush=True)


def error(message: str) -> None:
    print(f"ifcscript: {message}", file=sys.stderr, flush=True)


def store_for(args: Any) -> Store:
    """The store of `--data-dir` (or the default), with the built-ins loaded on first use."""
    store = open_store(resolve_data_dir(getattr(args, "data_dir", None)))
    ensure_builtins(store)
    return store


def add_limit_options(parser: argparse.ArgumentParser, per: str) -> None:
    """--timeout, --memory-mb and the output quota; defaults from the stored settings."""
    parser.add_argument("--timeout", type=float, metavar="S", help=f"time limit per {per} in seconds")
    parser.add_argument("--memory-mb", type=int, metavar="N", help=f"memory limit per {per} in MB")
    parser.add_argument(
        "--outputs-max-mb", type=int, metavar="N",
        help=f"most a {per} may write into its output folder, in MB (setting outputs_max_bytes, "
             f"default {Settings.outputs_max_bytes // (1024 * 1024)} MB); past it the {per} is "
             "stopped as an error. Not the output log's cap (10 MB)")
    parser.add_argument(
        "--outputs-max-files", type=int, metavar="N",
        help=f"most files and folders a {per} may create in its output folder (setting "
             f"outputs_max_files, default {Settings.outputs_max_files:,})")


def limit_problem(args: argparse.Namespace, others: tuple[str, ...] = ()) -> str | None:
    """The sentence for a limit option (or one of `others`) that is not positive, else None."""
    for option in others + LIMIT_OPTIONS:
        value = getattr(args, option, None)
        if value is not None and value <= 0:
            return f"--{option.replace('_', '-')} must be a positive number."
    return None


def limits_for(store: Store, args: argparse.Namespace) -> Limits:
    """The stored settings, overridden by the limit options given."""
    return Limits.from_settings(load_settings(store), args.timeout, args.memory_mb,
                                args.outputs_max_mb, args.outputs_max_files)
