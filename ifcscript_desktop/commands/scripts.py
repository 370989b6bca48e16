"""`ifcscript scripts list|load-builtins|import FILE.py|export NAME FILE.py`."""

from __future__ import annotations

import argparse

from ifcscript_desktop.commands import EXIT_OK, EXIT_USAGE, error, print_json, store_for
from ifcscript_desktop.core import library
from ifcscript_desktop.core.scriptfile import ScriptFileError
from ifcscript_desktop.core.store import StoreError

ARITY = {"list": 0, "load-builtins": 0, "import": 1, "export": 2}
USAGE = {"import": "ifcscript scripts import FILE.py", "export": "ifcscript scripts export NAME FILE.py"}


def main(args: argparse.Namespace) -> int:
    if len(args.args) != ARITY[args.action]:
        error(f"usage: {USAGE.get(args.action, 'ifcscript scripts ' + args.action)}")
        return EXIT_USAGE
    store = store_for(args)
    try:
        if args.action == "list":
            scripts = library.list_scripts(store)
            for script in scripts:
                if args.json:
                    print_json({"name": script.name, "category": script.category,
                                "description": script.description, "builtin": script.is_builtin})
                else:
                    kind = "built-in" if script.is_builtin else "yours"
                    print(f"{script.name:<32} {script.category or '':<12} {kind}")
            return EXIT_OK
        if args.action == "load-builtins":
            for name, status in library.load_builtins(store):
                print(f"{status:<10} {name}")
            return EXIT_OK
        if args.action == "import":
            script = library.import_script_file(store, args.args[0])
            print(f"Imported {script.name!r}.")
            return EXIT_OK
        name, path = args.args
        library.export_script_file(store, name, path)
        print(f"Exported {name!r} to {path}.")
        return EXIT_OK
    except (ScriptFileError, StoreError, OSError) as exc:
        error(str(exc))
        return EXIT_USAGE
    finally:
        store.close()
