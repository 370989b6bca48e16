"""The `ifcscript` command: the window, `run`, `history`, `scripts` and `workflow` (see DESIGN.md)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING, Sequence

from ifcscript_desktop import __version__

if TYPE_CHECKING:
    from ifcscript_desktop.core.client import WorkerClient

log = logging.getLogger(__name__)

SUBCOMMANDS = ("run", "history", "scripts", "workflow")


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help="where scripts and run history are kept (default: IFCSCRIPT_DATA_DIR "
                             "or the user data folder)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ifcscript", description="Ask IFC models questions with Python scripts.")
    parser.add_argument("--version", action="version", version=f"ifcscript {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from ifcscript_desktop.commands import add_limit_options

    run = commands.add_parser("run", help="run a script on one or more models, headless")
    run.add_argument("script", help="a .py file, or the name of a stored script")
    run.add_argument("models", nargs="+", metavar="MODEL", help=".ifc or .ifczip files")
    run.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                     help="a script parameter; repeat for more, or for a list parameter")
    run.add_argument("--json", action="store_true", help="print one JSON object per model")
    add_limit_options(run, "run")
    _data_dir_option(run)

    history = commands.add_parser(
        "history", help="list past runs, show one, or keep one's files",
        description="List past runs, show one (`show ID`), or keep a run so retention never "
                    "removes its output files (`keep ID`, `unkeep ID`).")
    history.add_argument("action", nargs="?", choices=["show", "keep", "unkeep"],
                         help="show one run; keep or unkeep its output files")
    history.add_argument("id", nargs="?", type=int, help="the run")
    history.add_argument("--limit", type=int, default=20, metavar="N")
    history.add_argument("--json", action="store_true")
    history.add_argument("--verdict", type=str.upper, choices=["PASS", "FAIL", "WARN", "NONE"],
                         help="only runs whose check declared this verdict (NONE: no verdict)")
    _data_dir_option(history)

    scripts = commands.add_parser("scripts", help="list, import, export and load built-in scripts")
    scripts.add_argument("action", choices=["list", "load-builtins", "import", "export"])
    scripts.add_argument("args", nargs="*", metavar="ARG", help="FILE.py for import; NAME FILE.py for export")
    scripts.add_argument("--json", action="store_true")
    _data_dir_option(scripts)

    from ifcscript_desktop.commands.workflow import add_parser as add_workflow_parser
    add_workflow_parser(commands, _data_dir_option)
    return parser


def build_window_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ifcscript",
        description="Open the IFC Script Desktop window. Commands: run, history, scripts, workflow "
                    "(`ifcscript run --help`).")
    parser.add_argument("models", nargs="*", metavar="MODEL", help="models to open")
    parser.add_argument("--demo", action="store_true", help="open the bundled sample model")
    parser.add_argument("--version", action="version", version=f"ifcscript {__version__}")
    _data_dir_option(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["--worker"]:
        from ifcscript_desktop.worker.server import main as worker_main
        return worker_main()
    from ifcscript_desktop.commands import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

    args_list = _data_dir_after_command(args_list)
    if args_list[:1] and args_list[0] in SUBCOMMANDS or args_list[:1] in (["-h"], ["--help"]):
        worker = _early_worker() if args_list[0] == "run" else None
        try:
            parser = build_parser()
            try:
                args = parser.parse_args(args_list)
            except SystemExit as exc:
                return EXIT_USAGE if exc.code else EXIT_OK
            args.worker = worker
            import importlib
            command = importlib.import_module(f"ifcscript_desktop.commands.{args.command}")
            code = int(command.main(args))
        finally:
            if worker is not None:
                worker.close()  # (closed already when the command used it)
        if code != EXIT_INTERRUPTED:
            _housekeeping(args, release_stdout=argv is None)
        return code
    try:
        window_args = build_window_parser().parse_args(args_list)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    from ifcscript_desktop.ui.app import start
    return start(window_args)


def _early_worker() -> WorkerClient:
    """`ifcscript run`: the worker starts (and imports its libraries) while this process parses
    the arguments, opens the store and reads the script."""
    from ifcscript_desktop.core.client import WorkerClient

    client = WorkerClient()
    client.start()
    return client


def _data_dir_after_command(args: list[str]) -> list[str]:
    """`ifcscript --data-dir DIR run ...` as `ifcscript run --data-dir DIR ...`: the option
    belongs to every command, and users write it first as often as last."""
    if args[:1] == ["--data-dir"] and len(args) > 2 and args[2] in SUBCOMMANDS:
        return [args[2], *args[:2], *args[3:]]
    if args[:1] and args[0].startswith("--data-dir=") and len(args) > 1 and args[1] in SUBCOMMANDS:
        return [args[1], args[0], *args[2:]]
    return args


def _housekeeping(args: argparse.Namespace, release_stdout: bool = False) -> None:
    """Retention, once a day, after the command's own work so it never waits for it.

    `release_stdout` (a process of its own): the command's output is closed first, so whoever
    reads it (`| jq`) has all of it at once. Only on a data folder that already holds a store
    (the command itself made it). A failure is logged and Ctrl+C stops it quietly; neither
    changes the command's exit code.
    """
    from ifcscript_desktop.core.datadir import resolve_data_dir
    from ifcscript_desktop.core.runs import prune_if_due
    from ifcscript_desktop.core.store import DB_FILENAME, StoreError, open_store

    try:
        sys.stdout.flush()
        if release_stdout:
            _close_stdout()
        data_dir = resolve_data_dir(getattr(args, "data_dir", None))
        if not (data_dir / DB_FILENAME).is_file():
            return
        with open_store(data_dir) as store:
            prune_if_due(store)
    except (StoreError, OSError) as exc:
        log.warning("Old run files were not removed: %s", exc)
    except KeyboardInterrupt:
        pass  # what is left goes another day


def _close_stdout() -> None:
    """Point fd 1 at /dev/null: a pipe reading the command's output reaches its end."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)
