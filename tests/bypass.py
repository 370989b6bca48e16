"""`ifcscript` as an attacker who got past the Python layer would meet it (tests only).

Issue 9's findings each began with a script that slipped the Python layer (a dataclass field
name, an unpickled dotted name, numpy raw memory). Those holes get closed one by one, so the
tests of what the *worker* must still hold do not depend on any of them: this harness starts
the real command with a real worker whose run children get, on purpose, more than a script
ever should, and everything else (fork, Landlock, seccomp, limits, the worker's own checks)
exactly as shipped.

    python tests/bypass.py MODE run SCRIPT MODEL ...      # the `ifcscript` command
    python tests/bypass.py MODE --worker                  # what that command starts

MODE ``bare``: the script runs with the real builtins: no import allowlist, no audit hook, no
source check (everything a script can do once the Python layer is bypassed outright).
MODE ``raw_os``: the Python layer stays on, but the script finds ``RAW_OS``, a namespace of
``os`` functions (pipe, dup2, write, fstat, close), as an unpickled ``os.write`` gave it.
"""

from __future__ import annotations

import builtins
import os
import sys
import types
from pathlib import Path

MODES = ("bare", "raw_os")


def _patch_worker(mode: str) -> None:
    from ifcscript_desktop.worker import context, sandbox

    if mode == "bare":
        sandbox.install_python_guard = lambda policy, on_refusal: builtins.__dict__
        sandbox.arm_python_guard = lambda: None
        sandbox.check_source = lambda source, filename: None
        sandbox.guard_module = lambda module: module
    else:
        real_build = context.build_globals

        def build_globals(*args, **kwargs):  # type: ignore[no-untyped-def]
            names = real_build(*args, **kwargs)
            names["RAW_OS"] = types.SimpleNamespace(
                pipe=os.pipe, dup2=os.dup2, write=os.write, fstat=os.fstat, close=os.close)
            return names

        context.build_globals = build_globals


def main(argv: list[str]) -> int:
    mode, rest = argv[0], argv[1:]
    if mode not in MODES:
        raise SystemExit(f"mode must be one of {MODES}")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if rest[:1] == ["--worker"]:
        _patch_worker(mode)
        from ifcscript_desktop.worker.server import main as worker_main
        return worker_main()
    from ifcscript_desktop import cli
    from ifcscript_desktop.core import transport

    transport.worker_command = lambda: [sys.executable, str(Path(__file__).resolve()), mode,
                                        "--worker"]
    return cli.main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
