"""The `ifcscript` command: the window, `run`, `history`, `scripts` and `workflow` (see DESIGN.md)."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ifcscript_desktop import __version__

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
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

    history = commands.add_parser("history", help="list past runs, or show one")
    history.add_argument("action", nargs="?", choices=["show"], help="show one run")
    history.add_argument("id", nargs="?", type=int, help="the run to show")
    history.add_argument("--limit", type=int, default=20, metavar="N")
    history.add_argument("--json", action="store_true")
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
    if args_list[:1] and args_list[0] in SUBCOMMANDS or args_list[:1] in (["-h"], ["--help"]):
        parser = build_parser()
        try:
            args = parser.parse_args(args_list)
        except SystemExit as exc:
            return EXIT_USAGE if exc.code else EXIT_OK
        import importlib
        command = importlib.import_module(f"ifcscript_desktop.commands.{args.command}")
        return int(command.main(args))
    try:
        window_args = build_window_parser().parse_args(args_list)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    from ifcscript_desktop.ui.app import start
    return start(window_args)

