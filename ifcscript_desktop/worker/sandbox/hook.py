"""The PEP 578 audit hook of the run child: the Python layer's last word on what happens.

Once armed, every file, process, network and native-code event of the whole process goes
through :meth:`GuardState.hook`, whoever triggers it (the script, or a library the script
called). Reads of the Python installation stay allowed so libraries can still import lazily.
Introspection events (frames, code objects, the garbage collector) are refused only when the
script itself triggers them: libraries use them for their own bookkeeping (``namedtuple``,
``enum``, pandas' warnings).

A refusal is reported through ``on_refusal`` before the exception is raised, so a script that
catches the exception cannot hide it.
"""

from __future__ import annotations

import os
import sys
from _thread import get_ident
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit

from .policy import (
    ENV_WHY, INTERNALS_WHY, LINK_WHY, NATIVE_WHY, NET_WHY, PROCESS_WHY, READ_WHY, WRITE_WHY,
    PathRules, Refused, as_path, exact_str, resolve, sentence, type_name,
)
from .source import is_forbidden_attribute

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_MAX_REPORTS = 100
_Handler = Callable[["GuardState", str, tuple[Any, ...]], None]

#: Event families refused whoever triggers them.
_DENIED_ROOTS = frozenset(
    "socket ctypes subprocess cpython http urllib ftplib smtplib poplib imaplib nntplib "
    "telnetlib webbrowser ensurepip msvcrt winreg _winapi syslog resource signal".split()
)
#: Why no pickle may name anything: a module name is looked up attribute by attribute
#: ("pandas.io.common", "os.write"), and the classes of numpy and pandas rebuild objects through
#: callables of their own. Only plain data (numbers, text, lists, dicts...) names nothing.
PICKLE_WHY = ("scripts may not load pickles, which can run any code: save and read CSV, JSON or "
              "Excel files instead")


def _short(value: object, limit: int = 160) -> str:
    """A value from an event, as text, without running code of the script's making."""
    kind = type(value)
    text: str | None
    if type(value) is list or type(value) is tuple:  # the exact types: a subclass's code never runs
        text = " ".join(_short(item, limit) for item in value)
    elif kind is int:
        text = int.__repr__(value)
    else:
        text = as_path(value)
    if text is None:
        text = f"<{type_name(value)}>"
    return text if len(text) <= limit else text[:limit] + "…"


def _address(value: object) -> str:
    if type(value) is tuple and len(value) >= 2:
        return f"{_short(value[0])}:{_short(value[1])}"
    return _short(value)


def _is_int(value: object) -> bool:
    return issubclass(type(value), int)


class GuardState:
    """The state of the Python layer in one run child (there is one per process)."""

    def __init__(self, rules: PathRules, on_refusal: Callable[[str], None]) -> None:
        self.rules = rules
        self.on_refusal = on_refusal
        self.builtins: dict[str, Any] = {}
        self.armed = False
        self._reported: set[str] = set()
        self._busy: set[int] = set()

    # -- reporting ---------------------------------------------------------------------------
    def refuse(self, what: str, why: str) -> Refused:
        """Report the refusal (once per distinct sentence) and return the exception to raise."""
        text = sentence(what, why)
        if text not in self._reported and len(self._reported) < _MAX_REPORTS:
            self._reported.add(text)
            ident = get_ident()
            self._busy.add(ident)
            try:
                self.on_refusal(text)
            except Exception:  # a broken reporter must not turn a refusal into an allowance
                pass
            finally:
                self._busy.discard(ident)
        return Refused(text)

    def deny(self, frame: FrameType | None, what: str, why: str, path: str = "") -> Refused:
        """Like :meth:`refuse`, but silent when the import machinery merely probes a path.

        Also silent for a module search path entry outside the installation (the working
        folder on sys.path, which importlib.metadata lists when a library asks for a version).
        """
        if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib") \
                or path and path in _search_path():
            return Refused(sentence(what, why))
        return self.refuse(what, why)

    def is_script_frame(self, frame: FrameType | None) -> bool:
        """Code of the script (or code it compiled at run time), as opposed to a library's."""
        if frame is None:
            return False
        if frame.f_builtins is self.builtins:
            return True
        name = frame.f_code.co_filename
        return name.startswith("<") and not name.startswith("<frozen")

    def arm(self) -> None:
        """From now on, refuse."""
        self.armed = True

    @contextmanager
    def checking(self) -> Iterator[None]:
        """Run the sandbox's own check of some text: the events it causes are not refused.

        (A syntax error in "exec" mode makes the parser try to open the "file" it names, such
        as "<string>", to quote the line.) Only for checks that run no code of the script's.
        """
        ident = get_ident()
        nested = ident in self._busy
        self._busy.add(ident)
        try:
            yield
        finally:
            if not nested:
                self._busy.discard(ident)

    # -- the hook ----------------------------------------------------------------------------
    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        """The audit hook (installed with sys.addaudithook)."""
        if not self.armed:
            return
        handler = _HANDLERS.get(event)
        if handler is None:
            root = event.partition(".")[0]
            if root in _DENIED_ROOTS:
                handler = _denied_family
            elif root == "os":
                handler = _unknown_os
            else:
                return
        ident = get_ident()
        if ident in self._busy:
            return  # an event our own checking code caused
        self._busy.add(ident)
        try:
            handler(self, event, args)
        except Refused:
            raise
        except Exception as exc:  # fail closed
            raise self.refuse(f"an operation the sandbox could not check ({event}: {exc})",
                              INTERNALS_WHY) from None
        finally:
            self._busy.discard(ident)


def _search_path() -> set[str]:
    return {resolve(entry or ".") for entry in map(exact_str, sys.path) if entry is not None}


def _trigger() -> FrameType | None:
    """The frame that caused the event (called directly from a handler)."""
    try:
        return sys._getframe(3)  # 0 _trigger, 1 handler, 2 hook, 3 the code that caused it
    except ValueError:  # raised from C with no Python caller
        return None


def _path_of(state: GuardState, value: object, frame: FrameType | None) -> str:
    if value is None:
        value = "."
    path = as_path(value)
    if path is None:
        raise state.deny(frame, "using a path given as an unusual object", READ_WHY)
    return resolve(path)


def _on_open(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    path, mode, flags = (tuple(args) + (None, None))[:3]
    if _is_int(path):
        raise state.refuse("opening a file by its descriptor number", READ_WHY)
    frame = _trigger()
    real = _path_of(state, path, frame)
    if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib") \
            and not state.rules.may_load_code(real):
        # the import machinery loads code only from the Python installation (never from the
        # output folder or a granted file, even if sys.path was made to point there)
        raise Refused(sentence(f'importing code from "{real}"', NATIVE_WHY))
    mode_text = exact_str(mode) or ""
    writing = any(c in mode_text for c in "wax+") or (
        _is_int(flags) and bool(int.__and__(flags, _WRITE_FLAGS)))
    if writing:
        if not state.rules.may_write(real):
            raise state.deny(frame, f'writing the file "{real}"', WRITE_WHY, real)
    elif not state.rules.may_read(real):
        if real.startswith("/sys/") and not state.is_script_frame(frame):
            # a library probing the machine (pandas reads the cgroup CPU quota): denied, and it
            # copes, but it is not the script's doing
            raise Refused(sentence(f'reading the file "{real}"', READ_WHY))
        raise state.deny(frame, f'reading the file "{real}"', READ_WHY, real)


_FS_READS = {"os.listdir": "listing the folder", "os.scandir": "listing the folder",
             "os.walk": "listing the folder", "os.fwalk": "listing the folder",
             "os.getxattr": "reading attributes of", "os.listxattr": "reading attributes of"}
_FS_WRITES = {"os.mkdir": "creating the folder", "os.remove": "deleting the file",
              "os.rmdir": "deleting the folder", "os.chmod": "changing the permissions of",
              "os.chown": "changing the owner of", "os.chflags": "changing the flags of",
              "os.truncate": "emptying the file", "os.utime": "changing the dates of",
              "os.setxattr": "changing attributes of", "os.removexattr": "changing attributes of"}


def _on_fs_read(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    if args and _is_int(args[0]):
        return  # a descriptor: it was opened through a checked event
    frame = _trigger()
    real = _path_of(state, args[0] if args else None, frame)
    if not state.rules.may_read(real):
        raise state.deny(frame, f'{_FS_READS[event]} "{real}"', READ_WHY, real)


def _on_fs_write(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    if args and _is_int(args[0]):
        return
    frame = _trigger()
    real = _path_of(state, args[0] if args else None, frame)
    if not state.rules.may_write(real):
        raise state.deny(frame, f'{_FS_WRITES[event]} "{real}"', WRITE_WHY)


def _on_move(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    frame = _trigger()
    source, target = _path_of(state, args[0], frame), _path_of(state, args[1], frame)
    if not (state.rules.may_write(source) and state.rules.may_write(target)):
        verb = "moving" if event == "os.rename" else "linking"
        raise state.deny(frame, f'{verb} "{source}" to "{target}"', WRITE_WHY)


def _on_symlink(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    raise state.refuse(f'creating a link to "{_short(args[0])}" at "{_short(args[1])}"', LINK_WHY)


def _on_process(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    if event == "os.system":
        what = f'running the command "{_short(args[0])}"'
    elif event == "subprocess.Popen":
        what = f'starting the program "{_short(args[1] if args[1] is not None else args[0])}"'
    elif event in ("os.exec", "os.posix_spawn"):
        what = f'starting the program "{_short(args[0])}"'
    elif event == "os.spawn":
        what = f'starting the program "{_short(args[1])}"'
    elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
        what = f"sending signal {_short(args[1])} to process {_short(args[0])}"
    else:
        what = "starting a copy of the running process (fork)"
    raise state.refuse(what, PROCESS_WHY)


def _on_env(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    raise state.refuse(f'changing the environment variable "{_short(args[0])}"', ENV_WHY)


def _on_socket(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        what = f"connecting to {_address(args[1])}"
    elif event == "socket.bind":
        what = f"listening on {_address(args[1])}"
    elif event == "socket.getaddrinfo" or event.startswith("socket.gethostby"):
        what = f'looking up the network address "{_short(args[0])}"'
    else:
        what = f"opening a network connection ({event})"
    raise state.refuse(what, NET_WHY)


def _on_url(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    """A URL opened with urllib: a ``file:`` URL is a read, checked like one; the rest is network.

    (xmlschema, which ifctester uses, reads its schemas and the IDS file through ``file:`` URLs;
    urllib then opens the file with ``open``, and that event is checked again.)
    """
    url = exact_str(args[0]) if args else None
    if url is not None and url[:5].lower() == "file:":
        parts = urlsplit(url)
        frame = _trigger()
        if parts.netloc not in ("", "localhost") or parts.query:
            raise state.deny(frame, f'reading "{_short(url)}"', READ_WHY)
        real = _path_of(state, unquote(parts.path), frame)
        if not state.rules.may_read(real):
            raise state.deny(frame, f'reading the file "{real}"', READ_WHY, real)
        return
    _denied_family(state, event, args)


def _denied_family(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    root = event.partition(".")[0]
    if root == "socket":
        _on_socket(state, event, args)
    if root == "ctypes":
        if event == "ctypes.dlopen":
            raise state.refuse(f'loading the native library "{_short(args[0])}"', NATIVE_WHY)
        raise state.refuse(f"calling native code through ctypes ({event})", NATIVE_WHY)
    if root == "subprocess":
        raise state.refuse(f"starting another program ({event})", PROCESS_WHY)
    if event == "cpython._PySys_ClearAuditHooks":
        return  # interpreter shutdown
    if root == "signal":
        raise state.refuse(f"sending signals ({event})", PROCESS_WHY)
    if root == "resource":
        raise state.refuse("changing the run's resource limits", PROCESS_WHY)
    if root == "cpython":
        raise state.refuse(f"running code outside the script ({event})", INTERNALS_WHY)
    raise state.refuse(f"using the network ({event})", NET_WHY)


def _unknown_os(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    raise state.refuse(f"using {event}", PROCESS_WHY)


def _always(what: str, why: str) -> _Handler:
    def handler(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
        raise state.refuse(what, why)
    return handler


def _if_script(what: str) -> _Handler:
    """Refused when the script (not a library) triggers the event."""
    def handler(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
        if state.is_script_frame(_trigger()):
            raise state.refuse(what, INTERNALS_WHY)
    return handler


def _on_getattr(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    if state.is_script_frame(_trigger()):
        raise state.refuse(f'reaching "{_short(args[1])}" of a {type_name(args[0])} object',
                           INTERNALS_WHY)


def _on_setattr(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    name = exact_str(args[1])
    if name is not None and is_forbidden_attribute(name) and state.is_script_frame(_trigger()):
        raise state.refuse(f'changing "{name}" of a {type_name(args[0])} object',
                           INTERNALS_WHY)


def _on_import(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    module, filename = args[0], args[1]
    if filename is not None:  # a native extension module about to be loaded
        real = _path_of(state, filename, _trigger())
        if not state.rules.may_load_code(real):
            raise state.refuse(f'loading the native module "{module}" from "{real}"', NATIVE_WHY)


def _on_sqlite(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    database = as_path(args[0])
    if database in ("", ":memory:"):
        return
    frame = _trigger()
    real = _path_of(state, args[0], frame)
    if not (state.rules.may_write(real) or state.rules.may_read_data(real)):
        raise state.refuse(f'opening the database "{real}"', READ_WHY)


def _on_pickle(state: GuardState, event: str, args: tuple[Any, ...]) -> None:
    """Unpickling (pd.read_pickle, np.load with allow_pickle) anything that names a module."""
    raise state.refuse(f'unpickling "{_short(args[0])}.{_short(args[1])}"', PICKLE_WHY)


_HANDLERS: dict[str, _Handler] = {
    "open": _on_open,
    **{event: _on_fs_read for event in _FS_READS},
    **{event: _on_fs_write for event in _FS_WRITES},
    "os.rename": _on_move,
    "os.link": _on_move,
    "os.symlink": _on_symlink,
    **{event: _on_process for event in (
        "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
        "os.kill", "os.killpg", "subprocess.Popen", "signal.pthread_kill")},
    "os.putenv": _on_env,
    "os.unsetenv": _on_env,
    "os.chdir": _always("changing the working folder", READ_WHY),
    "os.startfile": _always("opening a file with another program", PROCESS_WHY),
    "os.add_dll_directory": _always("adding a folder of native libraries", NATIVE_WHY),
    "os.lockf": lambda state, event, args: None,
    "sys.addaudithook": _always("installing an audit hook", INTERNALS_WHY),
    "sys.settrace": _always("installing a tracer", INTERNALS_WHY),
    "sys.setprofile": _always("installing a profiler", INTERNALS_WHY),
    "builtins.input": _always("asking for keyboard input",
                              "scripts run without a console: use parameters"),
    "builtins.breakpoint": _always("starting the debugger",
                                   "scripts run without a console: use parameters"),
    "sqlite3.connect": _on_sqlite,
    "sqlite3.enable_load_extension": _always("loading a SQLite extension", NATIVE_WHY),
    "sqlite3.load_extension": _always("loading a SQLite extension", NATIVE_WHY),
    "fcntl.ioctl": _always("controlling a device (ioctl)", NATIVE_WHY),
    "pickle.find_class": _on_pickle,
    "urllib.Request": _on_url,
    "import": _on_import,
    "object.__getattr__": _on_getattr,
    "object.__setattr__": _on_setattr,
    "object.__delattr__": _on_setattr,
    "sys._getframe": _if_script("reaching the interpreter's call frames"),
    "sys._current_frames": _if_script("reaching the interpreter's call frames"),
    "sys._current_exceptions": _if_script("reaching the interpreter's call frames"),
    "sys.set_asyncgen_hooks_firstiter": _if_script("changing the interpreter's hooks"),
    "sys.set_asyncgen_hooks_finalizer": _if_script("changing the interpreter's hooks"),
    "gc.get_objects": _if_script("walking the garbage collector's objects"),
    "gc.get_referrers": _if_script("walking the garbage collector's objects"),
    "gc.get_referents": _if_script("walking the garbage collector's objects"),
    "marshal.loads": _if_script("loading compiled code (marshal)"),
    "marshal.load": _if_script("loading compiled code (marshal)"),
    "code.__new__": _if_script("building code objects by hand"),
    "function.__new__": _if_script("building functions from code objects"),
}
